import { describe, expect, it } from 'vitest';
import type { StepEvent } from '../callback.js';
import { train } from '../trainer.js';
import { ravineSpec } from './fixture.js';

describe('stopOnNan', () => {
  it('stops at once when the loss grows past 1e8 times the first, with no evaluation after it', () => {
    const steps: StepEvent[] = [];
    const evalSteps: number[] = [];
    // lr 0.03 > 2/100: the x2 coordinate grows by |1 − 100·0.03| = 2 every step.
    const r = train(ravineSpec(0.03, 200), {
      onStep: (e) => steps.push(e),
      onEval: (e) => evalSteps.push(e.step),
    });
    expect(r.stopped?.reason).toBe('diverged');
    expect(r.stopped?.message).toMatch(/grew from .* at step 1 to .* at step \d+/);
    const last = steps.at(-1)!;
    expect(last.loss).toBeGreaterThan(1e8 * steps[0].loss);
    expect(steps.slice(0, -1).every((s) => s.loss <= 1e8 * steps[0].loss)).toBe(true);
    expect(r.steps).toBe(last.step);
    expect(evalSteps.at(-1)).toBe(last.step - 1);
  });

  it('names the step whose loss became NaN or ∞', () => {
    const r = train(ravineSpec(1e200, 5));
    expect(r.stopped?.reason).toBe('nan');
    expect(r.stopped?.message).toMatch(/the loss became (Infinity|NaN) at step 2: step 1 moved the params/);
  });

  it('reports a run that ends 100 times above its first loss as diverged', () => {
    // |1 − 100·0.021| = 1.1: slow growth, 1.1^(2·60) ≈ 9e4 in loss.
    const r = train(ravineSpec(0.021, 60));
    expect(r.steps).toBe(60);
    expect(r.stopped?.reason).toBe('diverged');
  });
});
