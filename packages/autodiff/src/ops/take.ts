/**
 * Row lookup and its adjoint, the two primitives of `embedding`: `Take` reads whole rows of a
 * table by index, and `ScatterAdd` adds rows back into a zero table. Each is the other's gradient,
 * so an embedding's gradient is a scatter-add of its cotangent (never a one-hot product over the
 * vocabulary), and second derivatives stay in these two ops.
 */
import { isFloat } from '../dtype.js';
import { type ArgInfo, defineOp, type OpDef, shapeError } from '../op.js';
import { type Dim, formatShape, sizeOf } from '../shape.js';

function intIds(op: string, ids: ArgInfo): void {
  if (ids.dtype !== 'i32')
    throw shapeError('E0309', op, `indices must be int, got ${ids.dtype}${formatShape(ids.shape)}`);
}

/**
 * `Take(table, ids)`: `out[i..., r...] = table[ids[i...], r...]` (NumPy's `take` along axis 0),
 * shape `[...ids, ...table.shape[1:]]`. An index outside the table gives a row of NaN, as an
 * out-of-range label does in `Gather`, never a read outside the tensor.
 */
export const Take: OpDef = defineOp({
  name: 'Take',
  arity: 2,
  doc: 'rows of a table by integer index (embedding lookup)',
  infer: ([table, ids]) => {
    intIds('Take', ids);
    if (!isFloat(table.dtype) || table.shape.length < 1)
      throw shapeError(
        'E0309',
        'Take',
        `the table must be a float tensor of rank 1 or more, got ${table.dtype}${formatShape(table.shape)}`,
      );
    return { shape: [...ids.shape, ...table.shape.slice(1)], dtype: table.dtype };
  },
  evaluate: ([table, ids]) => {
    const rows = table.shape[0];
    const width = sizeOf(table.shape.slice(1));
    const res = new Float64Array(ids.data.length * width);
    for (let i = 0; i < ids.data.length; i++) {
      const k = ids.data[i];
      for (let r = 0; r < width; r++)
        res[i * width + r] = k >= 0 && k < rows ? table.data[k * width + r] : Number.NaN;
    }
    return res;
  },
  vjp: ({ cot, inputs: [table, ids] }) => [
    () => cot.op('ScatterAdd', [ids], { rows: [table.shape[0]] }),
    null,
  ],
});

export interface ScatterAddAttrs {
  readonly [k: string]: readonly Dim[];
  /** The table's row count, as a one-dim list (a dim attr, bound like a shape). */
  readonly rows: readonly Dim[];
}

/**
 * `ScatterAdd(src, ids, rows)`: a `[rows, ...]` table of zeros with every row of `src` added at
 * its index, in index order (`out[ids[i...], r...] += src[i..., r...]`); indices outside the table
 * add nothing. `src` has shape `[...ids, ...rest]`.
 */
export const ScatterAdd: OpDef<ScatterAddAttrs> = defineOp<ScatterAddAttrs>({
  name: 'ScatterAdd',
  arity: 2,
  doc: 'adds rows into a zero table at integer indices (the adjoint of Take)',
  dimAttrs: ['rows'],
  infer: ([src, ids], { rows: [rows, ...more] }) => {
    intIds('ScatterAdd', ids);
    if (!isFloat(src.dtype))
      throw shapeError('E0302', 'ScatterAdd', `needs float rows, got ${src.dtype}${formatShape(src.shape)}`);
    if (
      more.length > 0 ||
      (typeof rows === 'number' ? !Number.isInteger(rows) || rows < 0 : typeof rows !== 'string')
    )
      throw shapeError('E0309', 'ScatterAdd', `rows must be a size, got ${JSON.stringify(rows)}`);
    const lead = src.shape.slice(0, ids.shape.length);
    if (lead.length !== ids.shape.length || lead.some((d, i) => d !== ids.shape[i])) {
      throw shapeError(
        'E0309',
        'ScatterAdd',
        `rows of shape ${formatShape(src.shape)} do not start with the indices' shape ${formatShape(ids.shape)}`,
      );
    }
    return { shape: [rows, ...src.shape.slice(ids.shape.length)], dtype: src.dtype };
  },
  evaluate: ([src, ids], _a, { out }) => {
    const rows = out.shape[0];
    const width = sizeOf(out.shape.slice(1));
    const res = new Float64Array(sizeOf(out.shape));
    for (let i = 0; i < ids.data.length; i++) {
      const k = ids.data[i];
      if (k < 0 || k >= rows) continue;
      for (let r = 0; r < width; r++) res[k * width + r] += src.data[i * width + r];
    }
    return res;
  },
  vjp: ({ cot, inputs: [, ids] }) => [() => cot.op('Take', [ids]), null],
});
