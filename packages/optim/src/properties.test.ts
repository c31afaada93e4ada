/** The lectures' claims about the optimisers, as property tests over random problems. */
import { graph, init } from '@gradus/autodiff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adagrad, adam, momentum, nesterov, sgd } from './optimizers.js';
import { buildTrainStep, interpretSteps, paramsOf } from './step.js';
import type { GradientTransformation } from './transforms/types.js';

const RUNS = { numRuns: 25 };

/** ½ xᵀHx with H = R(θ) diag(λ₁, λ₂) R(θ)ᵀ: a 2-D quadratic with chosen eigenvalues. */
function hessian(l1: number, l2: number, theta: number): number[][] {
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  return [
    [c * c * l1 + s * s * l2, c * s * (l1 - l2)],
    [c * s * (l1 - l2), s * s * l1 + c * c * l2],
  ];
}

function run(H: number[][], x0: number[], opt: GradientTransformation, steps: number) {
  const g = graph();
  const x = g.param('x', [2, 1], init.literal(x0));
  const loss = x.matMul(g.constant(H), { transA: true }).matMul(x).mul(0.5).reshape([]);
  buildTrainStep(g, loss, paramsOf(g), opt);
  const { history } = interpretSteps(g, { steps });
  return { xs: [x0, ...history.map((h) => [...h.updates.x.data])], history };
}

const norm = (v: number[]) => Math.hypot(...v);

const eigen = fc.double({ min: 0.1, max: 10, noNaN: true });
const angle = fc.double({ min: 0, max: Math.PI, noNaN: true });

describe('gradient descent on a quadratic (lectures: training-and-regularizing)', () => {
  it('converges when lr < 2/λmax: every step shrinks ‖x‖', () => {
    fc.assert(
      fc.property(eigen, eigen, angle, fc.double({ min: 0.05, max: 0.95, noNaN: true }), (a, b, th, c) => {
        const lr = (c * 2) / Math.max(a, b);
        const { xs } = run(hessian(a, b, th), [1, -1], sgd(lr), 30);
        for (let k = 1; k < xs.length; k++)
          expect(norm(xs[k])).toBeLessThanOrEqual(norm(xs[k - 1]) * (1 + 1e-12));
        const rate = Math.max(Math.abs(1 - lr * a), Math.abs(1 - lr * b));
        expect(norm(xs[30])).toBeLessThanOrEqual(rate ** 30 * norm(xs[0]) * (1 + 1e-9));
      }),
      RUNS,
    );
  });

  it('diverges when lr > 2/λmax (from a start with a component along the top eigenvector)', () => {
    fc.assert(
      fc.property(eigen, eigen, angle, fc.double({ min: 1.05, max: 1.5, noNaN: true }), (a, b, th, c) => {
        const lr = (c * 2) / Math.max(a, b);
        // x0 along the eigenvector of λmax: R(θ)·e₁ if a is the larger, R(θ)·e₂ otherwise.
        const x0 = a >= b ? [Math.cos(th), Math.sin(th)] : [-Math.sin(th), Math.cos(th)];
        const { xs } = run(hessian(a, b, th), x0, sgd(lr), 60);
        expect(norm(xs[60])).toBeGreaterThan(100 * norm(x0));
      }),
      RUNS,
    );
  });

  it('the optimal lr 2/(λmin + λmax) contracts ‖x‖ at exactly (κ−1)/(κ+1) per step', () => {
    fc.assert(
      fc.property(eigen, eigen, angle, (a, b, th) => {
        const lo = Math.min(a, b);
        const hi = Math.max(a, b);
        const kappa = hi / lo;
        const { xs } = run(hessian(a, b, th), [0.7, -1.3], sgd(2 / (lo + hi)), 10);
        const rate = (kappa - 1) / (kappa + 1);
        for (let k = 1; k < xs.length; k++) {
          // Scaled form, so κ = 1 (one step to the minimum, then 0 = 0) passes too.
          expect(Math.abs(norm(xs[k]) - rate * norm(xs[k - 1]))).toBeLessThanOrEqual(1e-9 * norm(xs[k - 1]));
        }
      }),
      RUNS,
    );
  });
});

describe('momentum (lectures: regularization-and-optimization)', () => {
  it('with ρ = 0 is SGD, iterate for iterate', () => {
    fc.assert(
      fc.property(eigen, eigen, angle, fc.double({ min: 0.01, max: 0.15, noNaN: true }), (a, b, th, lr) => {
        const H = hessian(a, b, th);
        expect(run(H, [1, 2], momentum(lr, 0), 20).xs).toEqual(run(H, [1, 2], sgd(lr), 20).xs);
      }),
      RUNS,
    );
  });

  it("the lectures' form (v ← ρv − lr·g, x ← x + v) gives the same iterates as PyTorch's", () => {
    fc.assert(
      fc.property(
        eigen,
        eigen,
        angle,
        fc.double({ min: 0.001, max: 0.05, noNaN: true }),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        fc.boolean(),
        (a, b, th, lr, rho, nag) => {
          const H = hessian(a, b, th);
          const ours = run(H, [1, -2], nag ? nesterov(lr, rho) : momentum(lr, rho), 30).xs;
          // The lectures' formulations, in plain JS: heavy ball, and NAG after the change of variables.
          let x = [1, -2];
          let v = [0, 0];
          const grad = (p: number[]) => [H[0][0] * p[0] + H[0][1] * p[1], H[1][0] * p[0] + H[1][1] * p[1]];
          for (let k = 1; k <= 30; k++) {
            const gr = grad(x);
            const vNew = v.map((vi, i) => rho * vi - lr * gr[i]);
            x = nag
              ? x.map((xi, i) => xi + vNew[i] + rho * (vNew[i] - v[i]))
              : x.map((xi, i) => xi + vNew[i]);
            v = vNew;
            x.forEach((xi, i) => {
              expect(ours[k][i]).toBeCloseTo(xi, 11);
            });
          }
        },
      ),
      RUNS,
    );
  });
});

describe('adaptive methods (lectures: feedforward-optimization)', () => {
  it("Adam's first step is ≈ lr per coordinate, in the direction of −sign(g)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 6 }),
        fc.double({ min: 1e-4, max: 0.1, noNaN: true }),
        (target, lr) => {
          const t = target.map((v) => (Math.abs(v) < 1e-2 ? 1 : v));
          const g = graph();
          const x = g.param('x', [t.length]);
          buildTrainStep(g, x.sub(g.constant(t)).square().sum(), paramsOf(g), adam(lr));
          const step = [...interpretSteps(g, { steps: 1 }).history[0].updates.x.data];
          // x starts at 0, so g = −2t and the step moves towards t by lr.
          step.forEach((s, i) => {
            expect(Math.abs(s - lr * Math.sign(t[i]))).toBeLessThanOrEqual(lr * 1e-5);
          });
        },
      ),
      RUNS,
    );
  });

  it('Adam without bias correction ("Adam (almost)") first moves each coordinate by lr·(1−β₁)/√(1−β₂)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 6 }),
        fc.double({ min: 1e-4, max: 0.1, noNaN: true }),
        fc.double({ min: 0.5, max: 0.95, noNaN: true }),
        fc.double({ min: 0.9, max: 0.9999, noNaN: true }),
        (target, lr, b1, b2) => {
          const t = target.map((v) => (Math.abs(v) < 1e-2 ? 1 : v));
          const g = graph();
          const x = g.param('x', [t.length]);
          buildTrainStep(
            g,
            x.sub(g.constant(t)).square().sum(),
            paramsOf(g),
            adam(lr, b1, b2, 1e-12, false, false),
          );
          const step = [...interpretSteps(g, { steps: 1 }).history[0].updates.x.data];
          // With bias correction the first step is lr·sign; without, the zero-started moments scale it.
          const size = (lr * (1 - b1)) / Math.sqrt(1 - b2);
          step.forEach((s, i) => {
            expect(Math.abs(s - size * Math.sign(t[i]))).toBeLessThanOrEqual(size * 1e-6);
          });
        },
      ),
      RUNS,
    );
  });

  it("AdaGrad's effective rate lr/(√s + eps) only falls", () => {
    fc.assert(
      fc.property(eigen, eigen, angle, fc.double({ min: 0.01, max: 1, noNaN: true }), (a, b, th, lr) => {
        const { history } = run(hessian(a, b, th), [3, -1], adagrad(lr), 25);
        let prev = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
        for (const h of history) {
          const rate = [...h.updates['opt.x.sum'].data].map((s) => lr / (Math.sqrt(s) + 1e-10));
          rate.forEach((r, i) => {
            expect(r).toBeLessThanOrEqual(prev[i]);
          });
          prev = rate;
        }
      }),
      RUNS,
    );
  });
});
