/**
 * The lectures' claims about optimisers as properties over random problems, written against the
 * research harness as a user would. Nesterov's O(1/k²), with a new optimiser written for it, is
 * the worked example of docs/research.md: test/research-example.test.ts.
 */
import { initVariables } from '@gradus/autodiff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hessianSpectrum } from '../curvature/hessian-spectrum.js';
import { adagrad, sgd } from '../optimizers.js';
import { mlpArb, quadraticArb, runOptimizer, saddleArb } from './index.js';

const RUNS = { numRuns: 20 };
const dist = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.hypot(...Array.from(a, (v, i) => v - b[i]));

describe('gradient descent on quadratics (training-and-regularizing)', () => {
  it('at lr = 2/(λmin + λmax) every step shrinks ‖x − x*‖ by at least (κ−1)/(κ+1)', () => {
    fc.assert(
      fc.property(quadraticArb({ dim: { min: 2, max: 6 }, condition: { min: 1, max: 1000 } }), (p) => {
        const lmax = p.eigenvalues![0];
        const lmin = p.eigenvalues!.at(-1)!;
        const kappa = lmax / lmin;
        const rate = (kappa - 1) / (kappa + 1);
        const { params } = runOptimizer(p, sgd(2 / (lmin + lmax)), 30);
        for (let k = 1; k < params.length; k++) {
          const before = dist(params[k - 1], p.minimizer!);
          expect(dist(params[k], p.minimizer!)).toBeLessThanOrEqual(rate * before + 1e-12);
        }
      }),
      RUNS,
    );
  });
});

describe('AdaGrad (regularization-and-optimization: the step size decays)', () => {
  it('moves no coordinate by more than lr, and each coordinate’s rate |Δx|/|g| only falls', () => {
    fc.assert(
      fc.property(
        fc.oneof(quadraticArb({ condition: { min: 1, max: 100 } }), mlpArb()),
        fc.double({ min: 0.01, max: 0.5, noNaN: true }),
        (p, lr) => {
          const { params, grads } = runOptimizer(p, adagrad(lr, 1e-10), 40);
          const last = new Array<number>(p.dim).fill(Number.POSITIVE_INFINITY);
          for (let k = 0; k + 1 < params.length; k++) {
            for (let i = 0; i < p.dim; i++) {
              const step = Math.abs(params[k + 1][i] - params[k][i]);
              expect(step).toBeLessThanOrEqual(lr * (1 + 1e-12));
              if (Math.abs(grads[k][i]) < 1e-9) continue;
              const rate = step / Math.abs(grads[k][i]);
              // |Δx| is a difference of two params: it carries their rounding, ε·(|x| + |x₊|).
              const rounding =
                (2 ** -52 * (Math.abs(params[k][i]) + Math.abs(params[k + 1][i]))) / Math.abs(grads[k][i]);
              expect(rate).toBeLessThanOrEqual(last[i] * (1 + 1e-9) + rounding);
              last[i] = rate;
            }
          }
        },
      ),
      RUNS,
    );
  });
});

describe('saddle points (feedforward-optimization: gradient methods escape them, with noise)', () => {
  it('noiseless gradient descent started on the stable manifold converges to the saddle', () => {
    fc.assert(
      fc.property(saddleArb(), (p) => {
        const { params, losses } = runOptimizer(p, sgd(0.2), 300);
        expect(params.at(-1)![1]).toBe(0);
        expect(Math.abs(losses.at(-1)!)).toBeLessThan(1e-6);
        expect(losses.at(-1)!).toBeGreaterThan(p.minimum! / 2);
      }),
      RUNS,
    );
  });

  it('with gradient noise it leaves the saddle and reaches a minimum', () => {
    fc.assert(
      fc.property(saddleArb({ noise: { min: 1e-3, max: 1e-2 } }), (p) => {
        const { params } = runOptimizer(p, sgd(0.2), 1500);
        const end = params.at(-1)!;
        expect(Math.abs(Math.abs(end[1]) - 1)).toBeLessThan(0.1);
        expect(p.objective!(end)).toBeLessThan(0.95 * p.minimum!);
      }),
      RUNS,
    );
  });
});

describe('regularisation adds curvature (regularization-and-optimization)', () => {
  it("λ·‖W‖² raises each of an MLP's Hessian eigenvalues by between 0 and 2λ (Weyl)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.double({ min: 1e-3, max: 0.1, noNaN: true }),
        (seed, lambda) => {
          const sizes = { inputs: 2, hidden: 4, classes: 3, examples: 12 };
          const [plain, reg] = [0, lambda].map((l2) => {
            const p = fc.sample(mlpArb({ ...sizes, l2 }), { seed, numRuns: 1 })[0];
            const g = p.build();
            return hessianSpectrum(g, initVariables(g, 0), { top: p.dim });
          });
          expect(plain.complete && reg.complete).toBe(true);
          plain.largest.forEach((e, i) => {
            const rise = reg.largest[i].value - e.value;
            expect(rise).toBeGreaterThanOrEqual(-1e-9);
            expect(rise).toBeLessThanOrEqual(2 * lambda + 1e-9);
          });
        },
      ),
      { numRuns: 10 },
    );
  });
});
