import { type ArgInfo, defineOp, type Inferred, shapeError } from '../op.js';
import { formatShape, sizeOf } from '../shape.js';
import { reduce } from './kernels.js';

/** Reductions name their axes explicitly (normalised, ascending) and whether to keep them as 1s. */
export interface ReduceAttrs {
  readonly [k: string]: readonly number[] | boolean;
  readonly axes: readonly number[];
  readonly keepdims: boolean;
}

function reduceRule(op: string, allowBool = false) {
  return ([x]: readonly ArgInfo[], { axes, keepdims }: ReduceAttrs): Inferred => {
    if (x.dtype === 'bool' && !allowBool)
      throw shapeError('E0302', op, 'cannot reduce a bool tensor; cast it first');
    for (const a of axes) {
      if (!Number.isInteger(a) || a < 0 || a >= x.shape.length) {
        throw shapeError('E0310', op, `axis ${a} is out of range for shape ${formatShape(x.shape)}`);
      }
    }
    if (new Set(axes).size !== axes.length)
      throw shapeError('E0310', op, `axis listed twice in [${axes.join(', ')}]`);
    const shape = keepdims
      ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !axes.includes(i));
    return { shape, dtype: x.dtype };
  };
}

export const Sum = defineOp<ReduceAttrs>({
  name: 'Sum',
  arity: 1,
  doc: 'sum over axes',
  infer: reduceRule('Sum'),
  evaluate: ([x], { axes }) => reduce(x, axes, 0, (acc, v) => acc + v),
  vjp: ({ cot, inputs: [x], attrs }) => [
    () => cot.reshape(keptShape(x.shape, attrs.axes)).broadcastTo(x.shape),
  ],
});

function extremum(name: 'Max' | 'Min') {
  const pick = name === 'Max' ? Math.max : Math.min;
  return defineOp<ReduceAttrs>({
    name,
    arity: 1,
    doc: `${name.toLowerCase()} over axes; ties share the gradient evenly`,
    infer: reduceRule(name),
    evaluate: ([x], { axes }) =>
      reduce(x, axes, name === 'Max' ? -Infinity : Infinity, (acc, v) => pick(acc, v)),
    vjp: ({ cot, out, inputs: [x], attrs }) => [
      () => {
        const kept = keptShape(x.shape, attrs.axes);
        const mask = x.eq(out.reshape(kept).broadcastTo(x.shape)).castTo(cot.dtype);
        const count = mask.sumAxes(attrs.axes, true);
        return cot.reshape(kept).div(count).mul(mask);
      },
    ],
  });
}

export const Max = extremum('Max');
export const Min = extremum('Min');

/** Index of the first maximum along one axis (NumPy's tie rule); integer output, no gradient. */
export const ArgMax = defineOp<{ readonly axis: number; readonly keepdims: boolean }>({
  name: 'ArgMax',
  arity: 1,
  doc: 'index of the largest element along an axis',
  infer: ([x], { axis, keepdims }) => {
    if (x.dtype === 'bool') throw shapeError('E0302', 'ArgMax', 'needs a numeric tensor');
    if (axis < 0 || axis >= x.shape.length) {
      throw shapeError('E0310', 'ArgMax', `axis ${axis} is out of range for shape ${formatShape(x.shape)}`);
    }
    const shape = keepdims
      ? x.shape.map((d, i) => (i === axis ? 1 : d))
      : x.shape.filter((_, i) => i !== axis);
    return { shape, dtype: 'i32' };
  },
  evaluate: ([x], { axis }) => {
    const outer = sizeOf(x.shape.slice(0, axis));
    const n = x.shape[axis];
    const inner = sizeOf(x.shape.slice(axis + 1));
    const res = new Float64Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = 0;
        for (let j = 1; j < n; j++) {
          // Strictly greater keeps the first maximum; a NaN wins, as in NumPy.
          const v = x.data[(o * n + j) * inner + i];
          const b = x.data[(o * n + best) * inner + i];
          if (v > b || (Number.isNaN(v) && !Number.isNaN(b))) best = j;
        }
        res[o * inner + i] = best;
      }
    }
    return res;
  },
  vjp: () => [null],
});

/** `shape` with the reduced axes kept as 1 (the shape a keepdims reduction gives). */
export function keptShape(shape: readonly (number | string)[], axes: readonly number[]): (number | string)[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}
