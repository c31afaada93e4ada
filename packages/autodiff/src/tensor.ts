import type { DType } from './dtype.js';
import { type ConcreteShape, sizeOf } from './shape.js';

/**
 * A concrete value as the reference interpreter sees it: row-major data in a Float64Array,
 * whatever the dtype (integers and booleans are stored as exact doubles). Backends use their own
 * typed arrays; this is the interchange format at the API boundary.
 */
export interface Tensor {
  readonly shape: ConcreteShape;
  readonly dtype: DType;
  readonly data: Float64Array;
}

/** Nested JS arrays or a flat typed/number array, as users hand data to the API. */
export type TensorLike = number | NestedArray | Tensor | ArrayLike<number>;
export interface NestedArray extends ReadonlyArray<number | NestedArray> {}

export function tensor(shape: ConcreteShape, data: ArrayLike<number>, dtype: DType = 'f64'): Tensor {
  if (data.length !== sizeOf(shape)) {
    throw new RangeError(`tensor: ${data.length} values do not fill shape [${shape.join(', ')}]`);
  }
  return { shape: [...shape], dtype, data: Float64Array.from(data) };
}

export function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && 'shape' in x && 'data' in x && 'dtype' in x;
}

/** Shape of a nested array; throws a RangeError on ragged input. */
export function shapeOfNested(x: number | NestedArray): number[] {
  if (typeof x === 'number') return [];
  if (x.length === 0) return [0];
  const inner = shapeOfNested(x[0]);
  for (const e of x) {
    const s = shapeOfNested(e);
    if (s.length !== inner.length || s.some((d, i) => d !== inner[i])) {
      throw new RangeError('ragged nested array: rows have different shapes');
    }
  }
  return [x.length, ...inner];
}

export function flattenNested(x: number | NestedArray, out: number[] = []): number[] {
  if (typeof x === 'number') out.push(x);
  else for (const e of x) flattenNested(e, out);
  return out;
}

/** Converts user data to a Tensor. A flat array is taken as-is when `shape` is given. */
export function toTensor(x: TensorLike, dtype: DType = 'f64', shape?: ConcreteShape): Tensor {
  if (isTensor(x)) return shape ? tensor(shape, x.data, dtype) : { ...x, dtype };
  if (typeof x === 'number') return tensor(shape ?? [], [x], dtype);
  if (Array.isArray(x) && x.some((e) => Array.isArray(e))) {
    const s = shapeOfNested(x as NestedArray);
    return tensor(shape ?? s, flattenNested(x as NestedArray), dtype);
  }
  const flat = Array.from(x as ArrayLike<number>);
  return tensor(shape ?? [flat.length], flat, dtype);
}

/** Nested arrays from a tensor (for printing and JSON). */
export function toNested(t: Tensor): number | NestedArray {
  if (t.shape.length === 0) return t.data[0];
  const rec = (dim: number, offset: number): NestedArray => {
    const n = t.shape[dim];
    const inner = sizeOf(t.shape.slice(dim + 1));
    const out: (number | NestedArray)[] = [];
    for (let i = 0; i < n; i++) {
      out.push(dim === t.shape.length - 1 ? t.data[offset + i] : rec(dim + 1, offset + i * inner));
    }
    return out;
  };
  return rec(0, 0);
}
