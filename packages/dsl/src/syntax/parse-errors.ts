/**
 * Chevrotain's recognition errors → diagnostics: the code (E0002, E0003, E0012), the span (at the
 * token found, or just after the previous token when something is missing there), notes pointing
 * at the unclosed opener, and hints for the usual slips.
 */
import type { Diagnostic, Span } from '@gradus/autodiff';
import { EOF, type IRecognitionException, type IToken, type TokenType, tokenMatcher } from 'chevrotain';
import { didYouMean } from './did-you-mean.js';
import { unclosedDelimiter, unexpectedToken, unknownStatement } from './errors.js';
import { CLOSERS, closedConstruct, type ErrorFacts, isEof, tokenLabel } from './messages.js';
import { parserMessages } from './parser.js';
import { tokenSpan } from './spans.js';
import {
  Colon,
  Dim,
  Equals,
  Fn,
  Identifier,
  Keyword,
  Model,
  NumberLiteral,
  RBracket,
  RCurly,
  Return,
  RParen,
  STATEMENT_KEYWORDS,
  TOP_LEVEL_KEYWORDS,
} from './tokens.js';

/**
 * Expected tokens whose absence is best shown where they belong (just after the previous token)
 * when the token found instead sits on a later line; other mistakes are shown at the token found.
 */
const RELOCATABLE: ReadonlySet<TokenType> = new Set([RParen, RBracket, RCurly, Equals, Colon]);

/** The settings language.md lists for `train { }`, for the "this belongs in train" hint. */
const TRAIN_SETTINGS = [
  'optimizer',
  'schedule',
  'batch',
  'epochs',
  'steps',
  'shuffle',
  'seed',
  'clip',
  'polyak',
  'early_stop',
  'restore_best',
  'data',
];

/** Turns chevrotain's recognition errors into diagnostics, with spans, notes and hints. */
export class ErrorContext {
  /** Openers already blamed by an "unclosed" error, so a second error blames the next one out. */
  private readonly blamedOpeners = new Set<IToken>();

  constructor(
    private readonly text: string,
    private readonly tokens: readonly IToken[],
  ) {}

  toDiagnostic(error: IRecognitionException): Diagnostic {
    const facts = parserMessages.factsOf(error.message) ?? { kind: 'mismatch', ruleName: '' };
    const { expected, ruleName } = facts;
    const found = error.token;
    const at = this.indexOf(found);
    const atFound = tokenSpan(found);
    const afterPrevious = this.pointAfter(this.tokens[at - 1]);
    // Show the mistake at the token found, except when something is missing (an expression, a
    // closer, an '=') and the token found is on a later line or is the end of the file: then show
    // it where the missing piece belongs, just after the previous token ("expected ']'" after `D`).
    const detached =
      atFound === undefined || this.text.slice(afterPrevious.end, atFound.start).includes('\n');
    const missing = facts.kind === 'noViableAlt' || (expected !== undefined && RELOCATABLE.has(expected));
    const span = atFound !== undefined && !(detached && missing) ? atFound : afterPrevious;

    if (facts.kind === 'mismatch' && expected === RCurly && isStray(found, ruleName)) {
      return this.strayInBlock(found, atFound ?? span, at, error.message, ruleName);
    }
    if ((facts.kind === 'mismatch' && expected === EOF) || facts.kind === 'notAllInput') {
      return unexpectedToken(atFound ?? span, error.message, {
        label: 'unexpected',
        hint: topLevelHint(found),
      });
    }
    if (facts.kind === 'mismatch' && expected !== undefined && isCloser(expected)) {
      return this.unclosed(error.message, ruleName, expected, found, at, span, detached);
    }
    const label =
      facts.kind === 'mismatch' && expected ? `expected ${tokenLabel(expected)}` : messageHead(error.message);
    return unexpectedToken(span, error.message, { label, hint: hintFor(facts) });
  }

  /** A token inside `model { }` or `train { }` that starts no statement or setting. */
  private strayInBlock(found: IToken, span: Span, at: number, message: string, ruleName: string): Diagnostic {
    if (ruleName === 'modelDecl' && tokenMatcher(found, Identifier)) {
      return unknownStatement(span, found.image, this.statementHint(found.image, at));
    }
    if (STATEMENT_KEYWORDS.some((k) => k === found.image)) {
      // A statement inside `train { }`: most likely the block's `}` is missing.
      const opener = this.findOpener(at, RCurly, false);
      const notes = opener ? [{ message: `${closedConstruct(ruleName)} starts here`, span: opener }] : [];
      const hint = `is ${closedConstruct(ruleName)} missing its '}'?`;
      return unexpectedToken(span, message, { label: 'unexpected', notes, hint });
    }
    const hint = tokenMatcher(found, Equals) ? "is the value before this '=' missing?" : undefined;
    return unexpectedToken(span, message, { label: 'unexpected', hint });
  }

  /** Why an identifier at statement position is there: a typo, a missing comma, a bare binding. */
  private statementHint(word: string, at: number): string | undefined {
    const keyword = didYouMean(word, STATEMENT_KEYWORDS);
    if (keyword !== undefined) return `did you mean '${keyword}'?`;
    if (this.continuesDimList(at)) return "separate dims with commas, as in 'dim N, D = 2'";
    const next = this.tokens[at + 1];
    if (next === undefined || !tokenMatcher(next, Equals)) return undefined;
    if (TRAIN_SETTINGS.includes(word)) return `training settings go inside 'train { ... }'`;
    return `to name a value, write 'let ${word} = ...'`;
  }

  /** Whether token `at` directly follows a `dim` list (`dim N D`: most likely a missing comma). */
  private continuesDimList(at: number): boolean {
    const previous = this.tokens[at - 1];
    if (
      previous === undefined ||
      !(tokenMatcher(previous, Identifier) || tokenMatcher(previous, NumberLiteral))
    ) {
      return false;
    }
    for (let i = at - 1; i >= 0; i--) {
      if (tokenMatcher(this.tokens[i], Keyword)) return tokenMatcher(this.tokens[i], Dim);
    }
    return false;
  }

  private unclosed(
    message: string,
    ruleName: string,
    closer: TokenType,
    found: IToken,
    at: number,
    span: Span,
    detached: boolean,
  ): Diagnostic {
    const opener = this.findOpener(at, closer, true);
    const notes = opener ? [{ message: `${closedConstruct(ruleName)} starts here`, span: opener }] : [];
    const reallyUnclosed = detached || isCloser(found.tokenType) || isTopLevelKeyword(found);
    if (reallyUnclosed) return unclosedDelimiter(span, message, closer.LABEL ?? closer.name, notes);
    return unexpectedToken(span, message, { label: messageHead(message), notes });
  }

  /** The index of a token in the token list; the list's length for EOF. */
  private indexOf(token: IToken): number {
    if (isEof(token) || !Number.isFinite(token.startOffset)) return this.tokens.length;
    let lo = 0;
    let hi = this.tokens.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const offset = this.tokens[mid].startOffset;
      if (offset === token.startOffset) return mid;
      if (offset < token.startOffset) lo = mid + 1;
      else hi = mid - 1;
    }
    return lo;
  }

  /** A zero-width span just after a token (the start of the file when there is none). */
  private pointAfter(token: IToken | undefined): Span {
    const span = tokenSpan(token);
    const end = span === undefined ? 0 : span.end;
    return { start: end, end };
  }

  /**
   * The span of the nearest unmatched opener of `closer` before token `at`. Openers blamed by an
   * earlier error are treated as closed, so nested unclosed blocks are blamed inside-out.
   */
  private findOpener(at: number, closer: TokenType, blame: boolean): Span | undefined {
    const pair = CLOSERS.find(([, close]) => close === closer);
    if (pair === undefined) return undefined;
    const [open, close] = pair;
    let depth = 0;
    for (let i = Math.min(at, this.tokens.length) - 1; i >= 0; i--) {
      const token = this.tokens[i];
      if (tokenMatcher(token, close)) depth++;
      else if (tokenMatcher(token, open) && !this.blamedOpeners.has(token)) {
        if (depth === 0) {
          if (blame) this.blamedOpeners.add(token);
          return tokenSpan(token);
        }
        depth--;
      }
    }
    return undefined;
  }
}

function isCloser(type: TokenType): boolean {
  return type === RParen || type === RBracket || type === RCurly;
}

function isTopLevelKeyword(token: IToken): boolean {
  return tokenMatcher(token, Fn) || tokenMatcher(token, Model);
}

/** A token where a statement or setting was expected (as opposed to the end of the block). */
function isStray(found: IToken, ruleName: string): boolean {
  return (
    (ruleName === 'modelDecl' || ruleName === 'trainBlock') && !isEof(found) && !isTopLevelKeyword(found)
  );
}

/** "expected an expression, found ')'" → "expected an expression". */
function messageHead(message: string): string {
  const cut = message.lastIndexOf(', found ');
  return cut > 0 ? message.slice(0, cut) : message;
}

function topLevelHint(found: IToken): string | undefined {
  if (tokenMatcher(found, Identifier)) {
    const keyword = didYouMean(found.image, TOP_LEVEL_KEYWORDS);
    return keyword ? `did you mean '${keyword}'?` : "a file holds 'fn' and 'model' declarations";
  }
  if (STATEMENT_KEYWORDS.some((k) => k === found.image))
    return "statements belong inside 'model Name { ... }'";
  if (tokenMatcher(found, RCurly)) return "this '}' closes nothing";
  return undefined;
}

function hintFor(facts: ErrorFacts): string | undefined {
  if (facts.kind === 'mismatch' && facts.expected === Return) {
    return "a block body ends with 'return <expression>'";
  }
  if (facts.kind === 'noViableAlt' && facts.ruleName === 'fnDecl') {
    return "write 'fn name(args) = expression', or 'fn name(args) { let ...; return expression }'";
  }
  return undefined;
}
