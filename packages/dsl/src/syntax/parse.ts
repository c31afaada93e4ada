/**
 * `parse(text)`: source text → AST and diagnostics. Never throws.
 *
 * Three stages each contribute diagnostics: lexing (`lexical.ts`), parsing with recovery
 * (`parse-errors.ts` turns chevrotain's recognition errors into diagnostics), and AST building
 * (`to-ast.ts`). The result is sorted by position.
 */
import type { Diagnostic } from '@gradus/autodiff';
import type { Program } from './ast.js';
import type { ProgramCstNode } from './cst.js';
import { internalError, nestedTooDeeply } from './errors.js';
import { excessiveNesting, lex } from './lexical.js';
import { ErrorContext } from './parse-errors.js';
import { parser, parserMessages } from './parser.js';
import { toAst } from './to-ast.js';

export interface ParseResult {
  readonly program: Program;
  readonly diagnostics: Diagnostic[];
}

export function parse(text: string): ParseResult {
  try {
    return parseUnguarded(text);
  } catch (error) {
    // Only a bug (or a stack exhausted by nesting the pre-check let through) can get here:
    // report it as a diagnostic rather than crashing the caller.
    const start = { start: 0, end: 0 };
    const diagnostic =
      error instanceof RangeError
        ? nestedTooDeeply(start, undefined)
        : internalError(start, error instanceof Error ? error.message : String(error));
    return { program: emptyProgram(text), diagnostics: [diagnostic] };
  }
}

function emptyProgram(text: string): Program {
  return { kind: 'program', fns: [], models: [], span: { start: 0, end: text.length } };
}

function parseUnguarded(text: string): ParseResult {
  const lexed = lex(text);
  const tooDeep = excessiveNesting(lexed.tokens);
  if (tooDeep !== undefined) {
    return {
      program: emptyProgram(text),
      diagnostics: [...lexed.diagnostics, nestedTooDeeply(tooDeep.span, tooDeep)],
    };
  }
  parserMessages.reset();
  parser.input = lexed.tokens;
  // The grammar's start rule yields the node `cst.ts` describes as `ProgramCstNode`.
  const cst = parser.program() as ProgramCstNode;
  const context = new ErrorContext(text, lexed.tokens);
  const syntax = parser.errors.map((e) => context.toDiagnostic(e));
  const built = toAst(cst, text.length);
  return { program: built.program, diagnostics: arrange(lexed.diagnostics, syntax, built.diagnostics) };
}

/**
 * Sort by position, and keep one diagnostic per position: recovery can report a second error at
 * the token that caused the first, and a lexical error (an unterminated string, say) explains
 * any parse error at the same token better than the parse error does.
 */
function arrange(
  lexical: readonly Diagnostic[],
  syntax: readonly Diagnostic[],
  semantic: readonly Diagnostic[],
): Diagnostic[] {
  const taken = new Set(lexical.map((d) => d.span?.start));
  const kept: Diagnostic[] = [...lexical];
  for (const d of syntax) {
    if (taken.has(d.span?.start)) continue;
    taken.add(d.span?.start);
    kept.push(d);
  }
  kept.push(...semantic);
  return kept
    .map((d, i) => ({ d, i }))
    .sort((a, b) => (a.d.span?.start ?? 0) - (b.d.span?.start ?? 0) || a.i - b.i)
    .map(({ d }) => d);
}
