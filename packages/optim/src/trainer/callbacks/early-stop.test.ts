import { describe, expect, it } from 'vitest';
import type { EvalEvent } from '../callback.js';
import { train } from '../trainer.js';
import { ravineSpec } from './fixture.js';

describe('earlyStop', () => {
  // At lr 0.0201 the x2 coordinate oscillates with growing amplitude (factor 1.01 a step) while
  // x1 shrinks: the loss falls first, then rises, so early stopping has a best step to find.
  const spec = () => ravineSpec(0.0201, 2000, { earlyStop: 5 });

  it('stops after `patience` evaluations without a better loss, naming the step', () => {
    const evals: EvalEvent[] = [];
    const r = train({ ...spec(), restoreBest: false }, { onEval: (e) => evals.push(e) });
    expect(r.stopped?.reason).toBe('early_stop');
    expect(r.stopped?.message).toBe(
      `stopped early at step ${r.steps}: no better evaluation loss for 5 evaluations`,
    );
    const best = Math.min(...evals.map((e) => e.loss));
    const bestAt = evals.findIndex((e) => e.loss === best);
    expect(evals.length - 1 - bestAt).toBe(5);
    expect(r.restored).toBeUndefined();
  });

  it('restores the params of the best evaluation and says which step they came from', () => {
    const evals: EvalEvent[] = [];
    const r = train(spec(), { onEval: (e) => evals.push(e) });
    const best = evals.reduce((a, b) => (b.loss < a.loss ? b : a));
    expect(r.restored?.step).toBe(best.step);
    expect(r.restored?.loss).toBe(best.loss);
    expect(r.restored?.message).toMatch(new RegExp(`restored the params of step ${best.step}, the best`));
    // The restored params score exactly the best loss: x1² + 50·x2².
    const [x1, x2] = r.params.x.data;
    expect(x1 * x1 + 50 * x2 * x2).toBeCloseTo(best.loss, 12);
  });

  it('restores nothing when the last evaluation is the best', () => {
    const r = train(ravineSpec(0.01, 30, { earlyStop: 3 }));
    expect(r.stopped).toBeUndefined();
    expect(r.restored).toBeUndefined();
  });
});
