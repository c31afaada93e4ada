import type { DType } from '../dtype.js';
import { defineOp, shapeError } from '../op.js';
import { formatShape, sizeOf } from '../shape.js';

/**
 * `Gather(x, idx, axis)`: picks one element along `axis` for every position of the other axes,
 * `out[..., i, ...] = x[..., idx[...], ...]` (NumPy's take_along_axis with the axis dropped).
 * This is how `cross_entropy` reads the log-probability of each example's label.
 * Out-of-range labels give NaN, never a read outside the tensor.
 */
export const Gather = defineOp<{ readonly axis: number }>({
  name: 'Gather',
  arity: 2,
  doc: 'pick one element along an axis per position (labels)',
  infer: ([x, idx], { axis }) => {
    if (axis < 0 || axis >= x.shape.length)
      throw shapeError('E0310', 'Gather', `axis ${axis} is out of range for ${formatShape(x.shape)}`);
    if (idx.dtype !== 'i32')
      throw shapeError('E0309', 'Gather', `indices must be int, got ${idx.dtype}${formatShape(idx.shape)}`);
    const expected = x.shape.filter((_, i) => i !== axis);
    if (idx.shape.length !== expected.length || idx.shape.some((d, i) => d !== expected[i])) {
      throw shapeError(
        'E0309',
        'Gather',
        `indices of shape ${formatShape(idx.shape)} do not match ${formatShape(x.shape)} without axis ${axis} (${formatShape(expected)})`,
      );
    }
    return { shape: expected, dtype: x.dtype };
  },
  evaluate: ([x, idx], { axis }) => {
    const outer = sizeOf(x.shape.slice(0, axis));
    const n = x.shape[axis];
    const inner = sizeOf(x.shape.slice(axis + 1));
    const res = new Float64Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const k = idx.data[o * inner + i];
        res[o * inner + i] =
          k >= 0 && k < n && Number.isInteger(k) ? x.data[(o * n + k) * inner + i] : Number.NaN;
      }
    }
    return res;
  },
  vjp: ({ cot, inputs: [x, idx], attrs: { axis } }) => [
    () =>
      idx
        .oneHot(x.shape[axis] as number, axis, 'bool')
        .where(cot.expandDims(axis), cot.zerosLike().expandDims(axis)),
    null,
  ],
});

/** `OneHot(labels, depth, axis)`: a new axis of length `depth` with 1 at each label. */
export const OneHot = defineOp<{ readonly depth: number; readonly axis: number; readonly dtype: DType }>({
  name: 'OneHot',
  arity: 1,
  doc: 'one-hot encoding of integer labels',
  infer: ([idx], { depth, axis, dtype }) => {
    if (idx.dtype !== 'i32')
      throw shapeError('E0309', 'OneHot', `labels must be int, got ${idx.dtype}${formatShape(idx.shape)}`);
    if (!Number.isInteger(depth) || depth < 1)
      throw shapeError('E0309', 'OneHot', `depth must be a positive integer, got ${depth}`);
    if (axis < 0 || axis > idx.shape.length)
      throw shapeError('E0310', 'OneHot', `axis ${axis} is out of range`);
    const shape = [...idx.shape.slice(0, axis), depth, ...idx.shape.slice(axis)];
    return { shape, dtype };
  },
  evaluate: ([idx], { depth, axis }) => {
    const outer = sizeOf(idx.shape.slice(0, axis));
    const inner = sizeOf(idx.shape.slice(axis));
    const res = new Float64Array(outer * depth * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const k = idx.data[o * inner + i];
        if (k >= 0 && k < depth) res[(o * depth + k) * inner + i] = 1;
      }
    }
    return res;
  },
  vjp: () => [null],
});
