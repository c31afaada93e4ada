/**
 * Syntax highlighting from the lexer itself: each line is cut into tokens by the same chevrotain
 * lexer the parser uses, and each token gets a class from its token type (categories first, so a
 * keyword added to the lexer is highlighted as one at once) and, for names, from the vocabulary.
 * Two contexts colour names as dimensions: the names a `dim` statement declares, and the names
 * inside a declared shape (`float[N, D]`, `[D, H]`).
 *
 * The same function is CodeMirror 6's stream parser (`gradusStreamParser`, for
 * `StreamLanguage.define`) and, through `highlightText`, the reference the TextMate grammar is
 * tested against.
 */
import type { IToken, TokenType } from 'chevrotain';
import {
  AddOp,
  Colon,
  Comma,
  Comment,
  CompareOp,
  Dim,
  Equals,
  Identifier,
  Keyword,
  LBracket,
  LCurly,
  LOOK_ALIKES,
  LParen,
  lexer,
  MulOp,
  NumberLiteral,
  PowOp,
  RBracket,
  RCurly,
  RParen,
  Semicolon,
  StringLiteral,
  WhiteSpace,
} from '../syntax/tokens.js';
import { BUILTIN_NAMES, CONSTANTS, ELEMENT_TYPES, inCategory } from './vocabulary.js';

export type HighlightClass =
  | 'comment'
  | 'string'
  | 'number'
  | 'keyword'
  | 'type'
  | 'dim'
  | 'builtin'
  | 'constant'
  | 'name'
  | 'operator'
  | 'bracket'
  | 'punctuation'
  /** Characters the lexer rejects, and look-alike operators pasted from papers (E0001). */
  | 'invalid';

const OPERATOR_CATEGORIES = [CompareOp, AddOp, MulOp, PowOp];
const BRACKETS: readonly TokenType[] = [LParen, RParen, LBracket, RBracket, LCurly, RCurly];
const PUNCTUATION: readonly TokenType[] = [Comma, Colon, Semicolon];

/**
 * The class of a token type, before context (a name is `'name'` here). `undefined` for a token
 * type nobody has classified yet: a test runs this over every token the lexer can produce, so a
 * new token cannot go unhighlighted unnoticed.
 */
export function tokenClass(type: TokenType): HighlightClass | undefined {
  if (type === Comment) return 'comment';
  if (inCategory(type, StringLiteral)) return 'string';
  if (type === NumberLiteral) return 'number';
  if (inCategory(type, Keyword)) return 'keyword';
  if (type === Identifier) return 'name';
  if (LOOK_ALIKES.has(type)) return 'invalid';
  if (type === Equals || OPERATOR_CATEGORIES.some((c) => inCategory(type, c))) return 'operator';
  if (BRACKETS.includes(type)) return 'bracket';
  if (PUNCTUATION.includes(type)) return 'punctuation';
  return undefined;
}

/** What the highlighter carries from one token (and one line) to the next. */
export interface HighlightState {
  /** Inside a `dim` statement: names are dimensions being declared. */
  dimStatement: boolean;
  /** Just after a `:` (and perhaps an element type): a `[` here opens a shape. */
  typePending: boolean;
  /** Bracket depth inside a declared shape; 0 outside one. */
  shapeDepth: number;
}

export function startState(): HighlightState {
  return { dimStatement: false, typePending: false, shapeDepth: 0 };
}

/** The class of one token in context; advances `state` past it. */
export function classifyToken(state: HighlightState, type: TokenType, image: string): HighlightClass {
  const base = tokenClass(type) ?? 'invalid';
  const pending = state.typePending;
  state.typePending = false;
  if (base === 'comment') {
    state.typePending = pending;
    return base;
  }
  if (base === 'keyword') state.dimStatement = type === Dim;
  if (type === RCurly || type === Semicolon) state.dimStatement = false;
  if (type === Colon) state.typePending = state.shapeDepth === 0;
  if (type === LBracket && (pending || state.shapeDepth > 0)) state.shapeDepth++;
  else if (type === RBracket && state.shapeDepth > 0) state.shapeDepth--;
  if (base !== 'name') return base;
  if (ELEMENT_TYPES.includes(image)) {
    state.typePending = pending;
    return 'type';
  }
  if (state.dimStatement || state.shapeDepth > 0) return 'dim';
  if (CONSTANTS.includes(image)) return 'constant';
  if (BUILTIN_NAMES.has(image)) return 'builtin';
  return 'name';
}

// ---------------------------------------------------------------------------------------------
// The stream parser
// ---------------------------------------------------------------------------------------------

/** The part of CodeMirror's `StringStream` the highlighter uses: the line and a position in it. */
export interface LineStream {
  readonly string: string;
  pos: number;
}

const lineCache = { line: '', tokens: new Map<number, IToken>() };

/** The lexer's tokens of one line, by start offset (the last line lexed is kept). */
function tokensOf(line: string): ReadonlyMap<number, IToken> {
  if (lineCache.line !== line || lineCache.tokens.size === 0) {
    lineCache.line = line;
    lineCache.tokens = new Map(lexer.tokenize(line).tokens.map((t) => [t.startOffset, t]));
  }
  return lineCache.tokens;
}

function matchAt(pattern: TokenType['PATTERN'], line: string, pos: number): number {
  if (!(pattern instanceof RegExp)) return 0;
  const sticky = new RegExp(pattern.source, 'y');
  sticky.lastIndex = pos;
  return sticky.exec(line)?.[0].length ?? 0;
}

/**
 * Reads one token at `stream.pos`, moves past it, and returns its class (`null` for whitespace).
 * Tokens never span lines in this language, so lexing one line at a time is exact. Comments are
 * skipped by the lexer, so they are recognised by the lexer's own comment pattern.
 */
export function readToken(stream: LineStream, state: HighlightState): HighlightClass | null {
  const line = stream.string;
  const space = matchAt(WhiteSpace.PATTERN, line, stream.pos);
  if (space > 0) {
    stream.pos += space;
    return null;
  }
  const token = tokensOf(line).get(stream.pos);
  if (token !== undefined) {
    stream.pos = token.endOffset === undefined ? line.length : token.endOffset + 1;
    return classifyToken(state, token.tokenType, token.image);
  }
  const comment = matchAt(Comment.PATTERN, line, stream.pos);
  if (comment > 0) {
    stream.pos += comment;
    return classifyToken(state, Comment, line.slice(stream.pos - comment, stream.pos));
  }
  stream.pos += line.codePointAt(stream.pos)! > 0xffff ? 2 : 1;
  return 'invalid';
}

/** CodeMirror's highlighting tag for each class (see `@lezer/highlight`'s `tags`). */
export const CODEMIRROR_TAGS: Readonly<Record<HighlightClass, string>> = {
  comment: 'comment',
  string: 'string',
  number: 'number',
  keyword: 'keyword',
  type: 'typeName',
  dim: 'variableName.special',
  builtin: 'variableName.standard',
  constant: 'bool',
  name: 'variableName',
  operator: 'operator',
  bracket: 'bracket',
  punctuation: 'punctuation',
  invalid: 'invalid',
};

/**
 * A CodeMirror 6 stream parser for `.model` files:
 * `StreamLanguage.define(gradusStreamParser)` from `@codemirror/language`.
 */
export const gradusStreamParser = {
  name: 'gradus',
  startState,
  copyState: (s: HighlightState): HighlightState => ({ ...s }),
  token(stream: LineStream, state: HighlightState): string | null {
    const cls = readToken(stream, state);
    return cls === null ? null : CODEMIRROR_TAGS[cls];
  },
  languageData: {
    commentTokens: { line: '#' },
    closeBrackets: { brackets: ['(', '[', '{', '"'] },
  },
} as const;

/** One highlighted piece of a text: `[start, end)` offsets and its class. */
export interface Highlight {
  readonly start: number;
  readonly end: number;
  readonly cls: HighlightClass;
}

/** Highlights a whole text, line by line, exactly as the stream parser does in an editor. */
export function highlightText(text: string): Highlight[] {
  const out: Highlight[] = [];
  const state = startState();
  let offset = 0;
  for (const line of text.split(/(?<=\n)/)) {
    const body = line.replace(/\r?\n$/, '');
    const stream: LineStream = { string: body, pos: 0 };
    while (stream.pos < body.length) {
      const start = stream.pos;
      const cls = readToken(stream, state);
      if (cls !== null) out.push({ start: offset + start, end: offset + stream.pos, cls });
    }
    offset += line.length;
  }
  return out;
}
