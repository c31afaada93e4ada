import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GradusError } from './diagnostic.js';
import { grad, hessian, hvp, hvpAll, valueAndGrad, vjp } from './grad.js';
import { graph } from './graph.js';
import { interpret } from './interpreter.js';
import { exprGraphArb, gradcheck } from './testing/index.js';

const RUNS = 100;

const values =
  (...vs: { node: import('./node.js').Node }[]) =>
  (feeds: Record<string, unknown>) =>
    interpret(
      vs.map((v) => v.node),
      { feeds: feeds as Record<string, number> },
    ).map((t) => Array.from(t.data));

describe('reverse mode on random compositions of ops', () => {
  it('matches central differences', () => {
    fc.assert(
      fc.property(exprGraphArb(), (e) => {
        // Intermediates reach ±25 and the check contracts up to 36 of them: a 1e-5 step keeps
        // rounding noise (~1e-16·|f|/eps) and truncation (~eps²·f''') both far below the tolerance.
        const r = gradcheck(e.build, e.inputs, { eps: 1e-5, rtol: 1e-5, atol: 1e-6 });
        expect(r.ok, `${r.message}\n${e.steps.join('\n')}`).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('grad', () => {
  it('accumulates the gradient of a value used twice (micrograd)', () => {
    const g = graph();
    const a = g.input('a', []);
    const b = g.input('b', []);
    // f = a·b + a·a  →  ∂f/∂a = b + 2a, ∂f/∂b = a
    const f = a.mul(b).add(a.mul(a));
    const [da, db] = grad(f, [a, b]);
    expect(values(da, db)({ a: 3, b: -4 })).toEqual([[-4 + 6], [3]]);
  });

  it('gives zeros for a value the loss does not depend on', () => {
    const g = graph();
    const a = g.input('a', [2]);
    const b = g.input('b', [3]);
    const [db] = grad(a.sum(), [b]);
    expect(values(db)({ a: [1, 2], b: [1, 2, 3] })).toEqual([[0, 0, 0]]);
  });

  it('needs a scalar loss, or an explicit cotangent of the output shape', () => {
    const g = graph();
    const x = g.input('x', [2]);
    expect(() => grad(x.mul(2), [x])).toThrow(GradusError);
    const [dx] = vjp(x.mul(x), [x], g.constant([1, 10]));
    expect(values(dx)({ x: [3, 4] })).toEqual([[6, 80]]);
    expect(() => vjp(x.mul(x), [x], g.constant([1, 2, 3]))).toThrow(/cotangent shape \[3\]/);
  });

  it('refuses a value of another graph', () => {
    const x = graph().input('x', []);
    const y = graph().input('y', []);
    expect(() => grad(x.mul(x), [y])).toThrow(GradusError);
  });

  it('returns the loss with its gradients', () => {
    const g = graph();
    const x = g.input('x', []);
    const { value, grads } = valueAndGrad(x.mul(x), [x]);
    expect(values(value, grads[0])({ x: 5 })).toEqual([[25], [10]]);
  });

  it('differentiates its own gradients: grad(grad(f)) of scalar functions', () => {
    const g = graph();
    const x = g.input('x', []);
    const cases: [import('./value.js').Value, (v: number) => number, (v: number) => number][] = [
      [x.mul(x).mul(x), (v) => 3 * v * v, (v) => 6 * v],
      [x.sin().mul(x), (v) => Math.cos(v) * v + Math.sin(v), (v) => -Math.sin(v) * v + 2 * Math.cos(v)],
      [
        x.exp().div(x.mul(x).add(1)),
        (v) => (Math.exp(v) * (v - 1) ** 2) / (v * v + 1) ** 2,
        () => Number.NaN,
      ],
      [
        x.tanh().tanh(),
        (v) => (1 - Math.tanh(Math.tanh(v)) ** 2) * (1 - Math.tanh(v) ** 2),
        () => Number.NaN,
      ],
    ];
    for (const [f, d1, d2] of cases) {
      const [g1] = grad(f, [x]);
      const [g2] = grad(g1, [x]);
      const [g3] = grad(g2, [x]);
      for (const v of [-1.3, -0.2, 0.7, 2]) {
        const [a1, a2] = values(g1, g2)({ x: v });
        expect(a1[0]).toBeCloseTo(d1(v), 12);
        if (!Number.isNaN(d2(v))) expect(a2[0]).toBeCloseTo(d2(v), 12);
        // Third order against differences of the second derivative.
        const h = 1e-5;
        const numeric = (values(g2)({ x: v + h })[0][0] - values(g2)({ x: v - h })[0][0]) / (2 * h);
        expect(values(g3)({ x: v })[0][0]).toBeCloseTo(numeric, 5);
      }
    }
  });
});

describe('second order', () => {
  // ½ xᵀAx with A not symmetric: the Hessian is (A + Aᵀ)/2, the gradient (A + Aᵀ)x/2.
  const A = [
    [2, 1, 0],
    [3, 4, -1],
    [0, 5, 6],
  ];
  const sym = A.map((row, i) => row.map((a, j) => (a + A[j][i]) / 2));

  function quadratic() {
    const g = graph();
    const x = g.input('x', [3]);
    const Av = g.constant(A);
    const loss = x
      .reshape([1, 3])
      .matMul(Av)
      .matMul(x.reshape([3, 1]))
      .reshape([])
      .mul(0.5);
    return { g, x, loss };
  }

  it('hessian of ½xᵀAx is the symmetric part of A', () => {
    const { x, loss } = quadratic();
    const H = hessian(loss, x);
    expect(H.shape).toEqual([3, 3]);
    const [h] = interpret([H.node], { feeds: { x: [0.3, -1.2, 2.5] } });
    expect(Array.from(h.data)).toEqual(sym.flat());
  });

  it('hvp of ½xᵀAx is the symmetric part of A times v', () => {
    const { g, x, loss } = quadratic();
    const v = [1, -2, 0.5];
    const Hv = hvp(loss, x, g.constant(v));
    const [r] = interpret([Hv.node], { feeds: { x: [0.3, -1.2, 2.5] } });
    const expected = sym.map((row) => row.reduce((s, a, j) => s + a * v[j], 0));
    expect(Array.from(r.data)).toEqual(expected);
  });

  it('hessian of a symmetric quadratic equals A exactly', () => {
    const S = [
      [4, 1],
      [1, 3],
    ];
    const g = graph();
    const x = g.input('x', [2]);
    const loss = x
      .reshape([1, 2])
      .matMul(g.constant(S))
      .matMul(x.reshape([2, 1]))
      .sum()
      .mul(0.5);
    const [h] = interpret([hessian(loss, x).node], { feeds: { x: [7, -3] } });
    expect(Array.from(h.data)).toEqual(S.flat());
  });

  it('hessian of a non-quadratic function matches its closed form', () => {
    // f(x, y) = x²y + sin(y)  →  H = [[2y, 2x], [2x, −sin y]]
    const g = graph();
    const p = g.input('p', [2]);
    const [x, y] = [p.index([0]), p.index([1])];
    const loss = x.mul(x).mul(y).add(y.sin());
    const [h] = interpret([hessian(loss, p).node], { feeds: { p: [0.5, 1.2] } });
    const want = [2 * 1.2, 2 * 0.5, 2 * 0.5, -Math.sin(1.2)];
    Array.from(h.data).forEach((v, i) => {
      expect(v).toBeCloseTo(want[i], 14);
    });
  });

  it('hvpAll over two params includes the cross terms of the joint Hessian', () => {
    // f(a, b) = a₀²b + a₁b³ with a ∈ R², b ∈ R: the joint Hessian over (a₀, a₁, b) by hand.
    const g = graph();
    const a = g.input('a', [2]);
    const b = g.input('b', []);
    const loss = a
      .index([0])
      .square()
      .mul(b)
      .add(a.index([1]).mul(b.pow(3)));
    const [a0, a1, bb] = [0.7, -1.3, 1.1];
    const H = [
      [2 * bb, 0, 2 * a0],
      [0, 0, 3 * bb * bb],
      [2 * a0, 3 * bb * bb, 6 * a1 * bb],
    ];
    const v = [0.4, -2, 1.5];
    const [ha, hb] = hvpAll(loss, [a, b], [g.constant([v[0], v[1]]), g.constant(v[2])]);
    const [ra, rb] = interpret([ha.node, hb.node], { feeds: { a: [a0, a1], b: bb } });
    const want = H.map((row) => row.reduce((s, h, j) => s + h * v[j], 0));
    [...ra.data, ...rb.data].forEach((x, i) => {
      expect(x).toBeCloseTo(want[i], 13);
    });
  });

  it('hvpAll checks that every direction block has its param shape', () => {
    const g = graph();
    const a = g.input('a', [2]);
    expect(() => hvpAll(a.square().sum(), [a], [g.constant([1, 2, 3])])).toThrow(/E0214|shape \[3\]/);
    expect(() => hvpAll(a.square().sum(), [a], [])).toThrow(/1 params but 0/);
  });

  it('hessian needs a parameter of known shape', () => {
    const g = graph();
    const x = g.input('x', ['N']);
    expect(() => hessian(x.mul(x).sum(), x)).toThrow(/known shape/);
  });
});
