/**
 * Reference values of ops and composites against computations done by hand in this file (naive
 * loops, formulas from the lectures), never against the code's own output.
 */
import { describe, expect, it } from 'vitest';
import { batchnorm, crossEntropy, dropout, hinge, softmax } from '../composites.js';
import { grad } from '../grad.js';
import { graph } from '../graph.js';
import { interpret, run } from '../interpreter.js';
import type { Node } from '../node.js';
import type { Value } from '../value.js';

const evaluate = (v: Value, feeds: Record<string, unknown> = {}, step = 0) =>
  interpret([v.node], { feeds: { $step: step, ...feeds } as Record<string, number> })[0];
const data = (v: Value, feeds: Record<string, unknown> = {}, step = 0) =>
  Array.from(evaluate(v, feeds, step).data);

function expectAllClose(got: readonly number[], want: readonly number[], digits = 12): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    expect(g, `element ${i}`).toBeCloseTo(want[i], digits);
  });
}

describe('matmul', () => {
  it('matches a naive triple loop, with and without transposed operands', () => {
    const a = [
      [1, -2, 3, 0.5],
      [4, 5, -6, 1],
      [0, 2, 1, -1],
    ];
    const b = [
      [2, 0],
      [1, -1],
      [-3, 2],
      [0.25, 4],
    ];
    const expected: number[][] = [];
    for (let i = 0; i < 3; i++) {
      expected.push([]);
      for (let j = 0; j < 2; j++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += a[i][k] * b[k][j];
        expected[i].push(s);
      }
    }
    const tr = (m: number[][]) => m[0].map((_, j) => m.map((row) => row[j]));
    const g = graph();
    const A = g.constant(a);
    const B = g.constant(b);
    expect(data(A.matMul(B))).toEqual(expected.flat());
    expect(data(g.constant(tr(a)).matMul(B, { transA: true }))).toEqual(expected.flat());
    expect(data(A.matMul(g.constant(tr(b)), { transB: true }))).toEqual(expected.flat());
    expect(data(g.constant(tr(a)).matMul(g.constant(tr(b)), { transA: true, transB: true }))).toEqual(
      expected.flat(),
    );
  });

  it('broadcasts a matrix against a batch of matrices', () => {
    const g = graph();
    const batch = g.constant([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [0, 1],
        [1, 0],
      ],
    ]);
    const m = g.constant([
      [1, 1],
      [0, 2],
    ]);
    // [[1,2],[3,4]]·[[1,1],[0,2]] = [[1,5],[3,11]];  [[0,1],[1,0]]·[[1,1],[0,2]] = [[0,2],[1,1]]
    expect(data(batch.matMul(m))).toEqual([1, 5, 3, 11, 0, 2, 1, 1]);
  });
});

describe('softmax', () => {
  const rows = [
    [1, 2, 3],
    [-1, 0, 1000],
    [5, 5, 5],
  ];

  it('gives rows that sum to 1, e^x/Σe^x, even for large logits', () => {
    const g = graph();
    const p = data(softmax(g.constant(rows)));
    for (let r = 0; r < 3; r++) {
      const row = p.slice(3 * r, 3 * r + 3);
      expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14);
      expect(row.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    const e = [Math.E, Math.E ** 2, Math.E ** 3];
    const z = e[0] + e[1] + e[2];
    expectAllClose(p.slice(0, 3), [e[0] / z, e[1] / z, e[2] / z], 14);
    expectAllClose(p.slice(3, 6), [0, 0, 1], 14);
    expectAllClose(p.slice(6, 9), [1 / 3, 1 / 3, 1 / 3], 14);
  });

  it('is unchanged by adding a constant to a row', () => {
    const g = graph();
    const x = g.constant([[0.3, -1.2, 2.5]]);
    expectAllClose(data(softmax(x.add(100))), data(softmax(x)), 14);
  });
});

describe('cross-entropy', () => {
  it('is −log softmax(z)[y], computed by hand', () => {
    const z = [
      [2, 1, 0.1],
      [0.5, 2.5, 0.3],
      [-1, 0, 1],
    ];
    const y = [0, 2, 1];
    const byHand = z.map((row, i) => {
      const denom = row.reduce((s, v) => s + Math.exp(v), 0);
      return -Math.log(Math.exp(row[y[i]]) / denom);
    });
    const g = graph();
    const labels = g.constant(y, 'i32');
    expectAllClose(data(crossEntropy(g.constant(z), labels)), byHand, 13);
  });

  it('is log C for uniform logits, and its gradient is softmax − onehot', () => {
    const g = graph();
    const z = g.input('z', [2, 4]);
    const y = g.constant([3, 0], 'i32');
    const loss = crossEntropy(z, y).sum();
    const [dz] = grad(loss, [z]);
    const feeds = {
      z: [
        [0, 0, 0, 0],
        [1, 2, 3, 4],
      ],
    };
    expect(data(crossEntropy(z, y), feeds)[0]).toBeCloseTo(Math.log(4), 14);
    const e = [1, 2, 3, 4].map(Math.exp);
    const s = e.reduce((a, b) => a + b, 0);
    expectAllClose(
      data(dz, feeds),
      [0.25, 0.25, 0.25, -0.75, e[0] / s - 1, e[1] / s, e[2] / s, e[3] / s],
      14,
    );
  });
});

describe('hinge (multiclass SVM)', () => {
  it("matches the lectures' L_i = Σ_{j≠y_i} max(0, s_j − s_{y_i} + 1)", () => {
    // The lectures' three-example scores (cat, car, frog), one example per row.
    const scores = [
      [3.2, 5.1, -1.7],
      [1.3, 4.9, 2.0],
      [2.2, 2.5, -3.1],
    ];
    const y = [0, 1, 2];
    const byHand = scores.map((s, i) => {
      let L = 0;
      for (let j = 0; j < s.length; j++) if (j !== y[i]) L += Math.max(0, s[j] - s[y[i]] + 1);
      return L;
    });
    expectAllClose(byHand, [2.9, 0, 12.9], 12);
    const g = graph();
    const L = hinge(g.constant(scores), g.constant(y, 'i32'));
    expectAllClose(data(L), byHand, 12);
    expect(data(L.mean())[0]).toBeCloseTo((2.9 + 0 + 12.9) / 3, 12);
  });

  it('excludes the j = y term for any margin, not only 1', () => {
    const scores = [
      [3.2, 5.1, -1.7],
      [1.3, 4.9, 2.0],
    ];
    const y = [0, 1];
    // margin 2: [max(0, 5.1 − 3.2 + 2) + max(0, −1.7 − 3.2 + 2), max(0, 1.3 − 4.9 + 2) + max(0, 2.0 − 4.9 + 2)]
    const g = graph();
    expectAllClose(data(hinge(g.constant(scores), g.constant(y, 'i32'), 2)), [3.9, 0], 12);
  });
});

describe('batchnorm', () => {
  const x = [
    [1, 10, -3],
    [2, 20, 0],
    [6, 60, 3],
    [3, 30, 4],
  ];
  const gammaV = [1, 0.5, 2];
  const betaV = [0, 1, -1];
  const eps = 1e-5;

  function byHand(stats?: { mean: number[]; variance: number[] }) {
    const cols = gammaV.map((_, j) => x.map((row) => row[j]));
    const mean = stats?.mean ?? cols.map((c) => c.reduce((a, b) => a + b, 0) / c.length);
    const variance =
      stats?.variance ?? cols.map((c, j) => c.reduce((a, v) => a + (v - mean[j]) ** 2, 0) / c.length);
    return {
      mean,
      variance,
      out: x.map((row) =>
        row.map((v, j) => ((v - mean[j]) / Math.sqrt(variance[j] + eps)) * gammaV[j] + betaV[j]),
      ),
    };
  }

  it('normalises with the batch mean and biased variance in training, and updates running statistics', () => {
    const g = graph({ mode: 'train' });
    const xi = g.input('x', ['N', 3]);
    const out = batchnorm(xi, g.constant(gammaV), g.constant(betaV), { eps, momentum: 0.9, name: 'bn' });
    g.output('y', out);
    const { outputs, updates } = run(g, {
      feeds: { x, 'bn.running_mean': [0.5, 0.5, 0.5], 'bn.running_var': [2, 2, 2] },
    });
    const want = byHand();
    expectAllClose(Array.from(outputs.y.data), want.out.flat(), 12);
    expectAllClose(
      Array.from(updates['bn.running_mean'].data),
      want.mean.map((m) => 0.9 * 0.5 + 0.1 * m),
      12,
    );
    expectAllClose(
      Array.from(updates['bn.running_var'].data),
      want.variance.map((v) => 0.9 * 2 + 0.1 * v),
      12,
    );
    // Each feature comes out with mean beta and (almost) variance gamma².
    for (let j = 0; j < 3; j++) {
      const col = want.out.map((row) => row[j]);
      expect(col.reduce((a, b) => a + b, 0) / 4).toBeCloseTo(betaV[j], 12);
    }
  });

  it('uses the running statistics in evaluation', () => {
    const g = graph({ mode: 'eval' });
    const xi = g.input('x', ['N', 3]);
    g.output('y', batchnorm(xi, g.constant(gammaV), g.constant(betaV), { eps, name: 'bn' }));
    const stats = { mean: [1, 2, 3], variance: [4, 0.25, 1] };
    const { outputs, updates } = run(g, {
      feeds: { x, 'bn.running_mean': stats.mean, 'bn.running_var': stats.variance },
    });
    expectAllClose(Array.from(outputs.y.data), byHand(stats).out.flat(), 12);
    expect(Object.keys(updates)).toEqual([]);
  });
});

describe('dropout', () => {
  const keep = 0.8;

  function masked(step: number, n = 4000) {
    const g = graph({ seed: 11 });
    const x = g.input('x', [n]);
    const y = dropout(x, keep);
    return data(y, { x: new Array(n).fill(1) }, step);
  }

  it('keeps a unit with probability keep and scales it by 1/keep (inverted dropout)', () => {
    const y = masked(3);
    expect(y.every((v) => v === 0 || Math.abs(v - 1 / keep) < 1e-15)).toBe(true);
    const kept = y.filter((v) => v !== 0).length / y.length;
    // 4000 Bernoulli(0.8) draws: standard deviation √(0.16/4000) ≈ 0.0063.
    expect(Math.abs(kept - keep)).toBeLessThan(0.03);
  });

  it('keeps the expectation: the mean over many masks is about 1', () => {
    let sum = 0;
    const steps = 50;
    const n = 400;
    const perUnit = new Array(n).fill(0);
    for (let s = 0; s < steps; s++) {
      const y = masked(s, n);
      y.forEach((v, i) => {
        perUnit[i] += v / steps;
      });
      sum += y.reduce((a, b) => a + b, 0);
    }
    // 20000 draws of a variable with mean 1 and variance (1 − keep)/keep = 0.25: sd of the mean ≈ 0.0035.
    expect(Math.abs(sum / (steps * n) - 1)).toBeLessThan(0.02);
    // Every unit is dropped sometimes and kept sometimes over 50 steps.
    expect(perUnit.filter((m) => m === 0 || Math.abs(m - 1 / keep) < 1e-12).length).toBeLessThan(n / 50);
  });

  it('draws the same mask for the same step and a different one for another step', () => {
    expect(masked(5)).toEqual(masked(5));
    expect(masked(5)).not.toEqual(masked(6));
  });

  it('gives two dropout layers of one graph different masks', () => {
    const g = graph({ seed: 11 });
    const x = g.input('x', [200]);
    const a = dropout(x, 0.5);
    const b = dropout(x, 0.5);
    const feeds = { x: new Array(200).fill(1) };
    expect(data(a, feeds, 1)).not.toEqual(data(b, feeds, 1));
  });

  it('is the identity in evaluation mode and for keep = 1', () => {
    const g = graph({ mode: 'eval' });
    const x = g.input('x', [3]);
    expect(dropout(x, 0.5)).toBe(x);
    const t = graph({ mode: 'train' });
    const xt = t.input('x', [3]);
    expect(dropout(xt, 1)).toBe(xt);
  });

  it('rejects keep outside (0, 1]', () => {
    const g = graph();
    const x = g.input('x', [3]);
    expect(() => dropout(x, 0)).toThrow(/keep must be in \(0, 1\]/);
    expect(() => dropout(x, 1.5)).toThrow(/keep must be in \(0, 1\]/);
  });

  it('sends the gradient through the kept units only, scaled by 1/keep', () => {
    const g = graph({ seed: 3 });
    const x = g.input('x', [50]);
    const y = dropout(x, keep);
    const [dx] = grad(y.sum(), [x]);
    const feeds = { x: Array.from({ length: 50 }, (_, i) => i + 1) };
    const out = data(y, feeds, 2);
    const d = data(dx, feeds, 2);
    out.forEach((v, i) => {
      expect(d[i]).toBeCloseTo(v === 0 ? 0 : 1 / keep, 14);
    });
  });
});

describe('random ops', () => {
  function draw(op: 'RandomUniform' | 'RandomNormal', step: number, n = 20000, seed = 5, stream = 0) {
    const g = graph();
    const node: Node = g.add(op, [g.stepInput()], { shape: [n], dtype: 'f64', seed, stream });
    return data(g.value(node), {}, step);
  }
  const moments = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return { mean: m, variance: xs.reduce((a, v) => a + (v - m) ** 2, 0) / xs.length };
  };

  it('draw uniforms in [0, 1) with mean ½ and variance 1/12', () => {
    const u = draw('RandomUniform', 1);
    expect(u.every((v) => v >= 0 && v < 1)).toBe(true);
    const { mean, variance } = moments(u);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.003);
  });

  it('draw normals with mean 0 and variance 1', () => {
    const z = draw('RandomNormal', 1);
    const { mean, variance } = moments(z);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.04);
    // About 68% within one standard deviation.
    expect(Math.abs(z.filter((v) => Math.abs(v) < 1).length / z.length - 0.6827)).toBeLessThan(0.015);
  });

  it('are a function of (seed, stream, step): same numbers for the same triple, different otherwise', () => {
    for (const op of ['RandomUniform', 'RandomNormal'] as const) {
      expect(draw(op, 4, 64)).toEqual(draw(op, 4, 64));
      expect(draw(op, 4, 64)).not.toEqual(draw(op, 5, 64));
      expect(draw(op, 4, 64, 5, 0)).not.toEqual(draw(op, 4, 64, 6, 0));
      expect(draw(op, 4, 64, 5, 0)).not.toEqual(draw(op, 4, 64, 5, 1));
    }
  });
});

describe('extreme inputs', () => {
  const xs = [-800, -100, -30, 0, 30, 100, 800];
  const sig = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

  function valueAndSlope(f: (x: Value) => Value, precision: 'f64' | 'f32') {
    const g = graph({ floatDtype: precision });
    const x = g.input('x', [xs.length]);
    const y = f(x);
    const [dx] = grad(y.sum(), [x]);
    const [v, d] = interpret([y.node, dx.node], { feeds: { x: xs }, precision });
    return { value: Array.from(v.data), slope: Array.from(d.data) };
  }

  for (const precision of ['f64', 'f32'] as const) {
    it(`sigmoid and softplus stay finite, with finite gradients, far from 0 (${precision})`, () => {
      const s = valueAndSlope((x) => x.sigmoid(), precision);
      const p = valueAndSlope((x) => x.softplus(), precision);
      const tol = precision === 'f64' ? 1e-15 : 1e-7;
      xs.forEach((v, i) => {
        expect(Math.abs(s.value[i] - sig(v)), `sigmoid(${v})`).toBeLessThanOrEqual(tol);
        expect(Math.abs(s.slope[i] - sig(v) * (1 - sig(v))), `sigmoid'(${v})`).toBeLessThanOrEqual(tol);
        const sp = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
        expect(Math.abs(p.value[i] - sp), `softplus(${v})`).toBeLessThanOrEqual(tol * Math.max(1, sp));
        expect(Math.abs(p.slope[i] - sig(v)), `softplus'(${v})`).toBeLessThanOrEqual(tol);
      });
    });
  }
});

describe('subgradient conventions at kinks', () => {
  const at = (f: (x: Value) => Value, v: number) => {
    const g = graph();
    const x = g.input('x', []);
    return data(grad(f(x), [x])[0], { x: v })[0];
  };

  it('relu and abs have gradient 0 at 0 (PyTorch); softplus, being smooth, has ½', () => {
    expect(at((x) => x.relu(), 0)).toBe(0);
    expect(at((x) => x.abs(), 0)).toBe(0);
    expect(at((x) => x.softplus(), 0)).toBeCloseTo(0.5, 15);
    // and its second derivative at 0 is σ(0)(1 − σ(0)) = ¼
    const g = graph();
    const x = g.input('x', []);
    const [d1] = grad(x.softplus(), [x]);
    expect(data(grad(d1, [x])[0], { x: 0 })[0]).toBeCloseTo(0.25, 15);
  });

  it('maximum, minimum and max-reduction share the gradient between tied elements', () => {
    const g = graph();
    const a = g.input('a', [3]);
    const b = g.input('b', [3]);
    const [da, db] = grad(a.maximum(b).sum(), [a, b]);
    const feeds = { a: [1, 2, 3], b: [1, 5, 0] };
    expect(data(da, feeds)).toEqual([0.5, 0, 1]);
    expect(data(db, feeds)).toEqual([0.5, 1, 0]);
    const [dmin] = grad(a.minimum(b).sum(), [a]);
    expect(data(dmin, feeds)).toEqual([0.5, 1, 0]);
    const [dmax] = grad(a.max(), [a]);
    expect(data(dmax, { a: [4, 1, 4] })).toEqual([0.5, 0, 0.5]);
  });

  it('argmax picks the first of tied maxima', () => {
    const g = graph();
    const x = g.input('x', [2, 3]);
    expect(
      data(x.argmax({ axis: 1 }), {
        x: [
          [1, 3, 3],
          [2, 2, 2],
        ],
      }),
    ).toEqual([1, 0]);
  });

  it('gather gives NaN for an out-of-range label instead of reading outside the tensor', () => {
    const g = graph();
    const x = g.constant([
      [1, 2],
      [3, 4],
    ]);
    const got = data(x.gather(g.constant([1, 2], 'i32')));
    expect(got[0]).toBe(2);
    expect(got[1]).toBeNaN();
  });
});
