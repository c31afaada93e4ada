/**
 * Checking a model from its text, and the errors a model's users see: no file system here, so
 * the browser playground checks and lowers models with the same code as `gradus check`.
 * `model-file.ts` reads `.model` files (Node) and re-exports these.
 */
import type { Diagnostic } from '@gradus/autodiff';
import { type RenderOptions, renderDiagnostics, type SourceFile } from './diagnostics/index.js';
import { type Lowered, type LowerOptions, lower } from './lower/index.js';
import type { Program } from './syntax/ast.js';
import { parse } from './syntax/index.js';

/** A `.model` file checked end to end: parse, then lower (only when parsing succeeded). */
export interface CheckedModel {
  readonly file: SourceFile;
  readonly program: Program;
  readonly diagnostics: readonly Diagnostic[];
  /** Present when there are no errors. */
  readonly lowered?: Lowered;
}

export function checkSource(file: SourceFile, opts: LowerOptions = {}): CheckedModel {
  const parsed = parse(file.text);
  if (parsed.diagnostics.some((d) => d.severity === 'error')) {
    return { file, program: parsed.program, diagnostics: parsed.diagnostics };
  }
  const { result, diagnostics } = lower(parsed.program, opts);
  return {
    file,
    program: parsed.program,
    diagnostics: [...parsed.diagnostics, ...diagnostics],
    ...(result ? { lowered: result } : {}),
  };
}

/** A problem that is not located in a `.model` file (a missing file, a bad flag, unreadable JSON). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Diagnostics located in a model file: the CLI renders them with code frames. */
export class ModelErrors extends Error {
  constructor(
    readonly file: SourceFile,
    readonly diagnostics: readonly Diagnostic[],
  ) {
    super(`${file.name}: ${diagnostics.length} error${diagnostics.length === 1 ? '' : 's'}`);
    this.name = 'ModelErrors';
  }
  render(opts: RenderOptions = {}): string {
    return renderDiagnostics(this.diagnostics, this.file, opts);
  }
}
