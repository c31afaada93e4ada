import { isFloat } from '../dtype.js';
import { defineOp, describeShapes, shapeError } from '../op.js';
import { broadcastShapes, type ConcreteShape, sizeOf } from '../shape.js';
import { broadcastIndex } from './kernels.js';

export interface MatMulAttrs {
  readonly [k: string]: boolean;
  /** Use the first operand transposed (its last two axes swapped), without materialising it. */
  readonly transA: boolean;
  readonly transB: boolean;
}

/**
 * Matrix product over the last two axes, with NumPy-style broadcasting over leading (batch) axes.
 * The transposed-operand flags let gradients (`dA = dC Bᵀ`) and backends avoid transposes.
 */
export const MatMul = defineOp<MatMulAttrs>({
  name: 'MatMul',
  arity: 2,
  doc: 'matrix product a @ b (batched over leading axes)',
  infer: (args, { transA, transB }) => {
    const [a, b] = args;
    if (a.shape.length < 2 || b.shape.length < 2) {
      throw shapeError('E0301', 'MatMul', `needs operands of rank 2 or more, got ${describeShapes(args)}`);
    }
    if (a.dtype !== b.dtype || !isFloat(a.dtype)) {
      throw shapeError(
        'E0304',
        'MatMul',
        `needs two float operands of one dtype, got ${describeShapes(args)}`,
      );
    }
    const [m, ka] = lastTwo(a.shape, transA);
    const [kb, n] = lastTwo(b.shape, transB);
    if (ka !== kb) {
      throw shapeError(
        'E0301',
        'MatMul',
        `inner dimensions differ: ${describeShapes(args)} (${ka} vs ${kb})`,
      );
    }
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    if (!batch)
      throw shapeError('E0303', 'MatMul', `batch dimensions do not broadcast: ${describeShapes(args)}`);
    return { shape: [...batch, m, n], dtype: a.dtype };
  },
  evaluate: ([a, b], { transA, transB }, { out }) => {
    const r = out.shape.length;
    const [m, n] = [out.shape[r - 2], out.shape[r - 1]];
    const k = transA ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1];
    const batchShape = out.shape.slice(0, -2);
    const batches = sizeOf(batchShape);
    const ia = broadcastIndex(a.shape.slice(0, -2) as ConcreteShape, batchShape);
    const ib = broadcastIndex(b.shape.slice(0, -2) as ConcreteShape, batchShape);
    const res = new Float64Array(batches * m * n);
    for (let t = 0; t < batches; t++) {
      const oa = ia[t] * m * k;
      const ob = ib[t] * k * n;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) {
            s +=
              a.data[oa + (transA ? p * m + i : i * k + p)] * b.data[ob + (transB ? j * k + p : p * n + j)];
          }
          res[(t * m + i) * n + j] = s;
        }
      }
    }
    return res;
  },
  vjp: ({ cot, inputs: [a, b], attrs: { transA, transB } }) => [
    () =>
      (transA
        ? b.matMul(cot, { transA: transB, transB: true })
        : cot.matMul(b, { transB: !transB })
      ).unbroadcast(a.shape),
    () =>
      (transB
        ? cot.matMul(a, { transA: true, transB: transA })
        : a.matMul(cot, { transA: !transA })
      ).unbroadcast(b.shape),
  ],
});

function lastTwo(shape: readonly (number | string)[], trans: boolean): [number | string, number | string] {
  const r = shape.length;
  return trans ? [shape[r - 1], shape[r - 2]] : [shape[r - 2], shape[r - 1]];
}
