import { initVariables } from '@gradus/autodiff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hessianSpectrum } from '../curvature/hessian-spectrum.js';
import { sgd } from '../optimizers.js';
import { mlpArb, mlpProblem, quadraticArb, runOptimizer, saddleProblem } from './index.js';

describe('the research problems', () => {
  it('a drawn quadratic has exactly the condition number asked for, and its graph that spectrum', () => {
    fc.assert(
      fc.property(
        quadraticArb({
          dim: { min: 2, max: 5 },
          condition: { min: 1, max: 1e3 },
          lambdaMax: { min: 0.1, max: 10 },
        }),
        (p) => {
          const ev = p.eigenvalues!;
          expect(ev.length).toBe(p.dim);
          const g = p.build();
          const s = hessianSpectrum(g, initVariables(g, 0), { top: p.dim });
          s.largest.forEach((e, i) => {
            expect(e.value).toBeCloseTo(ev[i], 9);
          });
          // The graph's loss and the closed form agree, and the minimiser is where the loss is 0.
          const t = runOptimizer(p, sgd(0), 0);
          expect(t.losses[0]).toBeCloseTo(p.objective!(p.x0), 12);
          expect(p.objective!(p.minimizer!)).toBe(0);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('quadraticArb pins κ: λmax/λmin is the drawn condition number', () => {
    fc.assert(
      fc.property(quadraticArb({ condition: 250 }), (p) => {
        expect(p.eigenvalues![0] / p.eigenvalues!.at(-1)!).toBeCloseTo(250, 9);
      }),
      { numRuns: 10 },
    );
  });

  it('an MLP problem is deterministic in its seed and has the dim its params hold', () => {
    const a = runOptimizer(mlpProblem({ seed: 4 }), sgd(0.1), 3);
    const b = runOptimizer(mlpProblem({ seed: 4 }), sgd(0.1), 3);
    expect(a.losses).toEqual(b.losses);
    expect(a.params[0]).toHaveLength(2 * 8 + 8 + 8 * 3 + 3);
    expect(runOptimizer(mlpProblem({ seed: 5 }), sgd(0.1), 0).losses[0]).not.toBe(a.losses[0]);
    fc.assert(
      fc.property(mlpArb(), (p) => {
        expect(runOptimizer(p, sgd(0), 0).params[0]).toHaveLength(p.dim);
      }),
      { numRuns: 10 },
    );
  });

  it('a noisy saddle draws the same noise for the same seed, different for another', () => {
    const run = (seed: number) => runOptimizer(saddleProblem({ noise: 0.1, seed }), sgd(0.1), 5).params;
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
  });
});

describe('runOptimizer', () => {
  it('returns steps + 1 points with the loss and gradient at each, and the lr of each step', () => {
    const p = mlpProblem({ seed: 1 });
    const t = runOptimizer(p, { name: 'sgd', args: { lr: 0.5 } }, 6, {
      schedule: { name: 'step', args: { every: 2, factor: 0.5 } },
    });
    expect(t.params).toHaveLength(7);
    expect(t.losses).toHaveLength(7);
    expect(t.grads).toHaveLength(7);
    expect(t.lrs).toEqual([0.5, 0.5, 0.25, 0.25, 0.125, 0.125]);
    // Plain SGD: each point is the previous minus lr times the gradient reported there.
    for (let k = 0; k < 6; k++)
      t.params[k + 1].forEach((x, i) => {
        expect(x).toBeCloseTo(t.params[k][i] - t.lrs[k] * t.grads[k][i], 14);
      });
  });

  it('rejects a negative step count', () => {
    expect(() => runOptimizer(mlpProblem(), sgd(0.1), -1)).toThrow(/non-negative integer/);
  });
});
