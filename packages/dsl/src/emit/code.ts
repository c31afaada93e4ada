/**
 * The small vocabulary the TypeScript emitter builds kernels from: a statement tree (`Code`) and
 * index arithmetic over shapes whose dims are code expressions (`'3'`, `'dim_N'`). Numeric dims
 * are folded at generation time, so a fixed-shape model gets plain literals in its loops.
 */

/** A statement, or a block header (`for (...)`) with its body. */
export type Code = string | { readonly head: string; readonly body: readonly Code[] };

/** A dim as code: a decimal literal or the identifier of a symbolic dim bound at run time. */
export type DimCode = string;

const INTEGER = /^\d+$/;

/** A number literal that reads back as exactly `v` (NaN, ±Infinity and -0 included). */
export function num(v: number): string {
  if (typeof v !== 'number') throw new TypeError(`expected a number, got ${typeof v}`);
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

/** The product of dims as an expression, with the numeric factors multiplied out. */
export function product(dims: readonly DimCode[]): DimCode {
  let n = 1;
  const syms: string[] = [];
  for (const d of dims) {
    if (INTEGER.test(d)) n *= Number(d);
    else syms.push(d);
  }
  if (n === 0 || syms.length === 0) return String(n);
  return n === 1 ? syms.join(' * ') : `${syms.join(' * ')} * ${n}`;
}

/** Row-major strides. */
export function strides(shape: readonly DimCode[]): DimCode[] {
  return shape.map((_, i) => product(shape.slice(i + 1)));
}

/** True when the dims are statically known to hold one element (a scalar or all-ones shape). */
export function isUnit(shape: readonly DimCode[]): boolean {
  return shape.every((d) => d === '1');
}

/** `Σ coord · stride` as an expression, dropping zero strides and unit factors. */
export function flatIndex(terms: readonly (readonly [coord: string, stride: DimCode])[]): string {
  return plus(...terms.map(([c, s]) => times(c, s)));
}

/** `a + b` for index expressions, skipping zeros. */
export function plus(...parts: readonly string[]): string {
  const kept = parts.filter((p) => p !== '0');
  return kept.length === 0 ? '0' : kept.join(' + ');
}

/** `a * b`, parenthesising sums and folding unit factors. */
export function times(a: string, b: string): string {
  if (a === '0' || b === '0') return '0';
  if (a === '1') return b;
  if (b === '1') return a;
  const wrap = (x: string) => (x.includes('+') ? `(${x})` : x);
  return `${wrap(a)} * ${wrap(b)}`;
}

/**
 * Nested loops, outermost first; `inner` gets each loop's coordinate expression. A loop of bound 1
 * is replaced by the constant `0`; when no loop is left, a body that declares locals is wrapped in
 * a block so that kernels' locals (`k`, `s`) never meet at function scope.
 */
export function loops(
  axes: readonly (readonly [v: string, bound: DimCode])[],
  inner: (coords: string[]) => Code[],
): Code[] {
  const coords = axes.map(([v, b]) => (b === '1' ? '0' : v));
  let body = inner(coords);
  let looped = false;
  for (let i = axes.length - 1; i >= 0; i--) {
    const [v, b] = axes[i];
    if (b === '1') continue;
    body = [loop(v, b, body)];
    looped = true;
  }
  const declares = body.some((c) => typeof c === 'string' && /^(const|let) /.test(c));
  return !looped && declares ? [{ head: '', body }] : body;
}

/** Loops over every coordinate of `shape` in row-major order, with coordinates `prefix0`, `prefix1`... */
export function nest(shape: readonly DimCode[], prefix: string, inner: (coords: string[]) => Code[]): Code[] {
  return loops(
    shape.map((d, i) => [`${prefix}${i}`, d] as const),
    inner,
  );
}

/** One `for` loop. */
export function loop(v: string, bound: string, body: readonly Code[]): Code {
  return { head: `for (let ${v} = 0; ${v} < ${bound}; ${v}++)`, body };
}
