import { type Diagnostic, diagnostic, type GradusError, type RelatedNote, type Span } from '@gradus/autodiff';

/**
 * Thrown inside the lowering of one statement and caught at the statement boundary, so one
 * mistake becomes one diagnostic and lowering goes on with the next statement.
 */
export class LowerError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

export function fail(
  code: string,
  message: string,
  span: Span,
  extra: { notes?: RelatedNote[]; hint?: string; label?: string } = {},
): never {
  throw new LowerError(diagnostic(code, message, { span, ...extra }));
}

/** A core error (shape rule, bad constant) as a diagnostic at `span` unless it already has one. */
export function fromCore(
  e: GradusError,
  span: Span,
  extra: { notes?: RelatedNote[]; hint?: string } = {},
): LowerError {
  const d = e.diagnostics[0];
  return new LowerError({
    ...d,
    span: d.span ?? span,
    notes: [...d.notes, ...(extra.notes ?? [])],
    ...(extra.hint ? { hint: extra.hint } : {}),
  });
}
