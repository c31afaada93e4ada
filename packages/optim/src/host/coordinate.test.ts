import { describe, expect, it } from 'vitest';
import { type Block, coordinateSweep } from './coordinate.js';
import type { Evaluation } from './lbfgs.js';

/**
 * Block coordinate descent on quadratics f(x) = ½xᵀAx − bᵀx, where minimising over a block
 * exactly is one linear solve: the sweeps are then block Gauss–Seidel, computed here by hand.
 */
const A = [
  [4, 1, 0.5, 0],
  [1, 3, 0, 0.5],
  [0.5, 0, 2, 1],
  [0, 0.5, 1, 5],
];
const b = [1, -2, 3, 0.5];
const quadratic = (x: Float64Array): Evaluation => {
  const ax = A.map((row) => row.reduce((s, a, j) => s + a * x[j], 0));
  return {
    f: 0.5 * ax.reduce((s, v, i) => s + v * x[i], 0) - b.reduce((s, v, i) => s + v * x[i], 0),
    g: Float64Array.from(ax, (v, i) => v - b[i]),
  };
};
const hessian = () => Float64Array.from(A.flat());
const blocks: Block[] = [
  { name: 'first', indices: Int32Array.of(0, 1) },
  { name: 'second', indices: Int32Array.of(2, 3) },
];

/** Solves the 2×2 system [[p, q], [q, r]]·z = c. */
const solve2 = (p: number, q: number, r: number, c: [number, number]) => {
  const det = p * r - q * q;
  return [(r * c[0] - q * c[1]) / det, (p * c[1] - q * c[0]) / det];
};

describe('coordinateSweep', () => {
  it('with newton on a quadratic is block Gauss–Seidel, and every block visit lowers f', () => {
    let x = new Float64Array(4);
    let at = quadratic(x);
    let gs = [0, 0, 0, 0];
    for (let sweep = 0; sweep < 12; sweep++) {
      const r = coordinateSweep(quadratic, x, at, blocks, {
        inner: { name: 'newton', lr: 1, damping: 0, tolerance: 0 },
        innerSteps: 1,
        hessian,
      });
      // By hand: x₁ ← A₁₁⁻¹(b₁ − A₁₂x₂), then x₂ ← A₂₂⁻¹(b₂ − A₂₁x₁).
      const first = solve2(4, 1, 3, [b[0] - 0.5 * gs[2], b[1] - 0.5 * gs[3]]);
      const second = solve2(2, 1, 5, [b[2] - 0.5 * first[0], b[3] - 0.5 * first[1]]);
      gs = [...first, ...second];
      // (Near the solution rounding can make the full step look uphill, and it is halved.)
      if (sweep < 6)
        r.x.forEach((v, i) => {
          expect(v).toBeCloseTo(gs[i], 12);
        });
      expect(r.visits.map((v) => v.block)).toEqual(['first', 'second']);
      for (const v of r.visits) expect(v.after).toBeLessThanOrEqual(v.before);
      expect(r.at.f).toBeCloseTo(quadratic(r.x).f, 14);
      x = Float64Array.from(r.x);
      at = r.at;
    }
    // Gauss–Seidel converges on a positive-definite system: to the solution of A·x = b.
    const g = quadratic(x).g;
    for (const v of g) expect(Math.abs(v)).toBeLessThan(1e-6);
  });

  it('one number at a time (plain coordinate descent) with lbfgs matches Gauss–Seidel too', () => {
    const single: Block[] = [0, 1, 2, 3].map((i) => ({ name: `x[${i}]`, indices: Int32Array.of(i) }));
    const x0 = new Float64Array(4);
    const r = coordinateSweep(quadratic, x0, quadratic(x0), single, {
      inner: { name: 'lbfgs', lr: 1, history: 10, tolerance: 1e-12 },
      innerSteps: 20,
    });
    const gs = [0, 0, 0, 0];
    for (let i = 0; i < 4; i++)
      gs[i] = (b[i] - A[i].reduce((s, a, j) => s + (j === i ? 0 : a * gs[j]), 0)) / A[i][i];
    r.x.forEach((v, i) => {
      expect(v).toBeCloseTo(gs[i], 9);
    });
    expect(r.visits).toHaveLength(4);
  });

  it('never raises f: a gradient step too long for the block is shortened', () => {
    const x0 = Float64Array.of(1, 1, 1, 1);
    const at = quadratic(x0);
    // lr = 10 overshoots every block of A (its eigenvalues are above 0.2): halving finds a descent.
    const r = coordinateSweep(quadratic, x0, at, blocks, {
      inner: { name: 'sgd', lr: 10, tolerance: 0 },
      innerSteps: 3,
    });
    let last = at.f;
    for (const v of r.visits) {
      expect(v.before).toBe(last);
      expect(v.after).toBeLessThan(v.before);
      last = v.after;
    }
    expect(r.at.f).toBe(last);
  });
});
