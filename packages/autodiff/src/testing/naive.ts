/**
 * A second, deliberately naive implementation of the ops in plain JS, for the op table's
 * reference checks. It shares no code with the interpreter's kernels: tensors are plain number
 * arrays, every op walks coordinates (not strides), reductions group by coordinate keys. Slow
 * and obvious on purpose.
 */
import type { NestedArray, Tensor } from '../tensor.js';
import type { CheckArg } from './gradcheck.js';

/** A tensor as plain JS: row-major `data` of `shape`. */
export interface Plain {
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

function isNested(x: unknown): x is NestedArray {
  return Array.isArray(x);
}

function shapeOfValue(x: number | NestedArray): number[] {
  return isNested(x) ? [x.length, ...(x.length > 0 ? shapeOfValue(x[0]) : [])] : [];
}

function flatOf(x: number | NestedArray): number[] {
  return isNested(x) ? x.flatMap((e) => flatOf(e)) : [x];
}

/** A gradcheck argument (nested arrays, a held-fixed `{ value }`, or a Tensor) as plain JS. */
export function plainOf(x: CheckArg | Tensor): Plain {
  if (typeof x === 'object' && x !== null && 'data' in x && 'shape' in x) {
    return { shape: [...x.shape], data: Array.from(x.data) };
  }
  const v = typeof x === 'object' && x !== null && 'value' in x ? x.value : x;
  return { shape: shapeOfValue(v as number | NestedArray), data: flatOf(v as number | NestedArray) };
}

export function plain(shape: readonly number[], data: readonly number[]): Plain {
  return { shape: [...shape], data: [...data] };
}

export const scalar = (v: number): Plain => plain([], [v]);

/** Every coordinate of `shape`, row-major (the last axis fastest). */
export function coordsOf(shape: readonly number[]): number[][] {
  let acc: number[][] = [[]];
  for (const d of shape) {
    const next: number[][] = [];
    for (const c of acc) for (let i = 0; i < d; i++) next.push([...c, i]);
    acc = next;
  }
  return acc;
}

/** Position of `coord` in row-major data (Horner's rule over the dims). */
export function offsetOf(shape: readonly number[], coord: readonly number[]): number {
  let k = 0;
  for (let d = 0; d < shape.length; d++) k = k * shape[d] + coord[d];
  return k;
}

export function at(p: Plain, coord: readonly number[]): number {
  return p.data[offsetOf(p.shape, coord)];
}

export function map(p: Plain, f: (v: number) => number): Plain {
  return plain(
    p.shape,
    p.data.map((v) => f(v)),
  );
}

/** The NumPy broadcast of shapes, or undefined. */
export function broadcastAll(shapes: readonly (readonly number[])[]): number[] | undefined {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const e = s[s.length - rank + i] ?? 1;
      if (e === 1) continue;
      if (d !== 1 && d !== e) return undefined;
      d = e;
    }
    out.push(d);
  }
  return out;
}

/** The element of `p` that output coordinate `c` (of a broadcast result) reads. */
function broadcastRead(p: Plain, c: readonly number[]): number {
  const lead = c.length - p.shape.length;
  return at(
    p,
    p.shape.map((d, i) => (d === 1 ? 0 : c[lead + i])),
  );
}

/** Elementwise `f` over broadcast inputs. */
export function zip(f: (...v: number[]) => number, ...ps: Plain[]): Plain {
  const shape = broadcastAll(ps.map((p) => p.shape));
  if (!shape) throw new Error('naive.zip: shapes do not broadcast');
  return plain(
    shape,
    coordsOf(shape).map((c) => f(...ps.map((p) => broadcastRead(p, c)))),
  );
}

/** Folds the elements of each group of `axes` with `f`; groups keyed by the remaining coordinates. */
export function reduceAxes(
  p: Plain,
  axes: readonly number[],
  keepdims: boolean,
  f: (values: number[]) => number,
): Plain {
  const groups = new Map<string, number[]>();
  for (const c of coordsOf(p.shape)) {
    const key = c.map((v, d) => (axes.includes(d) ? 0 : v)).join(',');
    const list = groups.get(key) ?? [];
    list.push(at(p, c));
    groups.set(key, list);
  }
  const kept = p.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const data = coordsOf(kept).map((c) => f(groups.get(c.join(',')) ?? []));
  return plain(keepdims ? kept : p.shape.filter((_, i) => !axes.includes(i)), data);
}

export const total = (vs: number[]) => vs.reduce((a, b) => a + b, 0);

/** `a @ b` over the last two axes, batch axes broadcast; the triple loop, written out. */
export function matmul(a: Plain, b: Plain, transA = false, transB = false): Plain {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const n = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  const batch = broadcastAll([a.shape.slice(0, -2), b.shape.slice(0, -2)]);
  if (!batch) throw new Error('naive.matmul: batch shapes do not broadcast');
  const shape = [...batch, m, n];
  const pick = (p: Plain, bc: readonly number[], r: number, c: number) => {
    const lead = bc.length - (p.shape.length - 2);
    const pb = p.shape.slice(0, -2).map((d, i) => (d === 1 ? 0 : bc[lead + i]));
    return at(p, [...pb, r, c]);
  };
  const data: number[] = [];
  for (const bc of coordsOf(batch)) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const x = transA ? pick(a, bc, p, i) : pick(a, bc, i, p);
          const y = transB ? pick(b, bc, j, p) : pick(b, bc, p, j);
          s += x * y;
        }
        data.push(s);
      }
    }
  }
  return plain(shape, data);
}

/** Output axis i is input axis perm[i]. */
export function transpose(p: Plain, perm: readonly number[]): Plain {
  const shape = perm.map((ax) => p.shape[ax]);
  return plain(
    shape,
    coordsOf(shape).map((c) => {
      const src = new Array<number>(perm.length);
      perm.forEach((ax, i) => {
        src[ax] = c[i];
      });
      return at(p, src);
    }),
  );
}

export function slice(p: Plain, starts: readonly number[], ends: readonly (number | null)[]): Plain {
  const shape = p.shape.map((d, i) => (ends[i] ?? d) - starts[i]);
  return plain(
    shape,
    coordsOf(shape).map((c) =>
      at(
        p,
        c.map((v, i) => v + starts[i]),
      ),
    ),
  );
}

export function pad(p: Plain, before: readonly number[], shape: readonly number[]): Plain {
  return plain(
    shape,
    coordsOf(shape).map((c) => {
      const src = c.map((v, i) => v - before[i]);
      const inside = src.every((v, i) => v >= 0 && v < p.shape[i]);
      return inside ? at(p, src) : 0;
    }),
  );
}

export function concat(ps: readonly Plain[], axis: number): Plain {
  const shape = [...ps[0].shape];
  shape[axis] = ps.reduce((acc, p) => acc + p.shape[axis], 0);
  return plain(
    shape,
    coordsOf(shape).map((c) => {
      let k = c[axis];
      for (const p of ps) {
        if (k < p.shape[axis])
          return at(
            p,
            c.map((v, i) => (i === axis ? k : v)),
          );
        k -= p.shape[axis];
      }
      throw new Error('naive.concat: out of range');
    }),
  );
}

/** out[..., ...] = x[..., idx[...], ...] with the axis dropped. */
export function gather(x: Plain, idx: Plain, axis: number): Plain {
  const shape = x.shape.filter((_, i) => i !== axis);
  return plain(
    shape,
    coordsOf(shape).map((c) => at(x, [...c.slice(0, axis), at(idx, c), ...c.slice(axis)])),
  );
}

export function oneHot(idx: Plain, depth: number, axis: number): Plain {
  const shape = [...idx.shape.slice(0, axis), depth, ...idx.shape.slice(axis)];
  return plain(
    shape,
    coordsOf(shape).map((c) => (at(idx, [...c.slice(0, axis), ...c.slice(axis + 1)]) === c[axis] ? 1 : 0)),
  );
}

/** Index of the first largest element along `axis`. */
export function argmax(x: Plain, axis: number, keepdims: boolean): Plain {
  const kept = x.shape.map((d, i) => (i === axis ? 1 : d));
  const data = coordsOf(kept).map((c) => {
    let best = 0;
    for (let j = 1; j < x.shape[axis]; j++) {
      const cj = c.map((v, i) => (i === axis ? j : v));
      const cb = c.map((v, i) => (i === axis ? best : v));
      if (at(x, cj) > at(x, cb)) best = j;
    }
    return best;
  });
  return plain(keepdims ? kept : x.shape.filter((_, i) => i !== axis), data);
}

/** Softmax along `axis`, straight from the definition e^x / Σ e^x (inputs are small in tests). */
export function softmax(x: Plain, axis: number): Plain {
  const sums = reduceAxes(map(x, Math.exp), [axis], true, total);
  return zip((v, s) => Math.exp(v) / s, x, sums);
}

/** Relative closeness of two plain tensors: same shape, every element within rtol (or atol). */
export function allClose(a: Plain, b: Plain, rtol = 1e-12, atol = 1e-12): { ok: boolean; message: string } {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    return { ok: false, message: `shapes differ: [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]` };
  }
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i];
    const y = b.data[i];
    const same = x === y || (Number.isNaN(x) && Number.isNaN(y));
    if (!same && !(Math.abs(x - y) <= atol + rtol * Math.max(Math.abs(x), Math.abs(y)))) {
      return { ok: false, message: `element ${i}: ${x} vs ${y}` };
    }
  }
  return { ok: true, message: 'close' };
}
