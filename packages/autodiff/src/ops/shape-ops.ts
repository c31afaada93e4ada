import { addDims, subDims } from '../dim-expr.js';
import { defineOp, shapeError } from '../op.js';
import {
  broadcastShapes,
  checkedShape,
  type Dim,
  formatShape,
  type Shape,
  shapeSize,
  sizeOf,
  stridesOf,
} from '../shape.js';
import { broadcastIndex, forEachCoord, permute } from './kernels.js';

export const Reshape = defineOp<{ readonly shape: readonly Dim[] }>({
  name: 'Reshape',
  arity: 1,
  doc: 'same elements, new shape (row-major)',
  dimAttrs: ['shape'],
  infer: ([x], { shape }) => {
    const target = checkedShape('Reshape', shape, 'E0305');
    const a = shapeSize(x.shape);
    const b = shapeSize(target);
    if (a !== b) {
      throw shapeError(
        'E0305',
        'Reshape',
        `cannot reshape ${formatShape(x.shape)} to ${formatShape(target)}: sizes differ (${a} and ${b})`,
      );
    }
    return { shape: target, dtype: x.dtype };
  },
  evaluate: ([x]) => Float64Array.from(x.data),
  vjp: ({ cot, inputs: [x] }) => [() => cot.reshape(x.shape)],
});

export const Transpose = defineOp<{ readonly perm: readonly number[] }>({
  name: 'Transpose',
  arity: 1,
  doc: 'permute axes: output axis i is input axis perm[i]',
  infer: ([x], { perm }) => {
    const ok = perm.length === x.shape.length && [...perm].sort((p, q) => p - q).every((p, i) => p === i);
    if (!ok)
      throw shapeError(
        'E0306',
        'Transpose',
        `[${perm.join(', ')}] is not a permutation of the axes of ${formatShape(x.shape)}`,
      );
    return { shape: perm.map((p) => x.shape[p]), dtype: x.dtype };
  },
  evaluate: ([x], { perm }) => permute(x, perm),
  vjp: ({ cot, attrs: { perm } }) => {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => {
      inv[p] = i;
    });
    return [() => cot.transpose(inv)];
  },
});

export const BroadcastTo = defineOp<{ readonly shape: readonly Dim[] }>({
  name: 'BroadcastTo',
  arity: 1,
  doc: 'repeat along axes of size 1 (and new leading axes) to reach a shape',
  dimAttrs: ['shape'],
  infer: ([x], attrs) => {
    const shape = checkedShape('BroadcastTo', attrs.shape);
    const b = broadcastShapes(x.shape, shape);
    if (!b || b.length !== shape.length || b.some((d, i) => d !== shape[i])) {
      throw shapeError(
        'E0303',
        'BroadcastTo',
        `cannot broadcast ${formatShape(x.shape)} to ${formatShape(shape)}`,
      );
    }
    return { shape, dtype: x.dtype };
  },
  evaluate: ([x], _a, { out }) => {
    const idx = broadcastIndex(x.shape, out.shape);
    return Float64Array.from(idx, (i) => x.data[i]);
  },
  vjp: ({ cot, inputs: [x] }) => [() => cot.unbroadcast(x.shape)],
});

export interface SliceAttrs {
  readonly [k: string]: readonly Dim[] | readonly (Dim | null)[];
  /** Start index per axis (non-negative; symbolic starts such as `T - 1` are bound at run time). */
  readonly starts: readonly Dim[];
  /** End index per axis (exclusive), or null for "to the end". */
  readonly ends: readonly (Dim | null)[];
}

/** The length of `start:end` on an axis of size `d`; what is symbolic is checked once it is bound. */
function sliceDim(op: string, d: Dim, start: Dim, end: Dim | null, axis: number): Dim {
  const stop = end ?? d;
  const len = subDims(stop, start);
  const past = subDims(d, stop);
  const bad =
    (typeof start === 'number' && start < 0) ||
    (typeof len === 'number' && len < 0) ||
    (typeof past === 'number' && past < 0);
  if (bad) {
    const what = end === null ? `start ${start} is past the end of` : `range ${start}:${end} is outside`;
    throw shapeError('E0307', op, `${what} axis ${axis} of size ${d}`);
  }
  return len;
}

/** A contiguous box of a tensor: `x[0:10, :]`. Indexing (`x[0]`) is a slice plus a reshape. */
export const Slice = defineOp<SliceAttrs>({
  name: 'Slice',
  arity: 1,
  doc: 'take index ranges along each axis',
  dimAttrs: ['starts', 'ends'],
  infer: ([x], { starts, ends }) => {
    if (starts.length !== x.shape.length || ends.length !== x.shape.length) {
      throw shapeError('E0307', 'Slice', `needs one range per axis of ${formatShape(x.shape)}`);
    }
    return { shape: x.shape.map((d, i) => sliceDim('Slice', d, starts[i], ends[i], i)), dtype: x.dtype };
  },
  evaluate: ([x], { starts }, { out }) => {
    const st = stridesOf(x.shape);
    const res = new Float64Array(sizeOf(out.shape));
    forEachCoord(out.shape, (c, i) => {
      let j = 0;
      for (let d = 0; d < c.length; d++) j += (c[d] + (starts[d] as number)) * st[d];
      res[i] = x.data[j];
    });
    return res;
  },
  vjp: ({ cot, inputs: [x], attrs: { starts } }) => [() => cot.pad(starts, x.shape)],
});

/** Zero padding: places the input at offset `before` inside a zero tensor of `shape` (the VJP of Slice). */
export const Pad = defineOp<{ readonly before: readonly Dim[]; readonly shape: readonly Dim[] }>({
  name: 'Pad',
  arity: 1,
  doc: 'embed in zeros at an offset',
  dimAttrs: ['before', 'shape'],
  infer: ([x], attrs) => {
    const { before } = attrs;
    const shape = checkedShape('Pad', attrs.shape);
    const bad = x.shape.length !== shape.length || before.length !== shape.length;
    if (bad) throw shapeError('E0307', 'Pad', `cannot pad ${formatShape(x.shape)} to ${formatShape(shape)}`);
    shape.forEach((d, i) => {
      // What is left after the input; symbolic room is checked once the dims are bound.
      const room = subDims(subDims(d, before[i]), x.shape[i]);
      const b = before[i];
      if ((typeof room === 'number' && room < 0) || (typeof b === 'number' && b < 0)) {
        throw shapeError(
          'E0307',
          'Pad',
          `cannot place ${formatShape(x.shape)} at [${before.join(', ')}] in ${formatShape(shape)}`,
        );
      }
    });
    return { shape, dtype: x.dtype };
  },
  evaluate: ([x], { before }, { out }) => {
    const st = stridesOf(out.shape);
    const res = new Float64Array(sizeOf(out.shape));
    forEachCoord(x.shape, (c, i) => {
      let j = 0;
      for (let d = 0; d < c.length; d++) j += (c[d] + (before[d] as number)) * st[d];
      res[j] = x.data[i];
    });
    return res;
  },
  vjp: ({ cot, inputs: [x], attrs: { before } }) => [
    () =>
      cot.slice(
        before,
        x.shape.map((d, i) => addDims(before[i], d)),
      ),
  ],
});

export const Concat = defineOp<{ readonly axis: number }>({
  name: 'Concat',
  arity: 'variadic',
  doc: 'join tensors along an axis',
  infer: (args, { axis }) => {
    const first = args[0];
    if (axis < 0 || axis >= first.shape.length) {
      throw shapeError('E0310', 'Concat', `axis ${axis} is out of range for rank ${first.shape.length}`);
    }
    let total: Dim = 0;
    for (const a of args) {
      const same =
        a.shape.length === first.shape.length && a.shape.every((d, i) => i === axis || d === first.shape[i]);
      if (!same || a.dtype !== first.dtype) {
        throw shapeError(
          'E0308',
          'Concat',
          `shapes ${args.map((t) => t.dtype + formatShape(t.shape)).join(', ')} differ outside axis ${axis}`,
        );
      }
      total = addDims(total, a.shape[axis]);
    }
    const shape: Shape = first.shape.map((d, i) => (i === axis ? total : d));
    return { shape, dtype: first.dtype };
  },
  evaluate: (ins, { axis }, { out }) => {
    const res = new Float64Array(sizeOf(out.shape));
    const st = stridesOf(out.shape);
    let offset = 0;
    for (const t of ins) {
      forEachCoord(t.shape, (c, i) => {
        let j = 0;
        for (let d = 0; d < c.length; d++) j += (c[d] + (d === axis ? offset : 0)) * st[d];
        res[j] = t.data[i];
      });
      offset += t.shape[axis];
    }
    return res;
  },
  vjp: ({ cot, inputs, attrs: { axis } }) => {
    let offset: Dim = 0;
    return inputs.map((x) => {
      const start = offset;
      const end = addDims(offset, x.shape[axis]);
      offset = end;
      return () =>
        cot.slice(
          x.shape.map((_, i) => (i === axis ? start : 0)),
          x.shape.map((_, i) => (i === axis ? end : null)),
        );
    });
  },
});
