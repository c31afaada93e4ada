/**
 * The worked example of docs/research.md: a new optimiser (Nesterov's accelerated gradient), and
 * properties that test it against the lectures' claim that it turns gradient descent's O(1/k) into
 * O(1/k²) on convex problems. It imports only what a user of the `gradus` package has.
 */
import fc from 'fast-check';
import { hyper, perParameter, sgd } from 'gradus';
import { quadraticArb, quadraticProblem, runOptimizer } from 'gradus/testing';
import { describe, expect, it } from 'vitest';

/**
 * Nesterov's accelerated gradient as a gradient transformation. Its param is the look-ahead point
 * y, where the gradient is taken: x₊ = y − lr·g, y₊ = x₊ + β·(x₊ − x) with β = k/(k + 3) at step k
 * (0-based). The state d = x − y starts at 0, so the update is y₊ − y = −(1 + β)·lr·g − β·d and
 * the new state d₊ = β·(lr·g + d).
 */
function accelerated(lr: number) {
  return perParameter('accelerated(lr)', { d: { kind: 'zeros' } }, (g, s, _param, ctx) => {
    const beta = ctx.count.div(ctx.count.add(3));
    const step = g.mul(hyper(lr, ctx));
    return {
      update: step.mul(beta.add(1)).neg().sub(s.d.mul(beta)),
      state: { d: step.add(s.d).mul(beta) },
    };
  });
}

const dist = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.hypot(...Array.from(a, (v, i) => v - b[i]));

describe('a new optimiser: Nesterov’s accelerated gradient', () => {
  it('is the method on paper: its iterates match a plain transcription', () => {
    fc.assert(
      fc.property(quadraticArb({ dim: 3, condition: { min: 1, max: 1e3 } }), (p) => {
        const L = p.eigenvalues![0];
        const ours = runOptimizer(p, accelerated(1 / L), 40);
        // The gradient of a quadratic by central differences of its closed form (exact up to rounding).
        const gradient = (y: number[]) =>
          y.map((_, i) => {
            const up = [...y];
            const down = [...y];
            up[i] += 1e-5;
            down[i] -= 1e-5;
            return (p.objective!(up) - p.objective!(down)) / 2e-5;
          });
        let x = [...p.x0];
        let y = [...p.x0];
        for (let k = 0; k < 40; k++) {
          const g = gradient(y);
          const next = y.map((v, i) => v - g[i] / L);
          y = next.map((v, i) => v + (k / (k + 3)) * (v - x[i]));
          x = next;
          y.forEach((v, i) => {
            expect(ours.params[k + 1][i]).toBeCloseTo(v, 7);
          });
        }
      }),
      { numRuns: 10 },
    );
  });

  it('GD stays under L‖x₀ − x*‖²/(2k), the accelerated method under 2L‖x₀ − x*‖²/(k + 1)²', () => {
    fc.assert(
      fc.property(quadraticArb({ dim: { min: 2, max: 6 }, condition: { min: 1e4, max: 1e6 } }), (p) => {
        const L = p.eigenvalues![0];
        const r2 = dist(p.x0, p.minimizer!) ** 2;
        const gd = runOptimizer(p, sgd(1 / L), 200);
        const nag = runOptimizer(p, accelerated(1 / L), 200);
        for (let k = 1; k <= 200; k++) {
          expect(gd.losses[k]).toBeLessThanOrEqual((L * r2) / (2 * k) + 1e-12);
          // The bound is on x_k = y_{k−1} − ∇f(y_{k−1})/L, one gradient step from the look-ahead.
          const xk = nag.params[k - 1].map((y, i) => y - nag.grads[k - 1][i] / L);
          expect(p.objective!(xk)).toBeLessThanOrEqual((2 * L * r2) / (k + 1) ** 2 + 1e-12);
        }
      }),
      { numRuns: 10 },
    );
  });

  it('and the gap is real: for each k, a quadratic on which GD after k steps is above that bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 30, max: 300 }),
        fc.double({ min: 0.5, max: 10, noNaN: true }),
        (k, L) => {
          // One eigenvalue λ = L/(2k + 1), the start along it: GD's gap is ½λ(1 − λ/L)^{2k} ≥ λ/(2e).
          const p = quadraticProblem({ eigenvalues: [L, L / (2 * k + 1)], x0: [0, 1] });
          const bound = (2 * L) / (k + 1) ** 2;
          expect(runOptimizer(p, sgd(1 / L), k).losses[k]).toBeGreaterThan(bound);
          const nag = runOptimizer(p, accelerated(1 / L), k);
          const xk = nag.params[k - 1].map((y, i) => y - nag.grads[k - 1][i] / L);
          expect(p.objective!(xk)).toBeLessThanOrEqual(bound);
        },
      ),
      { numRuns: 20 },
    );
  });
});
