import { describe, expect, it } from 'vitest';
import type { StepEvent } from '../callback.js';
import { train } from '../trainer.js';
import { ravineSpec } from './fixture.js';
import { stopOnNan } from './stop-on-nan.js';

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

  it('a NaN or ∞ at step 1 is blamed on the model or data, never the learning rate', () => {
    const r = train(ravineSpec(0, 5), {
      onGraph: () => {},
      onTrainBegin: (ctx) =>
        ctx.setParams({ x: { shape: [2], dtype: 'f64', data: Float64Array.from([Number.NaN, 0]) } }),
    });
    expect(r.stopped?.reason).toBe('nan');
    expect(r.stopped?.message).toMatch(
      /at step 1, at the initial params, before any update: the model or its data produce it, not the learning rate/,
    );
    expect(r.stopped?.message).not.toMatch(/learning rate is probably too high/);
  });

  it('a run that ends above twice its first loss is a warning, not a success in silence', () => {
    // |1 − 100·0.0203| = 1.03: the loss grows slowly, about 15 times in 60 steps.
    const r = train(ravineSpec(0.0203, 60));
    expect(r.stopped).toBeUndefined();
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/ended with a training loss of .*times its first .*: it did not learn/);
    expect(train(ravineSpec(0.01, 60)).warnings).toEqual([]);
  });

  it('a first loss of 0 is not a reference for divergence', () => {
    const stops: string[] = [];
    const ctx = {
      run: { firstLoss: 0, earlyStop: { best: 0, since: 0 } },
      stop: (r: string) => stops.push(r),
    };
    const cb = stopOnNan();
    for (const loss of [0, 1e-4, 0.5, 3])
      cb.onStep?.({ step: 2, epoch: 0, loss, metrics: {}, totalSteps: 9 }, ctx as never);
    expect(stops).toEqual([]);
    cb.onStep?.({ step: 3, epoch: 0, loss: 2e8, metrics: {}, totalSteps: 9 }, ctx as never);
    expect(stops).toEqual(['diverged']);
  });
});
