/**
 * Completion at an offset. The context is read from the lexer's tokens before the cursor (so it
 * works in a file that does not parse): the innermost open bracket and what precedes it say
 * whether the cursor is in a call's arguments (offer its named arguments), a declared shape
 * (dims), a `train { }` block (settings, then optimisers, schedules or data sets), after `init`
 * (initialisers), at the start of a statement (keywords), or in an expression (the names
 * declared above the cursor, the file's functions and the built-in functions).
 */
import type { IToken, TokenType } from 'chevrotain';
import { tokenMatcher } from 'chevrotain';
import {
  Colon,
  Comma,
  Equals,
  Fn,
  Identifier,
  Init,
  Keyword,
  LBracket,
  LCurly,
  Let,
  LParen,
  lexer,
  Model,
  RBracket,
  RCurly,
  Return,
  RParen,
  Semicolon,
  STATEMENT_KEYWORDS,
  TOP_LEVEL_KEYWORDS,
  Train,
} from '../syntax/tokens.js';
import type { Analysis } from './analysis.js';
import { signature } from './lookup.js';
import { type Context, settingContext } from './names.js';
import { BUILTIN_WORDS, type BuiltinWord, CONSTANTS, ELEMENT_TYPES, TRAIN_KEYS } from './vocabulary.js';

export type CompletionKind =
  | 'keyword'
  | 'type'
  | 'constant'
  | 'argument'
  | 'setting'
  | BuiltinWord['kind']
  | (string & {});

export interface Completion {
  readonly label: string;
  /** A built-in's kind, a declaration's kind (`let`, `param`, `dim`, ...), or one of the above. */
  readonly kind: CompletionKind;
  readonly detail?: string;
  readonly documentation?: string;
  /** What to insert when it is not the label (`axis = `). */
  readonly insertText?: string;
}

interface Open {
  readonly bracket: TokenType;
  /** Index of the opening bracket in the token list. */
  readonly at: number;
}

const CLOSERS = new Map<TokenType, TokenType>([
  [RParen, LParen],
  [RBracket, LBracket],
  [RCurly, LCurly],
]);

/** The brackets still open after the tokens, innermost last. */
function openBrackets(tokens: readonly IToken[]): Open[] {
  const stack: Open[] = [];
  tokens.forEach((t, at) => {
    if (t.tokenType === LParen || t.tokenType === LBracket || t.tokenType === LCurly)
      stack.push({ bracket: t.tokenType, at });
    const opener = CLOSERS.get(t.tokenType);
    if (opener !== undefined) {
      const i = stack.map((o) => o.bracket).lastIndexOf(opener);
      if (i >= 0) stack.length = i;
    }
  });
  return stack;
}

const is = (t: IToken | undefined, type: TokenType) => t !== undefined && tokenMatcher(t, type);

const builtinsOf = (kinds: Context): Completion[] =>
  BUILTIN_WORDS.filter((w) => kinds.includes(w.kind)).map((w) => ({
    label: w.name,
    kind: w.kind,
    detail: signature(w),
    documentation: w.doc,
  }));

const argumentsOf = (w: BuiltinWord | undefined, given: Given): Completion[] =>
  (w?.args ?? [])
    .filter((arg, i) => !given.named.has(arg.name) && (w?.variadic || i >= given.positional))
    .map((arg) => ({
      label: arg.name,
      kind: 'argument',
      detail: `${w?.name}(${arg.name} = ${arg.default ?? '…'})${arg.optional ? '' : ', required'}`,
      ...(arg.doc ? { documentation: arg.doc } : {}),
      insertText: `${arg.name} = `,
    }));

const words = (list: readonly string[], kind: CompletionKind): Completion[] =>
  list.map((label) => ({ label, kind }));

export function completionsAt(a: Analysis, offset: number): Completion[] {
  const all = lexer.tokenize(a.text.slice(0, offset)).tokens;
  const last = all.at(-1);
  // The word being typed is not context: `rel|` completes like `|`.
  const typing = last && (is(last, Identifier) || is(last, Keyword)) && last.endOffset! + 1 === offset;
  const tokens = typing ? all.slice(0, -1) : all;
  const before = tokens.at(-1);
  const stack = openBrackets(tokens);
  const inner = stack.at(-1);

  const trainAt = [...stack].reverse().find((o) => o.bracket === LCurly && is(tokens[o.at - 1], Train));
  if (trainAt !== undefined) return inTrainBlock(tokens, stack, trainAt, settingsAround(a, offset));

  if (inner?.bracket === LBracket && isShapeOpener(tokens, inner.at)) return names(a, offset, ['dim']);
  if (is(before, Colon) && inner?.bracket !== LBracket) return words(ELEMENT_TYPES, 'type');

  const statement = lastKeyword(tokens, stack);
  if (is(statement, Init)) {
    const call =
      inner?.bracket === LParen
        ? BUILTIN_WORDS.find((w) => w.name === tokens[inner.at - 1]?.image)
        : undefined;
    if (call && inArgumentPosition(before)) return argumentsOf(call, givenArguments(tokens, inner!.at));
    return builtinsOf(['initialiser']);
  }

  const expression = [...names(a, offset), ...builtinsOf(['function']), ...words(CONSTANTS, 'constant')];
  if (inner?.bracket === LParen && inArgumentPosition(before)) {
    const callee = tokens[inner.at - 1];
    const word = is(callee, Identifier)
      ? BUILTIN_WORDS.find((w) => w.kind === 'function' && w.name === callee!.image)
      : undefined;
    return [...argumentsOf(word, givenArguments(tokens, inner.at)), ...expression];
  }
  if (atStatementStart(a.text, tokens, offset, typing ? last : undefined)) {
    const body = [...stack].reverse().find((o) => o.bracket === LCurly);
    if (body && isFnBody(tokens, body.at))
      return [
        ...words(FN_BODY_KEYWORDS, 'keyword'),
        ...unparsedFnNames(tokens, body.at, expression),
        ...expression,
      ];
    const inModel = body !== undefined && isModelBody(tokens, body.at);
    const keywords = inModel ? STATEMENT_KEYWORDS : TOP_LEVEL_KEYWORDS;
    return [...words(keywords, 'keyword'), ...(inModel ? expression : [])];
  }
  return expression;
}

function inArgumentPosition(before: IToken | undefined): boolean {
  return is(before, LParen) || is(before, Comma);
}

interface Given {
  /** Arguments given by position (each binds the next parameter). */
  readonly positional: number;
  readonly named: ReadonlySet<string>;
}

/** The arguments already written in the call opened at `at`: how many by position, which by name. */
function givenArguments(tokens: readonly IToken[], at: number): Given {
  const named = new Set<string>();
  let positional = 0;
  let depth = 0;
  let argStart = at + 1;
  for (let i = at + 1; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.tokenType === LParen || t.tokenType === LBracket || t.tokenType === LCurly) depth++;
    else if (CLOSERS.has(t.tokenType)) depth--;
    else if (depth === 0 && is(tokens[i + 1], Equals) && (is(t, Identifier) || is(t, Keyword)))
      named.add(t.image);
    else if (depth === 0 && is(t, Comma)) {
      if (!is(tokens[argStart + 1], Equals)) positional++;
      argStart = i + 1;
    }
  }
  return { positional, named };
}

/** `:` `[` or `:` `float` `[`: a declared shape, not a slice or a literal. */
function isShapeOpener(tokens: readonly IToken[], at: number): boolean {
  const prev = tokens[at - 1];
  if (is(prev, Colon)) return true;
  return ELEMENT_TYPES.includes(prev?.image ?? '') && is(tokens[at - 2], Colon);
}

/** `model Name {`. */
function isModelBody(tokens: readonly IToken[], at: number): boolean {
  return is(tokens[at - 2], Model);
}

/** `fn name(params) {`: a block body, whose statements are `let`s and a `return`. */
function isFnBody(tokens: readonly IToken[], at: number): boolean {
  if (!is(tokens[at - 1], RParen)) return false;
  const open = tokens
    .slice(0, at - 1)
    .map((t) => t.tokenType)
    .lastIndexOf(LParen);
  return open >= 2 && is(tokens[open - 2], Fn);
}

/**
 * A function body being typed may not parse yet (it has no `return`), so the tree has no function
 * to take names from: its parameters and the `let`s above the cursor are read from the tokens.
 */
function unparsedFnNames(
  tokens: readonly IToken[],
  body: number,
  known: readonly Completion[],
): Completion[] {
  const open = tokens
    .slice(0, body - 1)
    .map((t) => t.tokenType)
    .lastIndexOf(LParen);
  const params = tokens.slice(open + 1, body - 1).filter((t) => is(t, Identifier));
  const lets = tokens.slice(body + 1).filter((t, i, list) => is(list[i - 1], Let) && is(t, Identifier));
  const have = new Set(known.map((c) => c.label));
  return [
    ...params.map((t) => ({ label: t.image, kind: 'fnParam' })),
    ...lets.map((t) => ({ label: t.image, kind: 'let' })),
  ].filter((c) => !have.has(c.label) && have.add(c.label));
}

const FN_BODY_KEYWORDS = [Let, Return].map((t) => String((t.PATTERN as RegExp).source));

/** The keyword that starts the statement the cursor is in (keywords used as `init = ` excluded). */
function lastKeyword(tokens: readonly IToken[], stack: readonly Open[]): IToken | undefined {
  const body = [...stack].reverse().find((o) => o.bracket === LCurly)?.at ?? -1;
  for (let i = tokens.length - 1; i > body; i--) {
    const t = tokens[i];
    if (is(t, Keyword) && !is(tokens[i + 1], Equals)) return t;
  }
  return undefined;
}

/** At the start of a line, or just after `{`, `}` or `;`. */
function atStatementStart(
  text: string,
  tokens: readonly IToken[],
  offset: number,
  typing: IToken | undefined,
): boolean {
  const before = tokens.at(-1);
  if (before === undefined || is(before, LCurly) || is(before, RCurly) || is(before, Semicolon)) return true;
  const start = typing?.startOffset ?? offset;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  return before.startOffset < lineStart && !/\S/.test(text.slice(lineStart, start)) && !is(before, Equals);
}

/** Names declared above the offset in the model or function around it. */
function names(a: Analysis, offset: number, kinds?: readonly string[]): Completion[] {
  const around = (s: { start: number; end: number }) => s.start <= offset && offset <= s.end;
  const scopes = [...a.program.fns, ...a.program.models];
  const home =
    scopes.find((s) => around(s.span)) ??
    scopes.filter((s) => s.span.start <= offset).sort((x, y) => y.span.start - x.span.start)[0];
  const out: Completion[] = [];
  const seen = new Set<string>();
  for (const d of a.names.declarations) {
    const local = d.parent !== undefined && d.parent.nameSpan.start === home?.nameSpan.start;
    const global = d.kind === 'fn';
    if (!(local && d.nameSpan.end < offset) && !global) continue;
    if (kinds && !kinds.includes(d.kind)) continue;
    if (seen.has(d.name)) continue;
    seen.add(d.name);
    const type = a.types.get(d.nameSpan.start)?.[0];
    out.push({ label: d.name, kind: d.kind, ...(type ? { detail: type } : {}) });
  }
  return out;
}

/** The keys the `train { }` block around the offset already sets (after the cursor too). */
function settingsAround(a: Analysis, offset: number): string[] {
  return a.program.models
    .flatMap((m) => m.stmts)
    .flatMap((s) => (s.kind === 'train' && s.span.start <= offset && offset <= s.span.end ? s.settings : []))
    .map((s) => s.key);
}

function inTrainBlock(
  tokens: readonly IToken[],
  stack: readonly Open[],
  block: Open,
  elsewhere: readonly string[],
): Completion[] {
  const inner = stack.at(-1)!;
  const before = tokens.at(-1);
  if (inner === block) {
    if (is(before, Equals)) {
      const key = TRAIN_KEYS.find((k) => k.name === tokens.at(-2)?.image);
      return builtinsOf(settingContext(key?.type));
    }
    const set = new Set([
      ...elsewhere,
      ...tokens
        .slice(block.at + 1)
        .filter((_, i, list) => is(list[i + 1], Equals))
        .map((t) => t.image),
    ]);
    return TRAIN_KEYS.filter((k) => !set.has(k.name)).map((k) => ({
      label: k.name,
      kind: 'setting',
      documentation: k.doc,
      insertText: `${k.name} = `,
    }));
  }
  // Inside a call such as `adam(` or `warmup(steps = 50, then = `.
  const outer = stack[stack.indexOf(block) + 1];
  const keyName = tokens[outer.at - 3]?.image;
  const kinds = settingContext(TRAIN_KEYS.find((k) => k.name === keyName)?.type);
  const callee = BUILTIN_WORDS.find((w) => kinds.includes(w.kind) && w.name === tokens[inner.at - 1]?.image);
  if (inner.bracket === LParen && inArgumentPosition(before))
    return argumentsOf(callee, givenArguments(tokens, inner.at));
  if (is(before, Equals)) return builtinsOf(['schedule']);
  return [];
}
