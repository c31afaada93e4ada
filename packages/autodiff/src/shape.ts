import { diagnostic, ShapeError } from './diagnostic.js';
import { canonicalDim, type Dim, productOfDims, substituteDim } from './dim-expr.js';

export type { Dim } from './dim-expr.js';
/** A shape: its dims, each a known size or a symbolic expression (see `dim-expr.ts`). */
export type Shape = readonly Dim[];
/** A shape with every dim known, as the interpreter and backends need. */
export type ConcreteShape = readonly number[];

export function formatShape(s: Shape): string {
  return `[${s.join(', ')}]`;
}

export function isConcrete(s: Shape): s is ConcreteShape {
  return s.every((d) => typeof d === 'number');
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Number of elements of a concrete shape (1 for a scalar). */
export function sizeOf(s: ConcreteShape): number {
  let n = 1;
  for (const d of s) n *= d;
  return n;
}

/** Row-major strides of a concrete shape. */
export function stridesOf(s: ConcreteShape): number[] {
  const st = new Array<number>(s.length);
  let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

/**
 * NumPy broadcasting of two shapes. Returns undefined when they are incompatible.
 * A symbol only matches itself or 1: `N` against `3` is an error, not a guess.
 */
export function broadcastShapes(a: Shape, b: Shape): Dim[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else return undefined;
  }
  return out;
}

/** Normalises a possibly negative axis against a rank; throws a ShapeError naming the op when out of range. */
export function normalizeAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) {
    throw new ShapeError(
      diagnostic('E0310', `${op}: axis ${axis} is out of range for a tensor of rank ${rank}`),
    );
  }
  return a;
}

/**
 * A shape attr checked and in canonical form (`'T*N'` becomes `'N*T'`, `'N - N + 2'` becomes 2),
 * so that equal shapes compare equal. A number must be a whole size ≥ 0 and a string an
 * expression over names; otherwise a ShapeError with `code` (E0311 by default) naming `op`.
 */
export function checkedShape(op: string, shape: Shape, code = 'E0311'): Dim[] {
  return shape.map((d) => {
    const c = typeof d === 'number' || typeof d === 'string' ? canonicalDim(d) : undefined;
    if (c === undefined || (typeof c === 'number' && (!Number.isInteger(c) || c < 0))) {
      throw new ShapeError(
        diagnostic(code, `${op}: bad dimension ${JSON.stringify(d)} in ${formatShape(shape)}`),
      );
    }
    return c;
  });
}

/** The number of elements of a shape, symbolically (`[N, T, 4]` has `4*N*T`). */
export function shapeSize(s: Shape): Dim {
  return productOfDims(s);
}

/**
 * Substitutes bound symbols; dims whose names are all bound become numbers, the others keep
 * their unbound names. A bound dim may come out fractional or negative (`N/2` with N = 3): the
 * callers that need sizes check them (see `concreteShapeOf`).
 */
export function bindShape(s: Shape, dims: Readonly<Record<string, number>>): Dim[] {
  return s.map((d) => substituteDim(d, dims));
}
