import { grad, graph, interpret } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import { bfgsDirection, bfgsUpdate, minimizeBfgs } from './bfgs.js';
import { dot, type Evaluation, lbfgsDirection, maxAbs, minimizeLbfgs, remember } from './lbfgs.js';
import { cubicMinimizer, strongWolfe } from './line-search.js';
import { cholesky, choleskySolve, hessianOf, newtonDirection } from './newton.js';

/**
 * The host-side algorithms on hand-written functions whose gradients, Hessians and minimisers
 * are worked out on paper here, so nothing in the expected values comes from Gradus itself.
 */

/** Rosenbrock f = (1 − x)² + 100(y − x²)², minimum 0 at (1, 1). */
const rosenbrock = (p: Float64Array): Evaluation => {
  const [x, y] = p;
  return {
    f: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
    g: Float64Array.of(-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)),
  };
};
const rosenbrockHessian = (p: Float64Array): Float64Array => {
  const [x, y] = p;
  return Float64Array.of(2 - 400 * (y - x * x) + 800 * x * x, -400 * x, -400 * x, 200);
};

/** A seeded n×n symmetric positive-definite A = MᵀM + I, and b = A·x* for a chosen x*. */
function quadratic(n: number, seed: number) {
  let s = seed;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  const m = Array.from({ length: n * n }, rand);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let v = i === j ? 1 : 0;
      for (let k = 0; k < n; k++) v += m[k * n + i] * m[k * n + j];
      a[i * n + j] = v;
    }
  const xStar = Float64Array.from({ length: n }, (_, i) => i - n / 2);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i] += a[i * n + j] * xStar[j];
  // f = ½xᵀAx − bᵀx, ∇f = Ax − b = A(x − x*).
  const objective = (x: Float64Array): Evaluation => {
    const ax = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) ax[i] += a[i * n + j] * x[j];
    return { f: 0.5 * dot(x, ax) - dot(b, x), g: ax.map((v, i) => v - b[i]) };
  };
  return { a, b, xStar, objective };
}

describe.each([
  {
    name: 'L-BFGS',
    minimize: (f: (x: Float64Array) => Evaluation, x0: ArrayLike<number>, tolerance: number) =>
      minimizeLbfgs(f, x0, { tolerance, history: Math.max(10, x0.length) }),
  },
  {
    name: 'BFGS',
    minimize: (f: (x: Float64Array) => Evaluation, x0: ArrayLike<number>, tolerance: number) =>
      minimizeBfgs(f, x0, { tolerance }),
  },
])('$name', ({ minimize }) => {
  it("reaches Rosenbrock's minimum (1, 1) from (−1.2, 1) to 1e-6 in under 100 iterations", () => {
    const r = minimize(rosenbrock, [-1.2, 1], 1e-9);
    expect(r.converged).toBe(true);
    expect(r.iterations).toBeLessThan(100);
    expect(Math.abs(r.x[0] - 1)).toBeLessThan(1e-6);
    expect(Math.abs(r.x[1] - 1)).toBeLessThan(1e-6);
    // Every accepted step satisfied sufficient decrease, so the losses never rise.
    for (let k = 1; k < r.losses.length; k++) expect(r.losses[k]).toBeLessThan(r.losses[k - 1]);
  });

  // BFGS ends in n steps on a quadratic only with exact line searches; a Wolfe search accepts the
  // quasi-Newton step t = 1 without minimising along the line, so "converged" here means the
  // gradient shrank a millionfold, which still takes at most a few iterations more than n.
  it.each([2, 4, 8, 16, 32])('solves a convex quadratic in %i unknowns in at most n + 3 iterations', (n) => {
    for (const seed of [1, 2, 3]) {
      const q = quadratic(n, 100 * seed + n);
      const x0 = new Float64Array(n);
      const tolerance = 1e-6 * maxAbs(q.objective(x0).g);
      const r = minimize(q.objective, x0, tolerance);
      expect(r.converged).toBe(true);
      expect(r.iterations).toBeLessThanOrEqual(n + 3);
      // ‖x − x*‖ ≤ ‖A⁻¹‖·‖g‖ and A = MᵀM + I has ‖A⁻¹‖ ≤ 1.
      for (let i = 0; i < n; i++)
        expect(Math.abs(r.x[i] - q.xStar[i])).toBeLessThan(Math.sqrt(n) * tolerance);
    }
  });
});

describe('L-BFGS', () => {
  it('two-loop recursion with one pair equals the BFGS update of γI', () => {
    // H₁ = (I − ρsyᵀ) γI (I − ρysᵀ) + ρssᵀ with γ = sᵀy/yᵀy, ρ = 1/yᵀs, in two dimensions by hand.
    const s = Float64Array.of(1, 2);
    const y = Float64Array.of(3, 1);
    const g = Float64Array.of(0.5, -1);
    const rho = 1 / dot(y, s);
    const gamma = dot(s, y) / dot(y, y);
    const I = [
      [1, 0],
      [0, 1],
    ];
    const V = I.map((row, i) => row.map((v, j) => v - rho * y[i] * s[j])); // I − ρysᵀ
    const H = I.map((_, i) =>
      I.map((__, j) => {
        let h = rho * s[i] * s[j];
        for (let k = 0; k < 2; k++) h += gamma * V[k][i] * V[k][j];
        return h;
      }),
    );
    const expected = H.map((row) => -(row[0] * g[0] + row[1] * g[1]));
    const d = lbfgsDirection(g, remember({ s: [], y: [] }, s, y, 5));
    expect(d[0]).toBeCloseTo(expected[0], 12);
    expect(d[1]).toBeCloseTo(expected[1], 12);
  });

  it('skips curvature pairs with sᵀy ≤ 1e-10 and keeps only `history` pairs', () => {
    const m0 = { s: [], y: [] };
    expect(remember(m0, Float64Array.of(1, 0), Float64Array.of(-1, 0), 3)).toBe(m0);
    expect(remember(m0, Float64Array.of(1e-6, 0), Float64Array.of(1e-5, 0), 3)).toBe(m0);
    let m = m0 as Parameters<typeof remember>[0];
    for (let k = 1; k <= 5; k++) m = remember(m, Float64Array.of(k, 0), Float64Array.of(1, 0), 3);
    expect(m.s.map((v) => v[0])).toEqual([3, 4, 5]);
  });
});

describe('BFGS', () => {
  /** (I − ρsyᵀ)·H·(I − ρysᵀ) + ρssᵀ by plain matrix products (N&W eq. 6.17). */
  const productForm = (h: number[][], s: number[], y: number[]) => {
    const n = s.length;
    const rho = 1 / s.reduce((a, v, i) => a + v * y[i], 0);
    const left = (i: number, k: number) => (i === k ? 1 : 0) - rho * s[i] * y[k];
    return Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => {
        let v = rho * s[i] * s[j];
        for (let k = 0; k < n; k++) for (let l = 0; l < n; l++) v += left(i, k) * h[k][l] * left(j, l);
        return v;
      }),
    );
  };

  it('updates the inverse Hessian as the product form of eq. 6.17, starting from (sᵀy/yᵀy)·I', () => {
    const s1 = [1, 2, -0.5];
    const y1 = [3, 1, 0.25];
    const gamma =
      dot(Float64Array.from(s1), Float64Array.from(y1)) / dot(Float64Array.from(y1), Float64Array.from(y1));
    const h0 = [0, 1, 2].map((i) => [0, 1, 2].map((j) => (i === j ? gamma : 0)));
    const h1 = bfgsUpdate(undefined, Float64Array.from(s1), Float64Array.from(y1))!;
    productForm(h0, s1, y1)
      .flat()
      .forEach((v, k) => {
        expect(h1[k]).toBeCloseTo(v, 12);
      });
    const s2 = [-0.3, 0.4, 1];
    const y2 = [-0.1, 0.9, 2];
    const h2 = bfgsUpdate(h1, Float64Array.from(s2), Float64Array.from(y2))!;
    const h1m = [0, 1, 2].map((i) => Array.from(h1.slice(3 * i, 3 * i + 3)));
    productForm(h1m, s2, y2)
      .flat()
      .forEach((v, k) => {
        expect(h2[k]).toBeCloseTo(v, 12);
      });
    // The secant equation H₊·y = s, so the direction for g = −y is s.
    const d = bfgsDirection(
      Float64Array.from(y2, (v) => -v),
      h2,
    );
    d.forEach((v, i) => {
      expect(v).toBeCloseTo(s2[i], 12);
    });
  });

  it('keeps H when sᵀy ≤ 1e-10 (no usable curvature) and steps along −g before the first pair', () => {
    const h = Float64Array.of(2, 0, 0, 2);
    expect(bfgsUpdate(h, Float64Array.of(1, 0), Float64Array.of(-1, 0))).toBe(h);
    expect(bfgsUpdate(undefined, Float64Array.of(1, 0), Float64Array.of(-1, 0))).toBeUndefined();
    expect(Array.from(bfgsDirection(Float64Array.of(3, -4), undefined))).toEqual([-3, 4]);
  });
});

describe('strong-Wolfe line search', () => {
  it('puts the cubic interpolation step at the minimiser of an exact cubic', () => {
    // φ(t) = t³ − 3t: φ' = 3t² − 3, minimum at t = 1; interpolate from t = 0 and t = 2.
    const phi = (t: number) => t ** 3 - 3 * t;
    const dphi = (t: number) => 3 * t * t - 3;
    expect(cubicMinimizer(0, phi(0), dphi(0), 2, phi(2), dphi(2), 0, 2)).toBeCloseTo(1, 12);
  });

  it.each([1e-3, 1, 50])('returns a step meeting both conditions from trial step %f', (t1) => {
    // Along −∇f from (−1.2, 1) on Rosenbrock.
    const x = Float64Array.of(-1.2, 1);
    const at = rosenbrock(x);
    const d = at.g.map((v) => -v / maxAbs(at.g));
    const phi = (t: number) => {
      const e = rosenbrock(x.map((v, i) => v + t * d[i]));
      return { t, f: e.f, slope: dot(e.g, d), g: e.g };
    };
    const slope0 = dot(at.g, d);
    const r = strongWolfe(phi, { t: 0, f: at.f, slope: slope0, g: at.g }, t1);
    expect(r.wolfe).toBe(true);
    expect(r.f).toBeLessThanOrEqual(at.f + 1e-4 * r.t * slope0);
    expect(Math.abs(r.slope)).toBeLessThanOrEqual(0.9 * Math.abs(slope0));
  });

  it('treats non-finite values as too far and backs off', () => {
    // f(t) = (t − 1)² for t < 2, NaN beyond: a trial step of 10 must come back into the domain.
    const phi = (t: number) => {
      const f = t < 2 ? (t - 1) ** 2 : Number.NaN;
      return { t, f, slope: t < 2 ? 2 * (t - 1) : Number.NaN, g: new Float64Array(0) };
    };
    const r = strongWolfe(phi, phi(0), 10);
    expect(r.wolfe).toBe(true);
    expect(r.t).toBeGreaterThan(0);
    expect(r.t).toBeLessThan(2);
  });
});

describe('Newton', () => {
  it('Cholesky factorises a positive-definite matrix and refuses an indefinite one', () => {
    const a = Float64Array.of(4, 2, 2, 3);
    const l = cholesky(a, 2)!;
    // L = [[2, 0], [1, √2]] by hand.
    expect(Array.from(l)).toEqual([2, 0, 1, Math.SQRT2]);
    const x = choleskySolve(l, 2, [2, 1]);
    // [[4, 2], [2, 3]]·x = [2, 1] → x = [0.5, 0].
    expect(x[0]).toBeCloseTo(0.5, 14);
    expect(x[1]).toBeCloseTo(0, 14);
    expect(cholesky(Float64Array.of(1, 2, 2, 1), 2)).toBeUndefined();
  });

  it('solves a convex quadratic in exactly one step with lr 1', () => {
    const q = quadratic(6, 3);
    const x0 = new Float64Array(6);
    const { d } = newtonDirection(q.a, q.objective(x0).g, 6)!;
    const x1 = x0.map((v, i) => v + d[i]);
    for (let i = 0; i < 6; i++) expect(x1[i]).toBeCloseTo(q.xStar[i], 10);
    expect(maxAbs(q.objective(x1).g)).toBeLessThan(1e-9);
  });

  it('reaches the Rosenbrock minimum from (−1.2, 1) in under 30 iterations', () => {
    let x = Float64Array.of(-1.2, 1);
    let k = 0;
    while (maxAbs(rosenbrock(x).g) >= 1e-9 && k < 30) {
      const { d } = newtonDirection(rosenbrockHessian(x), rosenbrock(x).g, 2)!;
      x = x.map((v, i) => v + d[i]);
      k++;
    }
    expect(k).toBeLessThan(30);
    expect(x[0]).toBeCloseTo(1, 8);
    expect(x[1]).toBeCloseTo(1, 8);
  });

  it('raises the damping on an indefinite Hessian until the step goes downhill', () => {
    // At a saddle-like point H = diag(1, −2): the pure Newton step heads for the saddle.
    const h = Float64Array.of(1, 0, 0, -2);
    const g = Float64Array.of(1, 1);
    const r = newtonDirection(h, g, 2)!;
    expect(r.damping).toBeGreaterThan(2);
    expect(dot(r.d, g)).toBeLessThan(0);
    // With the damping it chose, (H + λI)d = −g holds.
    expect((1 + r.damping) * r.d[0]).toBeCloseTo(-1, 10);
    expect((-2 + r.damping) * r.d[1]).toBeCloseTo(-1, 10);
    expect(newtonDirection(Float64Array.of(Number.NaN, 0, 0, 1), g, 2)).toBeUndefined();
  });

  it('hessianOf gives the full Hessian over several params, off-diagonal blocks included', () => {
    // f(a, b) = a₀²·b + a₀a₁ + b³ with a = (1, 2), b = 3. By hand, over (a₀, a₁, b):
    // ∂²/∂a₀² = 2b = 6, ∂²/∂a₀∂a₁ = 1, ∂²/∂a₀∂b = 2a₀ = 2, ∂²/∂a₁² = 0, ∂²/∂a₁∂b = 0, ∂²/∂b² = 6b = 18.
    const g = graph();
    const a = g.param('a', [2]);
    const b = g.param('b', [1]);
    const a0 = a.index([0]);
    const a1 = a.index([1]);
    const b0 = b.index([0]);
    const loss = a0.square().mul(b0).add(a0.mul(a1)).add(b0.mul(b0).mul(b0));
    const h = hessianOf([a, b], grad(loss, [a, b]));
    const [value] = interpret([h.node], { feeds: { a: [1, 2], b: [3] } });
    expect(value.shape).toEqual([3, 3]);
    expect(Array.from(value.data)).toEqual([6, 1, 2, 1, 0, 0, 2, 0, 18]);
  });
});
