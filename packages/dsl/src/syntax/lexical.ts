/**
 * Lexing, plus the checks that need only single tokens: unknown characters (E0001), malformed
 * numbers (E0004), unterminated strings (E0005) and unknown escapes (E0006). These are reported
 * here, once, whatever the parser later makes of the token, and the parser sees a normal token
 * stream (a malformed number is still a number), so one typo yields one diagnostic.
 */
import type { Diagnostic, Span } from '@gradus/autodiff';
import { type IToken, tokenMatcher } from 'chevrotain';
import { malformedNumber, unexpectedCharacter, unknownEscape, unterminatedString } from './errors.js';
import { tokenSpan } from './spans.js';
import {
  AddOp,
  Equals,
  Identifier,
  Keyword,
  LBracket,
  LCurly,
  LOOK_ALIKES,
  LParen,
  lexer,
  NumberLiteral,
  PowOp,
  QuotedString,
  RBracket,
  RCurly,
  RParen,
  UnterminatedString,
} from './tokens.js';

export interface Lexed {
  readonly tokens: IToken[];
  readonly diagnostics: Diagnostic[];
}

export function lex(text: string): Lexed {
  const result = lexer.tokenize(text);
  const diagnostics: Diagnostic[] = [];
  for (const error of result.errors) {
    const start = Math.min(Math.max(0, error.offset), text.length);
    const end = Math.min(text.length, start + Math.max(1, error.length));
    const bad = text.slice(start, end);
    diagnostics.push(unexpectedCharacter({ start, end }, showCharacters(bad), characterHint(bad)));
  }
  for (const token of result.tokens) diagnostics.push(...checkToken(token));
  return { tokens: result.tokens, diagnostics };
}

function checkToken(token: IToken): Diagnostic[] {
  const span = tokenSpan(token);
  if (span === undefined) return [];
  if (tokenMatcher(token, NumberLiteral) && !VALID_NUMBER.test(token.image)) {
    return [malformedNumber(span, token.image, numberHint(token.image))];
  }
  if (tokenMatcher(token, NumberLiteral) && !Number.isFinite(Number(token.image))) {
    return [
      malformedNumber(
        span,
        token.image,
        `numbers are 64-bit floats: at most about 1.8e308 (${token.image} would be infinite)`,
      ),
    ];
  }
  if (tokenMatcher(token, UnterminatedString)) return [unterminatedString(span)];
  const ascii = LOOK_ALIKES.get(token.tokenType);
  if (ascii !== undefined) {
    return [
      unexpectedCharacter(
        span,
        showCharacters(token.image),
        characterHint(token.image) ?? `write '${ascii}'`,
      ),
    ];
  }
  if (tokenMatcher(token, QuotedString)) {
    return decodeString(token.image, true).badEscapes.map((bad) =>
      unknownEscape(
        { start: span.start + bad.offset, end: span.start + bad.offset + bad.text.length },
        bad.text,
      ),
    );
  }
  return [];
}

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

const VALID_NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const NUMBER_PREFIX = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;

/** Whether a number literal's text is well formed. */
export function isValidNumber(raw: string): boolean {
  return VALID_NUMBER.test(raw);
}

/** The value of a number literal; a malformed one (already reported) reads as its valid prefix. */
export function numberValue(raw: string): number {
  const prefix = NUMBER_PREFIX.exec(raw)?.[0];
  return prefix === undefined ? Number.NaN : Number(prefix);
}

function numberHint(raw: string): string {
  if (/^(?:\d+(?:\.\d*)?|\.\d+)[eE][+-]?$/.test(raw)) return 'an exponent needs digits, as in 1e-3';
  const prefix = NUMBER_PREFIX.exec(raw)?.[0] ?? '';
  const rest = raw.slice(prefix.length);
  if (/^[A-Za-z_]/.test(rest))
    return `put an operator between a number and a name, as in ${prefix} * ${rest}`;
  return 'write numbers as 3, 0.5, .5 or 1e-3';
}

// ---------------------------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------------------------

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };

export interface DecodedString {
  readonly value: string;
  /** Unknown escapes, with their offsets relative to the start of the token. */
  readonly badEscapes: readonly { readonly offset: number; readonly text: string }[];
}

/**
 * Decode a string token's image: the opening quote included, the closing one too when `closed`
 * (an `UnterminatedString` token has none, and may end in a lone backslash).
 */
export function decodeString(image: string, closed: boolean): DecodedString {
  const body = image.slice(1, closed ? -1 : undefined);
  let value = '';
  const badEscapes: { offset: number; text: string }[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      value += c;
      continue;
    }
    const next = body[i + 1];
    if (next === undefined) break; // a trailing backslash of an unterminated string
    const decoded = ESCAPES[next];
    if (decoded === undefined) badEscapes.push({ offset: i + 1, text: `\\${next}` });
    value += decoded ?? next;
    i++;
  }
  return { value, badEscapes };
}

// ---------------------------------------------------------------------------------------------
// Characters
// ---------------------------------------------------------------------------------------------

/** Characters people paste from papers and slides, with what to type instead. */
const CHARACTER_HINTS: Readonly<Record<string, string>> = {
  '\u2212': "this is a Unicode minus sign; type '-'",
  '\u2013': "this is a dash; type '-' for minus",
  '\u00d7': "write '*' to multiply (elementwise), or '@' for the matrix product",
  '\u00b7': "write '*' to multiply (elementwise), or '@' for the matrix product",
  '\u22c5': "write '*' to multiply (elementwise), or '@' for the matrix product",
  '\u00f7': "write '/' to divide",
  '\u2264': "write '<='",
  '\u2265': "write '>='",
  '\u2260': "write '!='",
  '\u00b2': 'write x^2',
  '\u201c': 'this is a typographic quote; strings use straight double quotes: "..."',
  '\u201d': 'this is a typographic quote; strings use straight double quotes: "..."',
  "'": 'strings use double quotes: "..."',
  '\u2018': 'strings use double quotes: "..."',
  '\u2019': 'strings use double quotes: "..."',
  '!': "'!' is only part of '!='",
  '&': "there are no logical operators; multiply 0/1 comparisons for 'and'",
  '|': "there are no logical operators; multiply 0/1 comparisons for 'and'",
  '.': "a number needs a digit next to its '.', as in 0.5",
};

function characterHint(bad: string): string | undefined {
  const first = [...bad][0];
  return first === undefined ? undefined : CHARACTER_HINTS[first];
}

/** Quote-safe display of source characters: control and invisible characters as `\u{...}`. */
export function showCharacters(chars: string): string {
  const shown = [...chars]
    .map((c) => {
      const code = c.codePointAt(0) ?? 0;
      const invisible = code < 0x20 || (code >= 0x7f && code <= 0xa0) || code === 0xfeff || code === 0x200b;
      return invisible ? `\\u{${code.toString(16)}}` : c;
    })
    .join('');
  return shown.length > 20 ? `${shown.slice(0, 17)}...` : shown;
}

// ---------------------------------------------------------------------------------------------
// Nesting
// ---------------------------------------------------------------------------------------------

/** Deeper bracket nesting than this is refused before parsing (see `nestedTooDeeply`). */
export const MAX_NESTING = 32;

/**
 * Prefix signs and powers (`- - x`, `a^b^c`) nest like brackets: each is a level of recursion in
 * the parser and in lowering. Brackets and such chains together may nest this deep; deeper is
 * refused before parsing. (Chains of `+`, `*` and the other left-associative operators are
 * lowered by loops and are not limited.)
 */
export const MAX_OPERATOR_CHAIN = 256;

export interface TooDeep {
  readonly span: Span;
  /** What is nested: brackets, or a chain of signs and powers. */
  readonly what: 'brackets' | 'operators';
  readonly limit: number;
}

/** Tokens after which `+` and `-` are binary (they end an operand). */
const OPERAND_ENDS = [Identifier, NumberLiteral, QuotedString, UnterminatedString, RParen, RBracket];

/**
 * The first place where brackets nest deeper than `MAX_NESTING`, or a chain of signs and powers
 * grows longer than `MAX_OPERATOR_CHAIN`, within one statement, if any. Depth restarts at each
 * keyword that starts a statement or declaration (any keyword not used as an argument name,
 * `init = ...`): recovery unwinds to the statement there, so a long file with many unclosed
 * parentheses is not mistaken for one deep expression.
 */
export function excessiveNesting(tokens: readonly IToken[]): TooDeep | undefined {
  // One chain length per open bracket: `-(-(-x))` is three chains of one link inside brackets,
  // which nest six deep.
  let chains = [0];
  for (const [i, token] of tokens.entries()) {
    const prev = i > 0 ? tokens[i - 1] : undefined;
    if (tokenMatcher(token, Keyword) && !(i + 1 < tokens.length && tokenMatcher(tokens[i + 1], Equals))) {
      chains = [0];
    } else if (tokenMatcher(token, LParen) || tokenMatcher(token, LBracket) || tokenMatcher(token, LCurly)) {
      chains.push(0);
      if (chains.length - 1 > MAX_NESTING)
        return { span: tokenSpan(token) as Span, what: 'brackets', limit: MAX_NESTING };
    } else if (tokenMatcher(token, RParen) || tokenMatcher(token, RBracket) || tokenMatcher(token, RCurly)) {
      if (chains.length > 1) chains.pop();
    } else if (
      tokenMatcher(token, PowOp) ||
      (tokenMatcher(token, AddOp) && !(prev && OPERAND_ENDS.some((t) => tokenMatcher(prev, t))))
    ) {
      chains[chains.length - 1]++;
      const depth = chains.reduce((a, b) => a + b, chains.length - 1);
      if (depth > MAX_OPERATOR_CHAIN)
        return { span: tokenSpan(token) as Span, what: 'operators', limit: MAX_OPERATOR_CHAIN };
    } else if (!OPERAND_ENDS.some((t) => tokenMatcher(token, t))) {
      chains[chains.length - 1] = 0;
    }
  }
  return undefined;
}
