/**
 * Plain reference kernels for the interpreter: loops over row-major f64 data, written for
 * clarity rather than speed. Backends generate their own code; these are the oracle.
 */
import { type ConcreteShape, sizeOf, stridesOf } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** For each output element, the flat index into a tensor broadcast to `out`. */
export function broadcastIndex(from: ConcreteShape, out: ConcreteShape): Int32Array {
  const n = sizeOf(out);
  const idx = new Int32Array(n);
  const st = stridesOf(from);
  const offset = out.length - from.length;
  const coord = new Array<number>(out.length).fill(0);
  for (let i = 0; i < n; i++) {
    let j = 0;
    for (let d = 0; d < from.length; d++) {
      if (from[d] !== 1) j += coord[d + offset] * st[d];
    }
    idx[i] = j;
    for (let d = out.length - 1; d >= 0; d--) {
      if (++coord[d] < out[d]) break;
      coord[d] = 0;
    }
  }
  return idx;
}

export function mapUnary(x: Tensor, f: (v: number) => number): Float64Array {
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(x.data[i]);
  return out;
}

/** Elementwise over any number of inputs broadcast to `out`. */
export function mapBroadcast(
  inputs: readonly Tensor[],
  out: ConcreteShape,
  f: (...v: number[]) => number,
): Float64Array {
  const n = sizeOf(out);
  const idx = inputs.map((t) => broadcastIndex(t.shape, out));
  const res = new Float64Array(n);
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < inputs.length; k++) args[k] = inputs[k].data[idx[k][i]];
    res[i] = f(...args);
  }
  return res;
}

/**
 * Reduces `x` over `axes`: for each output element, folds the reduced elements with `step`.
 * The output is laid out as `x.shape` without the reduced axes (keepdims changes nothing in memory).
 */
export function reduce(
  x: Tensor,
  axes: readonly number[],
  init: number,
  step: (acc: number, v: number, k: number) => number,
): Float64Array {
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outN = sizeOf(keptShape);
  const out = new Float64Array(outN).fill(init);
  const counts = new Int32Array(outN);
  const outIdx = broadcastIndexInverse(x.shape, keptShape);
  for (let i = 0; i < x.data.length; i++) {
    const o = outIdx[i];
    out[o] = step(out[o], x.data[i], counts[o]++);
  }
  return out;
}

/** For each element of `full`, the flat index of the element of `kept` (same rank, 1 on reduced axes). */
function broadcastIndexInverse(full: ConcreteShape, kept: ConcreteShape): Int32Array {
  return broadcastIndex(kept, full);
}

/** Moves data to a permuted layout: out dim i is input dim perm[i]. */
export function permute(x: Tensor, perm: readonly number[]): Float64Array {
  const outShape = perm.map((p) => x.shape[p]);
  const inStrides = stridesOf(x.shape);
  const n = x.data.length;
  const out = new Float64Array(n);
  const coord = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let j = 0;
    for (let d = 0; d < perm.length; d++) j += coord[d] * inStrides[perm[d]];
    out[i] = x.data[j];
    for (let d = outShape.length - 1; d >= 0; d--) {
      if (++coord[d] < outShape[d]) break;
      coord[d] = 0;
    }
  }
  return out;
}

/** Visits every coordinate of a shape in row-major order. */
export function forEachCoord(
  shape: ConcreteShape,
  fn: (coord: readonly number[], flat: number) => void,
): void {
  const n = sizeOf(shape);
  const coord = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    fn(coord, i);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++coord[d] < shape[d]) break;
      coord[d] = 0;
    }
  }
}
