/** One check of `gradus doctor`: its verdict and what to do about it. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  readonly name: string;
  readonly status: CheckStatus;
  /** What was found and, unless ok, what to do. */
  readonly message: string;
  /** The numbers behind the verdict, for --json. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Numbers in messages: a few significant digits. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(2) : String(Number(x.toPrecision(4)));
}
