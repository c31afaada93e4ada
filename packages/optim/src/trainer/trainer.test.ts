import { GradusError } from '@gradus/autodiff';
import { cpu } from '@gradus/backends';
import { describe, expect, it } from 'vitest';
import { PLATEAU_VARIABLE } from '../schedules/library.js';
import type { EvalEvent, StepEvent } from './callback.js';
import { ravine } from './callbacks/fixture.js';
import type { Checkpoint } from './checkpoint.js';
import { train } from './trainer.js';

const base = {
  modelName: 'R',
  inputNames: [],
  backend: cpu,
  dtype: 'f64' as const,
  seed: 0,
};

describe('train', () => {
  it('drives reduce-on-plateau from the evaluation loss, through the state variable', () => {
    const steps: StepEvent[] = [];
    const evals: EvalEvent[] = [];
    const r = train(
      {
        ...base,
        graph: ravine('train'),
        evalGraph: ravine('eval'),
        optimizer: { name: 'sgd', args: { lr: 0.02 } },
        schedule: { name: 'plateau', args: { factor: 0.5, patience: 2 } },
        steps: 120,
      },
      { onStep: (e) => steps.push(e), onEval: (e) => evals.push(e) },
    );
    expect(r.steps).toBe(120);
    // Each step's lr is 0.02 times the multiplier the evaluation after the previous step left.
    steps.forEach((s, k) => {
      expect(s.lr).toBe(0.02 * (k === 0 ? 1 : (evals[k - 1].plateauScale as number)));
    });
    expect(evals.at(-1)?.plateauScale).toBeLessThan(1);
  });

  it('refuses a checkpoint whose variables are not the run’s', () => {
    const run = (resume: Checkpoint) =>
      train({
        ...base,
        graph: ravine('train'),
        optimizer: { name: 'momentum', args: { lr: 0.01 } },
        steps: 2,
        resume,
      });
    const x = { shape: [2], dtype: 'f64' as const, data: Float64Array.of(1, 2) };
    const step = { shape: [], dtype: 'i32' as const, data: Float64Array.of(1) };
    const message = (c: Checkpoint) => {
      try {
        run(c);
      } catch (e) {
        expect(e).toBeInstanceOf(GradusError);
        return (e as GradusError).diagnostics[0].message;
      }
      return 'no error';
    };
    const ckpt = (variables: Checkpoint['variables']): Checkpoint => ({
      model: 'R',
      step: 1,
      seed: 0,
      dtype: 'f64',
      variables,
    });
    const v = { ...x, data: Float64Array.of(0, 0) };
    // What momentum's run has: the param, the step counter and one velocity per param.
    expect(message(ckpt({ x, 'opt.step': step, 'opt.x.momentum': v }))).toBe('no error');
    expect(message(ckpt({ 'opt.step': step, 'opt.x.momentum': v }))).toMatch(
      /no param 'x': it was written by another model/,
    );
    // Written by plain SGD, which keeps no velocity.
    expect(message(ckpt({ x, 'opt.step': step }))).toMatch(
      /no optimiser state 'opt\.x\.momentum': it was written by a run with another optimizer/,
    );
    expect(
      message(
        ckpt({
          x: { ...x, shape: [3], data: Float64Array.of(1, 2, 3) },
          'opt.step': step,
          'opt.x.momentum': v,
        }),
      ),
    ).toMatch(/the checkpoint's 'x' has shape \[3\], but this model's has \[2\]/);
    expect(message(ckpt({ x, 'opt.step': step, 'opt.x.momentum': v, [PLATEAU_VARIABLE]: step }))).toMatch(
      /has a variable 'opt\.plateau_scale' that this run does not/,
    );
  });
});
