/**
 * The values a setting or an argument accepts, as a catalogue states it: `[0, 1)` for a decay,
 * `> 0` for a scale, `≥ 1` for a count. Checked where the value was written, and named in the
 * error so the user sees what is allowed.
 */
export interface Range {
  readonly min?: number;
  readonly max?: number;
  /** The bound itself is not allowed (`(0, 1)`, `> 0`). */
  readonly minOpen?: boolean;
  readonly maxOpen?: boolean;
}

export function inRange(v: number, r: Range): boolean {
  if (Number.isNaN(v)) return false;
  if (r.min !== undefined && (r.minOpen ? v <= r.min : v < r.min)) return false;
  if (r.max !== undefined && (r.maxOpen ? v >= r.max : v > r.max)) return false;
  return true;
}

const show = (n: number) =>
  Number.isInteger(n) && Math.abs(n) >= 1e5 ? n.toLocaleString('en-US') : String(n);

/** `in [0, 1)`, `> 0`, `≤ 2,147,483,647`: the words after "must be". */
export function describeRange(r: Range): string {
  if (r.min !== undefined && r.max !== undefined)
    return `in ${r.minOpen ? '(' : '['}${show(r.min)}, ${show(r.max)}${r.maxOpen ? ')' : ']'}`;
  if (r.min !== undefined) return `${r.minOpen ? '>' : '≥'} ${show(r.min)}`;
  if (r.max !== undefined) return `${r.maxOpen ? '<' : '≤'} ${show(r.max)}`;
  return 'any number';
}

/** The message for a value outside its range, or undefined when it is inside. */
export function outOfRange(what: string, v: number, r: Range): string | undefined {
  return inRange(v, r) ? undefined : `${what} must be ${describeRange(r)}, got ${v}`;
}
