/** A number for messages: six significant digits, exponent form when very small or large. */
export function messageNumber(x: number): string {
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(3) : String(Number(x.toPrecision(6)));
}

/** A number for tables and progress lines: six significant digits without trailing zeros. */
export function compactNumber(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e5 ? x.toPrecision(6).replace(/\.?0+$/, '') : x.toExponential(3);
}
