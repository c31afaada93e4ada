/**
 * The tokens of the `.model` language, as exported constants in the order the lexer tries them.
 *
 * Order matters twice over: longer operators come before their prefixes (`==` before `=`), and
 * keywords come before `Identifier` (each keyword names `Identifier` as its `longer_alt`, so
 * `loss_scale` is one identifier rather than `loss` followed by `_scale`).
 *
 * Every token carries a `label` written for users: the parser's error messages print it
 * ("expected ']'", "expected a name"), so labels are phrases, not token-type names.
 */
import { createToken, Lexer, type TokenType } from 'chevrotain';

// ---------------------------------------------------------------------------------------------
// Categories. A category is an abstract token (pattern `Lexer.NA`) that the grammar can consume to
// accept any of its members; the CST then records the concrete token, so the AST builder can tell
// `+` from `-` without the grammar needing one alternative per operator.
// ---------------------------------------------------------------------------------------------

/** Any reserved word. Named arguments accept keywords as names (`f(init = 1)` is unambiguous). */
export const Keyword = createToken({ name: 'Keyword', pattern: Lexer.NA, label: 'a keyword' });
/** `==` `!=` `<=` `>=` `<` `>`: the loosest operators, giving 0/1 and no gradient. */
export const CompareOp = createToken({ name: 'CompareOp', pattern: Lexer.NA, label: 'a comparison' });
/** `+` `-` in binary position. */
export const AddOp = createToken({ name: 'AddOp', pattern: Lexer.NA, label: "'+' or '-'" });
/** `*` `/` `@` (matrix product). */
export const MulOp = createToken({ name: 'MulOp', pattern: Lexer.NA, label: "'*', '/' or '@'" });
/**
 * `^`, plus `**` which Python users type by habit: it is parsed as a power so that recovery stays
 * clean, and the AST builder reports it with a hint to write `^`.
 */
export const PowOp = createToken({ name: 'PowOp', pattern: Lexer.NA, label: "'^'" });
/**
 * A string literal, terminated or not. An unterminated string still lexes as a string (so the
 * parse carries on as the user meant) and is reported once, at the lexical stage.
 */
export const StringLiteral = createToken({ name: 'StringLiteral', pattern: Lexer.NA, label: 'a string' });

// ---------------------------------------------------------------------------------------------
// Skipped input.
// ---------------------------------------------------------------------------------------------

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /\s+/, group: Lexer.SKIPPED });
/** `# ...` and `// ...` run to the end of the line. */
export const Comment = createToken({ name: 'Comment', pattern: /(?:#|\/\/)[^\n\r]*/, group: Lexer.SKIPPED });

// ---------------------------------------------------------------------------------------------
// Literals and names.
// ---------------------------------------------------------------------------------------------

/** `"path/to/file.csv"`; backslash escapes are decoded (and checked) when the AST is built. */
export const QuotedString = createToken({
  name: 'QuotedString',
  pattern: /"(?:[^"\\\n\r]|\\.)*"/,
  categories: [StringLiteral],
  label: 'a string',
});
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /"(?:[^"\\\n\r]|\\.)*\\?/,
  categories: [StringLiteral],
  label: 'a string',
});

/**
 * Numbers: `2`, `0.5`, `.5`, `1e-3`, `2.5E+4`. The pattern is deliberately greedy: it also
 * swallows a malformed tail (`1e`, `1e-`, `2x`, `1.2.3`) so that a typo yields one "malformed
 * number" diagnostic (see `lexical.ts`) instead of a confusing parse error about a stray name.
 */
export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d*)?[A-Za-z0-9_.]*/,
  label: 'a number',
});

export const Identifier = createToken({
  name: 'Identifier',
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  label: 'a name',
});

function keyword(word: string): TokenType {
  const name = word[0].toUpperCase() + word.slice(1);
  return createToken({
    name,
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: [Keyword],
    label: `'${word}'`,
  });
}

export const Model = keyword('model');
export const Fn = keyword('fn');
export const Dim = keyword('dim');
export const Input = keyword('input');
export const Param = keyword('param');
export const Init = keyword('init');
export const Let = keyword('let');
export const Output = keyword('output');
export const Metric = keyword('metric');
export const Loss = keyword('loss');
export const Train = keyword('train');
export const Return = keyword('return');
export const Hyper = keyword('hyper');
/** `in`, of a hyper-parameter's range; after `input` and `init` in the lexing order. */
export const In = keyword('in');
/** `frozen`, after a param's type and initialiser: the param is not trained. */
export const Frozen = keyword('frozen');

/** The keywords that start a statement inside `model Name { ... }`, for "did you mean" hints. */
export const STATEMENT_KEYWORDS = [
  'dim',
  'hyper',
  'input',
  'param',
  'let',
  'output',
  'metric',
  'loss',
  'train',
] as const;
/** The keywords that start a top-level declaration. */
export const TOP_LEVEL_KEYWORDS = ['fn', 'model'] as const;

// ---------------------------------------------------------------------------------------------
// Operators and punctuation (two-character operators first).
// ---------------------------------------------------------------------------------------------

function punct(name: string, text: string, categories: TokenType[] = []): TokenType {
  return createToken({ name, pattern: text, categories, label: `'${text}'` });
}

export const EqEq = punct('EqEq', '==', [CompareOp]);
export const NotEq = punct('NotEq', '!=', [CompareOp]);
export const LtEq = punct('LtEq', '<=', [CompareOp]);
export const GtEq = punct('GtEq', '>=', [CompareOp]);
export const StarStar = punct('StarStar', '**', [PowOp]);
export const Lt = punct('Lt', '<', [CompareOp]);
export const Gt = punct('Gt', '>', [CompareOp]);
export const Plus = punct('Plus', '+', [AddOp]);
export const Minus = punct('Minus', '-', [AddOp]);
export const Star = punct('Star', '*', [MulOp]);
export const Slash = punct('Slash', '/', [MulOp]);
export const At = punct('At', '@', [MulOp]);
export const Caret = punct('Caret', '^', [PowOp]);
export const Equals = punct('Equals', '=');
export const LParen = punct('LParen', '(');
export const RParen = punct('RParen', ')');
export const LBracket = punct('LBracket', '[');
export const RBracket = punct('RBracket', ']');
export const LCurly = punct('LCurly', '{');
export const RCurly = punct('RCurly', '}');
export const Comma = punct('Comma', ',');
export const Colon = punct('Colon', ':');
export const Semicolon = punct('Semicolon', ';');

/**
 * Characters pasted from papers and slides (a Unicode minus, `×`, `≤`). Each lexes as the
 * operator it looks like, so the parse goes on as the user meant, and is reported once by the
 * lexical checks (E0001, with the ASCII spelling as a hint).
 */
function lookAlike(name: string, pattern: RegExp, category: TokenType, ascii: string): TokenType {
  return createToken({ name, pattern, categories: [category], label: `'${ascii}'` });
}

export const LookAlikeMinus = lookAlike('LookAlikeMinus', /[\u2212\u2013]/, AddOp, '-');
export const LookAlikeTimes = lookAlike('LookAlikeTimes', /[\u00d7\u00b7\u22c5]/, MulOp, '*');
export const LookAlikeDivide = lookAlike('LookAlikeDivide', /\u00f7/, MulOp, '/');
export const LookAlikeLtEq = lookAlike('LookAlikeLtEq', /\u2264/, CompareOp, '<=');
export const LookAlikeGtEq = lookAlike('LookAlikeGtEq', /\u2265/, CompareOp, '>=');
export const LookAlikeNotEq = lookAlike('LookAlikeNotEq', /\u2260/, CompareOp, '!=');

/** The ASCII operator each look-alike token stands for. */
export const LOOK_ALIKES: ReadonlyMap<TokenType, string> = new Map([
  [LookAlikeMinus, '-'],
  [LookAlikeTimes, '*'],
  [LookAlikeDivide, '/'],
  [LookAlikeLtEq, '<='],
  [LookAlikeGtEq, '>='],
  [LookAlikeNotEq, '!='],
]);

/** Every token type, in lexing order. Categories (pattern `Lexer.NA`) are ignored by the lexer. */
export const allTokens: TokenType[] = [
  Keyword,
  CompareOp,
  AddOp,
  MulOp,
  PowOp,
  StringLiteral,
  WhiteSpace,
  Comment,
  QuotedString,
  UnterminatedString,
  NumberLiteral,
  Model,
  Fn,
  Dim,
  Input,
  Param,
  Init,
  Let,
  Output,
  Metric,
  Loss,
  Train,
  Return,
  Hyper,
  In,
  Frozen,
  Identifier,
  EqEq,
  NotEq,
  LtEq,
  GtEq,
  StarStar,
  Lt,
  Gt,
  Plus,
  Minus,
  Star,
  Slash,
  At,
  Caret,
  Equals,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LCurly,
  RCurly,
  Comma,
  Colon,
  Semicolon,
  LookAlikeMinus,
  LookAlikeTimes,
  LookAlikeDivide,
  LookAlikeLtEq,
  LookAlikeGtEq,
  LookAlikeNotEq,
];

/**
 * The lexer. Full position tracking is needed for tokens' (inclusive) `endOffset`, from which CST
 * node locations are built. Chevrotain's line numbers are read in one place only (to tell whether
 * an unexpected token sits on a later line, `messages.ts`); diagnostics carry offsets, and line and
 * column are computed from them when a diagnostic is rendered.
 */
export const lexer = new Lexer(allTokens, { positionTracking: 'full' });
