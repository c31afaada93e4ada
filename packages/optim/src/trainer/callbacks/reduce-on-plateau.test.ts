import { describe, expect, it } from 'vitest';
import type { EvalEvent, StepEvent } from '../callback.js';
import { train } from '../trainer.js';
import { ravineSpec } from './fixture.js';

describe('reduceLrOnPlateau', () => {
  it('drives the multiplier from the evaluation loss; end-of-run evaluations do not count', () => {
    const steps: StepEvent[] = [];
    const evals: EvalEvent[] = [];
    const r = train(
      ravineSpec(0.02, 121, {
        evalEvery: 2,
        schedule: { name: 'plateau', args: { factor: 0.5, patience: 2 } },
      }),
      { onStep: (e) => steps.push(e), onEval: (e) => evals.push(e) },
    );
    expect(r.steps).toBe(121);
    const scheduled = evals.filter((e) => !e.endOfRun);
    expect(scheduled.every((e) => e.plateauScale !== undefined)).toBe(true);
    expect(evals.at(-1)).toMatchObject({ step: 121, endOfRun: true });
    expect(evals.at(-1)?.plateauScale).toBeUndefined();
    // Each step's lr is 0.02 times the multiplier the last scheduled evaluation before it left.
    for (const s of steps) {
      const before = scheduled.filter((e) => e.step < s.step).at(-1);
      expect(s.lr).toBe(0.02 * (before?.plateauScale ?? 1));
    }
    expect(Math.min(...scheduled.map((e) => e.plateauScale!))).toBeLessThan(1);
  });
});
