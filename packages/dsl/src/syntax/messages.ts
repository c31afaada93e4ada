/**
 * Parser error messages phrased for the people who write `.model` files, not for grammar authors:
 * "expected ']' to close the shape, found 'input'" rather than "Expecting token of type RBracket".
 *
 * Chevrotain asks this provider for a message and stores only the string on the exception. The
 * diagnostic builder (`parse.ts`) also needs the structured facts behind the message (which token
 * was expected, in which rule), so the provider remembers them, keyed by the message it returned.
 * A message is a pure function of those facts, so equal messages always share equal facts.
 */
import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType, tokenMatcher } from 'chevrotain';
import { LBracket, LCurly, LParen, RBracket, RCurly, RParen, UnterminatedString } from './tokens.js';

export type ErrorKind = 'mismatch' | 'noViableAlt' | 'earlyExit' | 'notAllInput';

/** What the parser knew when it built a message. */
export interface ErrorFacts {
  readonly kind: ErrorKind;
  /** The innermost grammar rule (see `parser.ts`). */
  readonly ruleName: string;
  /** For mismatches: the token type that was required. */
  readonly expected?: TokenType;
}

/** What a closing delimiter closes, by the rule that consumes it. */
const CLOSES: Readonly<Record<string, string>> = {
  fnDecl: 'the parameter list',
  fnBody: 'the function body',
  modelDecl: 'the model body',
  trainBlock: 'the train block',
  shape: 'the shape',
  index: 'the index',
  tensor: 'the tensor literal',
  callArgs: 'the argument list',
  atom: 'the parentheses',
};

/** Where in the program a rule sits, to finish "expected X ..." sentences. */
const WHERE: Readonly<Record<string, string>> = {
  program: 'at the top level',
  fnDecl: "in the 'fn' declaration",
  fnBody: 'in the function body',
  fnParam: "in the 'fn' declaration",
  modelDecl: "in the 'model' declaration",
  dimStmt: "in the 'dim' statement",
  dimItem: "in the 'dim' statement",
  hyperStmt: "in the 'hyper' declaration",
  hyperRange: "in the hyper-parameter's range",
  inputStmt: "in the 'input' declaration",
  paramStmt: "in the 'param' declaration",
  typeSpec: 'in the type',
  shape: 'in the shape',
  shapeDim: 'in the shape',
  letStmt: "in the 'let' statement",
  outputStmt: "in the 'output' statement",
  metricStmt: "in the 'metric' statement",
  lossStmt: "in the 'loss' statement",
  trainBlock: 'in the train block',
  trainSetting: 'in the train setting',
  callArgs: 'in the argument list',
  argument: 'in the argument list',
  index: 'in the index',
  indexItem: 'in the index',
  tensor: 'in the tensor literal',
};

/** Openers, for "expected '{' to start the model body". */
const OPENS: ReadonlyArray<readonly [TokenType, string, string]> = [
  [LCurly, 'modelDecl', 'the model body'],
  [LCurly, 'trainBlock', 'the train block'],
  [LParen, 'fnDecl', 'the parameter list'],
];

/** Rules whose closer ends a comma-separated list. */
const LISTS: ReadonlySet<string> = new Set(['fnDecl', 'shape', 'index', 'tensor', 'callArgs']);

/**
 * Whether `actual` is the end of the file or starts on a later line than `previous` ends: then
 * the mistake is whatever is missing after `previous`. (This reads chevrotain's line numbers,
 * which only this decision needs; diagnostics themselves carry offsets alone.)
 */
export function isDetached(previous: IToken | undefined, actual: IToken): boolean {
  if (isEof(actual)) return true;
  const before = previous?.endLine;
  const after = actual.startLine;
  return before !== undefined && after !== undefined && Number.isFinite(before) && after > before;
}

function isCloserToken(token: IToken): boolean {
  return CLOSERS.some(([, close]) => tokenMatcher(token, close));
}

export const CLOSERS: ReadonlyArray<readonly [open: TokenType, close: TokenType]> = [
  [LParen, RParen],
  [LBracket, RBracket],
  [LCurly, RCurly],
];

/** The construct a closer ends in a rule ("the shape"), or a neutral phrase. */
export function closedConstruct(ruleName: string): string {
  return CLOSES[ruleName] ?? 'the group';
}

export function isEof(token: IToken): boolean {
  return tokenMatcher(token, EOF);
}

/** A token as it should appear in a sentence: quoted source text, or a description. */
export function describeToken(token: IToken): string {
  if (isEof(token)) return 'the end of the file';
  if (tokenMatcher(token, UnterminatedString)) return 'an unterminated string';
  const image = token.image.length > 24 ? `${token.image.slice(0, 21)}...` : token.image;
  return `'${image}'`;
}

/** The user-facing label of a token type ("']'", "a name"). */
export function tokenLabel(type: TokenType): string {
  if (type === EOF) return 'the end of the file';
  return type.LABEL ?? type.name;
}

function join(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

export class ParserMessages implements IParserErrorMessageProvider {
  private readonly facts = new Map<string, ErrorFacts>();

  /** Forget the facts of a previous parse (the provider lives as long as the parser). */
  reset(): void {
    this.facts.clear();
  }

  factsOf(message: string): ErrorFacts | undefined {
    return this.facts.get(message);
  }

  private record(message: string, facts: ErrorFacts): string {
    this.facts.set(message, facts);
    return message;
  }

  buildMismatchTokenMessage(options: {
    expected: TokenType;
    actual: IToken;
    previous: IToken;
    ruleName: string;
  }): string {
    const { expected, actual, ruleName } = options;
    const found = describeToken(actual);
    let text: string;
    if (expected === RCurly && ruleName === 'modelDecl' && !isEof(actual)) {
      text = `expected a statement or '}' in the model body, found ${found}`;
    } else if (expected === RCurly && ruleName === 'trainBlock' && !isEof(actual)) {
      text = `expected a setting (name = value) or '}' in the train block, found ${found}`;
    } else if (expected === EOF) {
      text = `expected 'fn' or 'model' at the top level, found ${found}`;
    } else if (expected === RParen || expected === RBracket || expected === RCurly) {
      // Inside a list, a token on the same line is more likely a missing comma than a missing closer.
      const inList = LISTS.has(ruleName) && !isDetached(options.previous, actual) && !isCloserToken(actual);
      text = inList
        ? `expected ',' or ${tokenLabel(expected)} ${WHERE[ruleName]}, found ${found}`
        : `expected ${tokenLabel(expected)} to close ${closedConstruct(ruleName)}, found ${found}`;
    } else {
      const opens = OPENS.find(([type, rule]) => type === expected && rule === ruleName);
      const where = opens ? `to start ${opens[2]}` : (WHERE[ruleName] ?? '');
      text = `expected ${tokenLabel(expected)}${where ? ` ${where}` : ''}, found ${found}`;
    }
    return this.record(text, { kind: 'mismatch', ruleName, expected });
  }

  buildNotAllInputParsedMessage(options: { firstRedundant: IToken; ruleName: string }): string {
    const text = `expected 'fn' or 'model' at the top level, found ${describeToken(options.firstRedundant)}`;
    return this.record(text, { kind: 'notAllInput', ruleName: options.ruleName });
  }

  buildNoViableAltMessage(options: {
    expectedPathsPerAlt: TokenType[][][];
    actual: IToken[];
    previous: IToken;
    customUserDescription?: string;
    ruleName: string;
  }): string {
    const { ruleName } = options;
    const found = describeToken(options.actual[0]);
    const what = EXPECTED_BY_RULE[ruleName] ?? firstTokensOf(options.expectedPathsPerAlt);
    return this.record(`expected ${what}, found ${found}`, { kind: 'noViableAlt', ruleName });
  }

  buildEarlyExitMessage(options: {
    expectedIterationPaths: TokenType[][];
    actual: IToken[];
    previous: IToken;
    customUserDescription?: string;
    ruleName: string;
  }): string {
    const { ruleName } = options;
    const what = EXPECTED_BY_RULE[ruleName] ?? firstTokensOf([options.expectedIterationPaths]);
    const text = `expected ${what}, found ${describeToken(options.actual[0])}`;
    return this.record(text, { kind: 'earlyExit', ruleName });
  }
}

/** What a rule with alternatives expects, in words; other rules list their first tokens. */
const EXPECTED_BY_RULE: Readonly<Record<string, string>> = {
  unary: 'an expression',
  power: 'an expression',
  postfix: 'an expression',
  atom: 'an expression',
  expression: 'an expression',
  argument: 'an argument (an expression, or name = value)',
  fnDecl: "'=' or '{' to start the function body",
  typeSpec: "a type such as 'float[N, D]' or a shape such as '[D, H]'",
  hyperRange: "'[' or '(' to start the range, as in 'in [0, 1]'",
  shapeDim: "a dimension (a name, a whole number, or arithmetic on them such as 'N * T')",
  indexItem: "an index such as '0', ':' or '1:3'",
};

function firstTokensOf(paths: TokenType[][][]): string {
  const labels = new Set<string>();
  for (const alt of paths) for (const path of alt) if (path[0]) labels.add(tokenLabel(path[0]));
  return labels.size > 0 ? `one of ${join([...labels])}` : 'something else';
}
