/**
 * Parity cases for the window and row ops and the layers built on them: each primitive directly,
 * every convolution and pooling form, and the gradients of a small convnet and of an embedding,
 * so a backend's Im2Col, Col2Im, Take and ScatterAdd kernels meet the interpreter in both
 * directions. Sizes are odd on purpose (edges of the CPU kernels' column ranges).
 */
import {
  avgPool,
  conv1d,
  conv2d,
  crossEntropy,
  embedding,
  globalAvgPool,
  grad,
  instancenorm,
  layernorm,
  maxPool,
} from '@gradus/autodiff';
import type { CaseBuilder, ParityCase } from './parity.js';

const window = (kernel: number[], stride: number[], dilation: number[], pads: number[]) => ({
  kernel,
  stride,
  dilation,
  pads,
});

/** The cases, built with the parity suite's builder `c` (f64 data in [-2, 2), integer inputs given). */
export function layerParityCases(c: CaseBuilder): ParityCase[] {
  return [
    c('Im2Col', { x: [2, 3, 5, 7] }, (_, { x }) => ({
      plain: x.op('Im2Col', [], { ...window([3, 3], [1, 1], [1, 1], [1, 1, 1, 1]), fill: 0 }),
      strided: x.op('Im2Col', [], { ...window([2, 3], [2, 3], [2, 1], [0, 2, 3, 1]), fill: -1.5 }),
      negInf: x.op('Im2Col', [], {
        ...window([2, 2], [2, 2], [1, 1], [1, 1, 1, 1]),
        fill: Number.NEGATIVE_INFINITY,
      }),
    })),
    c('Col2Im', { p: [2, 3, 3, 3, 5, 7], q: [3, 2, 3, 3, 3] }, (_, { p, q }) => ({
      plain: p.op('Col2Im', [], { ...window([3, 3], [1, 1], [1, 1], [1, 1, 1, 1]), size: [5, 7] }),
      strided: q.op('Col2Im', [], { ...window([2, 3], [2, 3], [2, 1], [0, 2, 3, 1]), size: [5, 7] }),
    })),
    c(
      'Take and ScatterAdd',
      { t: [5, 3], s: [2, 3, 3] },
      (_, { t, s, ids }) => ({
        rows: t.op('Take', [ids]),
        back: s.op('ScatterAdd', [ids], { rows: [5] }),
      }),
      undefined,
      {
        ids: {
          shape: [2, 3],
          value: [
            [4, 0, 4],
            [7, -1, 2],
          ],
        },
      },
    ),
    c('conv2d', { x: [2, 4, 6, 5], w: [6, 2, 3, 2], b: [6], v: [3, 4, 1, 1] }, (_, { x, w, b, v }) => ({
      grouped: conv2d(x, w, { groups: 2, padding: 1, stride: [2, 1], bias: b }),
      same: conv2d(x, w, { groups: 2, padding: 'same', dilation: [1, 2] }),
      pointwise: conv2d(x, v),
    })),
    c('conv1d', { x: [2, 3, 9], w: [4, 3, 4] }, (_, { x, w }) => ({
      valid: conv1d(x, w, { stride: 2 }),
      same: conv1d(x, w, { padding: 'same', dilation: 2 }),
    })),
    c('pooling', { x: [2, 3, 7, 5] }, (_, { x }) => ({
      max: maxPool(x, 2),
      maxPadded: maxPool(x, [3, 2], { stride: [2, 1], padding: 1 }),
      avg: avgPool(x, 3, { stride: 2, padding: 1 }),
      global: globalAvgPool(x),
    })),
    c('layernorm and instancenorm', { x: [3, 4, 5], g: [4, 5], b: [4, 5], c: [4] }, (_, { x, g, b, c }) => ({
      ln: layernorm(x, g, b, { axis: -2 }),
      inorm: instancenorm(x, c, c.mul(0.5)),
    })),
    c(
      'grad of a small convnet (conv, relu, max pool, dense)',
      { x: [3, 2, 8, 8], w1: [4, 2, 3, 3], b1: [4], w2: [6, 4, 3, 3], d: [24, 5] },
      (_, { x, w1, b1, w2, d, y }) => {
        const h1 = maxPool(conv2d(x, w1, { padding: 1, bias: b1 }).relu(), 2);
        const h2 = avgPool(conv2d(h1, w2, { padding: 'same' }).relu(), 2);
        const loss = crossEntropy(h2.reshape([3, 24]).matMul(d), y).mean();
        const [g1, gb, g2, gd] = grad(loss, [w1, b1, w2, d]);
        return { loss, g1, gb, g2, gd };
      },
      undefined,
      { y: { shape: [3], value: [1, 4, 0] } },
    ),
    c(
      'grad of an embedding',
      { t: [6, 4] },
      (_, { t, ids }) => {
        const e = embedding(t, ids);
        const [gt] = grad(e.tanh().sum(), [t]);
        return { e, gt };
      },
      undefined,
      {
        ids: {
          shape: [3, 2],
          value: [
            [5, 0],
            [5, 5],
            [2, 3],
          ],
        },
      },
    ),
  ];
}
