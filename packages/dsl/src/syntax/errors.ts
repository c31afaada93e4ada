/**
 * The catalogue of syntax diagnostics: one named factory per code, so codes stay stable and
 * messages consistent. Syntax codes live in E00xx; later stages use other ranges.
 *
 * | code  | meaning                                                          |
 * |-------|------------------------------------------------------------------|
 * | E0001 | a character that starts no token (`$`, `%`, a Unicode minus)     |
 * | E0002 | unexpected token: something else was expected here               |
 * | E0003 | unclosed delimiter: a `(`, `[` or `{` is missing its closer      |
 * | E0004 | malformed number (`1e`, `2x`, `1.2.3`, `1e999`)                  |
 * | E0005 | unterminated string                                              |
 * | E0006 | unknown escape sequence in a string                              |
 * | E0007 | chained comparison (`a < b < c`)                                 |
 * | E0008 | a size that is not a whole number (`[2.5]`, `dim D = 1e-3`)      |
 * | E0009 | unknown element type (`flaot[N]`)                                |
 * | E0010 | a parameter declared with a non-float element type               |
 * | E0011 | positional argument after a named one                            |
 * | E0012 | unknown statement in a model body (`parm W: ...`)                |
 * | E0013 | `**` used as the power operator (`^` in `.model` files)          |
 * | E0014 | brackets or operators nested too deeply to parse                 |
 * | E0099 | internal parser error (a bug in Gradus, never the user's fault)  |
 */
import { type Diagnostic, diagnostic, type RelatedNote, type Span } from '@gradus/autodiff';

export const SYNTAX_CODES = {
  E0001: 'unexpected character',
  E0002: 'unexpected token',
  E0003: 'unclosed delimiter',
  E0004: 'malformed number',
  E0005: 'unterminated string',
  E0006: 'unknown escape sequence',
  E0007: 'chained comparison',
  E0008: 'size is not a whole number',
  E0009: 'unknown element type',
  E0010: 'parameter is not float',
  E0011: 'positional argument after named argument',
  E0012: 'unknown statement',
  E0013: "'**' is not an operator",
  E0014: 'nested too deeply',
  E0099: 'internal parser error',
} as const;

export type SyntaxCode = keyof typeof SYNTAX_CODES;

interface Extra {
  readonly label?: string;
  readonly notes?: readonly RelatedNote[];
  readonly hint?: string;
}

function make(code: SyntaxCode, message: string, span: Span, extra: Extra = {}): Diagnostic {
  const { label, notes, hint } = extra;
  return diagnostic(code, message, {
    span,
    ...(label !== undefined ? { label } : {}),
    ...(notes !== undefined ? { notes } : {}),
    ...(hint !== undefined ? { hint } : {}),
  });
}

export function unexpectedCharacter(span: Span, shown: string, hint?: string): Diagnostic {
  const plural = [...shown].length > 1 ? 'characters' : 'character';
  return make('E0001', `unexpected ${plural} '${shown}'`, span, { label: 'not part of the language', hint });
}

/** E0002: the parser's message (see `messages.ts`) says what was expected and what was found. */
export function unexpectedToken(span: Span, message: string, extra: Extra = {}): Diagnostic {
  return make('E0002', message, span, extra);
}

export function unclosedDelimiter(
  span: Span,
  message: string,
  closer: string,
  notes: RelatedNote[],
): Diagnostic {
  return make('E0003', message, span, { label: `expected ${closer}`, notes });
}

export function malformedNumber(span: Span, raw: string, hint: string): Diagnostic {
  return make('E0004', `malformed number '${raw}'`, span, { label: 'not a number', hint });
}

export function unterminatedString(span: Span): Diagnostic {
  return make('E0005', 'unterminated string', span, {
    label: 'never closed',
    hint: "close it with '\"' before the end of the line",
  });
}

export function unknownEscape(span: Span, sequence: string): Diagnostic {
  return make('E0006', `unknown escape sequence '${sequence}' in a string`, span, {
    label: 'unknown escape',
    hint: "the escapes are \\\" \\\\ \\n \\t \\r; write '\\\\' for a backslash (or use '/' in paths)",
  });
}

export function chainedComparison(span: Span): Diagnostic {
  return make('E0007', 'comparison operators cannot be chained', span, {
    label: 'compares the 0/1 result of the comparison before it',
    hint: 'compare two values at a time and combine the results, e.g. (a < b) * (b < c)',
  });
}

export function notWholeNumber(span: Span, raw: string, what: string): Diagnostic {
  return make('E0008', `${what} must be a whole number, found '${raw}'`, span, {
    label: 'not a whole number',
  });
}

export function unknownElementType(span: Span, name: string, suggestion: string | undefined): Diagnostic {
  return make('E0009', `unknown element type '${name}'`, span, {
    label: 'expected float, int or bool',
    hint: suggestion ? `did you mean '${suggestion}'?` : undefined,
  });
}

export function paramNotFloat(span: Span, dtype: string): Diagnostic {
  return make(
    'E0010',
    `parameters are trained by gradient descent, so they must be float, not '${dtype}'`,
    span,
    {
      label: 'not float',
      hint: "drop the element type ('param W: [D, H] ...') or write 'float'",
    },
  );
}

export function positionalAfterNamed(span: Span, named: Span): Diagnostic {
  return make('E0011', 'positional argument after a named argument', span, {
    label: 'positional argument',
    notes: [{ message: 'the first named argument is here', span: named }],
    hint: 'put positional arguments first',
  });
}

export function unknownStatement(span: Span, word: string, hint: string | undefined): Diagnostic {
  return make('E0012', `unknown statement '${word}'`, span, {
    label: 'not a statement keyword',
    hint: hint ?? 'statements start with dim, input, param, let, output, metric, loss or train',
  });
}

export function starStarPower(span: Span): Diagnostic {
  return make('E0013', "'**' is not an operator in .model files", span, {
    label: "write '^'",
    hint: "powers are written with '^', as in x^2",
  });
}

/**
 * The parser is recursive, and its error recovery walks the grammar along the whole rule stack,
 * so extreme nesting would exhaust the JavaScript stack. No real model comes close to the limit.
 */
export function nestedTooDeeply(
  span: Span,
  tooDeep?: { readonly what: 'brackets' | 'operators'; readonly limit: number },
): Diagnostic {
  const detail =
    tooDeep === undefined
      ? ''
      : tooDeep.what === 'brackets'
        ? ` (more than ${tooDeep.limit} levels of brackets)`
        : ` (signs, powers and brackets more than ${tooDeep.limit} deep)`;
  return make('E0014', `nested too deeply to parse${detail}`, span, {
    label: 'too deep',
    hint: "name intermediate results with 'let' to flatten the expression",
  });
}

export function internalError(span: Span, detail: string): Diagnostic {
  return make('E0099', `internal parser error: ${detail}`, span, {
    hint: 'this is a bug in Gradus, not in your file; please report it with the file attached',
  });
}
