import type { DType } from '../dtype.js';
import { isFloat } from '../dtype.js';
import { defineOp, shapeError } from '../op.js';
import { normalAt, uniformAt } from '../random.js';
import { checkedShape, type Dim, formatShape, sizeOf } from '../shape.js';

export interface RandomAttrs {
  readonly [k: string]: number | string | readonly Dim[];
  readonly shape: readonly Dim[];
  readonly dtype: DType;
  readonly seed: number;
  /** Distinguishes random ops of one graph, so two dropout layers draw different masks. */
  readonly stream: number;
}

function randomOp(name: 'RandomUniform' | 'RandomNormal', draw: typeof uniformAt) {
  return defineOp<RandomAttrs>({
    name,
    arity: 1,
    doc: `${name === 'RandomUniform' ? 'U[0, 1)' : 'N(0, 1)'} samples, a pure function of (seed, stream, step, index)`,
    infer: ([counter], { shape, dtype }) => {
      if (counter.shape.length !== 0 || counter.dtype !== 'i32') {
        throw shapeError(
          'E0313',
          name,
          `the counter must be an i32 scalar, got ${counter.dtype}${formatShape(counter.shape)}`,
        );
      }
      if (!isFloat(dtype)) throw shapeError('E0302', name, `samples must be float, not ${dtype}`);
      return { shape: checkedShape(name, shape), dtype };
    },
    evaluate: ([counter], { seed, stream }, { out }) => {
      const n = sizeOf(out.shape);
      const res = new Float64Array(n);
      const step = counter.data[0];
      for (let i = 0; i < n; i++) res[i] = draw(seed, stream, step, i);
      return res;
    },
    vjp: () => [null],
    dimAttrs: ['shape'],
  });
}

export const RandomUniform = randomOp('RandomUniform', uniformAt);
export const RandomNormal = randomOp('RandomNormal', normalAt);
