import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GradusError, graph, init, type Tensor } from '@gradus/autodiff';
import { cpu } from '@gradus/backends';
import { describe, expect, it } from 'vitest';
import type { CallSpec } from '../catalogue.js';
import type { StepEvent } from '../trainer/callback.js';
import { loadCheckpoint } from '../trainer/checkpoint.js';
import type { TrainSpec } from '../trainer/session.js';
import { train } from '../trainer/trainer.js';
import { LBFGS_S } from './host-driver.js';

/** Rosenbrock as a graph: (1 − p₀)² + 100(p₁ − p₀²)² from (−1.2, 1). */
function rosenbrock() {
  const g = graph();
  const p = g.param('p', [2], init.literal([-1.2, 1]));
  const a = p.index([0]);
  const b = p.index([1]);
  g.output('loss', a.neg().add(1).square().add(b.sub(a.square()).square().mul(100)), 'loss');
  return g;
}

/**
 * Least squares with two params and data: y = x·w + c exactly for w = (2, −1), c = 0.5, so the
 * minimum (loss 0) is at those values whatever the optimiser.
 */
function regression() {
  const g = graph();
  const x = g.input('x', ['N', 2]);
  const y = g.input('y', ['N']);
  const w = g.param('w', [2, 1]);
  const c = g.param('c', [1]);
  g.output('loss', x.matMul(w).reshape(['N']).add(c).sub(y).square().mean(), 'loss');
  return g;
}
const xs = Array.from({ length: 40 }, (_, i) => [Math.sin(i), Math.cos(3 * i)]);
const regressionData = {
  x: { shape: [40, 2], dtype: 'f64', data: Float64Array.from(xs.flat()) } as Tensor,
  y: { shape: [40], dtype: 'f64', data: Float64Array.from(xs, ([a, b]) => 2 * a - b + 0.5) } as Tensor,
};

const base = { modelName: 'M', inputNames: [], backend: cpu, dtype: 'f64' as const, seed: 0 };
const lbfgs: CallSpec = { name: 'lbfgs', args: {} };
const newton: CallSpec = { name: 'newton', args: {} };

describe('host-driven optimisers in train()', () => {
  it('lbfgs: Rosenbrock to (1, 1), stopping once converged, with the step events a trace needs', () => {
    const steps: StepEvent[] = [];
    const r = train(
      { ...base, graph: rosenbrock(), optimizer: lbfgs, steps: 500, traceParams: true },
      { onStep: (e) => steps.push(e) },
    );
    expect(r.stopped?.reason).toBe('early_stop');
    expect(r.stopped?.message).toMatch(/lbfgs converged at step \d+/);
    expect(r.steps).toBeLessThan(100);
    const [x, y] = r.params.p.data;
    expect(Math.abs(x - 1)).toBeLessThan(1e-6);
    expect(Math.abs(y - 1)).toBeLessThan(1e-6);
    // Each event: the loss where the step began (falling), the step length, the params after.
    expect(steps[0].loss).toBeCloseTo(24.2, 12); // (2.2)² + 100(1 − 1.44)² = 4.84 + 19.36
    for (let k = 1; k < steps.length; k++) expect(steps[k].loss).toBeLessThan(steps[k - 1].loss);
    expect(steps.every((e) => e.lr !== undefined && e.lr > 0 && e.gradNorm !== undefined)).toBe(true);
    expect(Array.from(steps.at(-1)!.params!.p)).toEqual(Array.from(r.params.p.data));
  });

  it('lbfgs: full batch over the data, several params, to the exact least-squares solution', () => {
    const r = train({
      ...base,
      graph: regression(),
      inputNames: ['x', 'y'],
      train: regressionData,
      batch: 4, // ignored: every iteration uses all 40 rows
      optimizer: lbfgs,
      epochs: 50,
    });
    expect(Array.from(r.params.w.data).map((v) => Number(v.toFixed(6)))).toEqual([2, -1]);
    expect(r.params.c.data[0]).toBeCloseTo(0.5, 6);
  });

  it('newton: a quadratic in exactly one step', () => {
    const r = train({
      ...base,
      graph: regression(),
      inputNames: ['x', 'y'],
      train: regressionData,
      optimizer: newton,
      steps: 20,
    });
    expect(r.steps).toBe(1);
    expect(r.stopped?.message).toMatch(/newton converged at step 1/);
    expect(r.params.w.data[0]).toBeCloseTo(2, 10);
    expect(r.params.w.data[1]).toBeCloseTo(-1, 10);
    expect(r.params.c.data[0]).toBeCloseTo(0.5, 10);
  });

  it('lbfgs resumes bit-identically: its curvature pairs are in the checkpoint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradus-lbfgs-'));
    const losses = (extra: Partial<TrainSpec>, into: number[]) =>
      train(
        { ...base, graph: rosenbrock(), optimizer: lbfgs, steps: 20, ...extra },
        {
          onStep: (e) => into.push(e.loss),
        },
      );
    const whole: number[] = [];
    const full = losses({}, whole);
    const parts: number[] = [];
    losses({ steps: 8, checkpointDir: dir }, parts);
    const saved = loadCheckpoint(dir);
    expect(saved.variables[LBFGS_S].data.some((v) => v !== 0)).toBe(true);
    const resumed = losses({ resume: saved }, parts);
    expect(parts).toEqual(whole);
    expect(Array.from(resumed.params.p.data)).toEqual(Array.from(full.params.p.data));
  });

  it('refuses settings that only make sense for gradient transformations, and newton on many params', () => {
    const expectE0914 = (spec: Partial<TrainSpec>, pattern: RegExp) => {
      let err: unknown;
      try {
        train({ ...base, graph: rosenbrock(), optimizer: lbfgs, steps: 3, ...spec });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GradusError);
      expect((err as GradusError).diagnostics[0].code).toBe('E0914');
      expect((err as GradusError).message).toMatch(pattern);
    };
    expectE0914({ schedule: { name: 'cosine', args: { steps: 10 } } }, /schedule \(cosine\) does not apply/);
    expectE0914({ clip: 1 }, /clipping/);
    expectE0914({ polyak: 0.9 }, /Polyak/);
    expectE0914({ optimizer: { name: 'lbfgs', args: { lr: 0 } } }, /lr must be positive/);
    expectE0914({ optimizer: { name: 'newton', args: { damping: -1 } } }, /damping must be 0 or more/);
    const big = graph();
    const w = big.param('w', [50, 41]);
    big.output('loss', w.square().sum(), 'loss');
    expectE0914({ graph: big, optimizer: newton }, /2050 params \(newton allows at most 2000\)/);
    // A constant schedule is no schedule, so it is accepted.
    expect(
      train({
        ...base,
        graph: rosenbrock(),
        optimizer: lbfgs,
        steps: 2,
        schedule: { name: 'constant', args: {} },
      }).steps,
    ).toBe(2);
  });
});
