/**
 * Diagnostics are values: every stage (validation, shape inference, the DSL's lexer, parser and
 * lowering) reports problems as `Diagnostic`s carrying half-open source offsets. Line and column
 * are computed only when a diagnostic is rendered (see `@gradus/dsl`'s renderer), never stored.
 */

/** A half-open range `[start, end)` of character offsets into one source text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export type Severity = 'error' | 'warning' | 'note';

/** A secondary location that explains the primary one ("W1 declared here as [D, H]"). */
export interface RelatedNote {
  readonly message: string;
  readonly span?: Span;
}

export interface Diagnostic {
  /** Stable code such as `E0301`; tests and docs refer to it. */
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly span?: Span;
  /** Short text printed under the caret. */
  readonly label?: string;
  readonly notes: readonly RelatedNote[];
  readonly hint?: string;
}

export function diagnostic(
  code: string,
  message: string,
  extra: Partial<Omit<Diagnostic, 'code' | 'message'>> = {},
): Diagnostic {
  return { code, message, severity: extra.severity ?? 'error', notes: extra.notes ?? [], ...extra };
}

/**
 * The one error type thrown by library APIs for mistakes a user can make (shape mismatches in the
 * builder, bad feeds to the interpreter). It carries the diagnostics so callers can render them.
 */
export class GradusError extends Error {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: Diagnostic | readonly Diagnostic[]) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics as Diagnostic];
    super(list.map((d) => `${d.code}: ${d.message}`).join('\n'));
    this.name = 'GradusError';
    this.diagnostics = list;
  }
  get code(): string {
    return this.diagnostics[0]?.code ?? 'E0000';
  }
}

/** Raised when an op's shape or dtype rule rejects its arguments. */
export class ShapeError extends GradusError {
  constructor(d: Diagnostic) {
    super(d);
    this.name = 'ShapeError';
  }
}

/** Edit distance for "did you mean" suggestions. */
export function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The closest candidate within a distance that scales with the word's length, if any. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Math.max(1, Math.floor(word.length / 3)) + 1;
  const w = word.toLowerCase();
  for (const c of candidates) {
    // The distance is at least the difference in length: skip what cannot beat the best so far.
    if (Math.abs(c.length - w.length) >= bestDist) continue;
    const d = levenshtein(w, c.toLowerCase());
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}
