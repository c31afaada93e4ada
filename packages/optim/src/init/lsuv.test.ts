import { graph, init, initVariables, normalAt } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import { lsuv } from './lsuv.js';

describe('LSUV', () => {
  it('gives every lsuv layer unit output variance on the batch, in data order', () => {
    const g = graph({ seed: 3 });
    const x = g.input('x', ['N', 20]);
    const W1 = g.param('W1', [20, 30], init.lsuv(0.01));
    const W2 = g.param('W2', [30, 10], init.lsuv(0.01));
    const W3 = g.param('W3', [10, 2], init.normal(5));
    const h1 = x.mul(7).matMul(W1).tanh();
    const h2 = h1.matMul(W2).relu();
    g.output('loss', h2.matMul(W3).square().mean(), 'loss');
    const batch = {
      x: {
        shape: [64, 20],
        dtype: 'f64' as const,
        data: Float64Array.from({ length: 64 * 20 }, (_, i) => normalAt(1, 2, 0, i)),
      },
    };
    const start = initVariables(g, 3);
    const { values, report } = lsuv(g, start, batch);
    expect(report.map((r) => r.name)).toEqual(['W1', 'W2']);
    // Independently: recompute each layer's pre-activation variance by hand.
    const X = batch.x.data;
    const mm = (A: Float64Array, B: Float64Array, n: number, k: number, m: number) => {
      const C = new Float64Array(n * m);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < m; j++) for (let p = 0; p < k; p++) C[i * m + j] += A[i * k + p] * B[p * m + j];
      return C;
    };
    const varOf = (d: Float64Array) => {
      const mu = d.reduce((a, b) => a + b, 0) / d.length;
      return d.reduce((a, b) => a + (b - mu) ** 2, 0) / d.length;
    };
    const z1 = mm(
      X.map((v) => 7 * v),
      values.W1.data,
      64,
      20,
      30,
    );
    expect(varOf(z1)).toBeCloseTo(1, 1);
    expect(Math.abs(varOf(z1) - 1)).toBeLessThanOrEqual(0.01);
    const z2 = mm(z1.map(Math.tanh), values.W2.data, 64, 30, 10);
    expect(Math.abs(varOf(z2) - 1)).toBeLessThanOrEqual(0.01);
    // Params not declared lsuv are untouched.
    expect(values.W3.data).toEqual(start.W3.data);
  });
});
