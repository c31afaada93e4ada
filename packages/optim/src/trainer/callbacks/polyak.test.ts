import { describe, expect, it } from 'vitest';
import type { StepEvent } from '../callback.js';
import { train } from '../trainer.js';
import { ravineSpec } from './fixture.js';

describe('polyakEvaluation', () => {
  it('evaluates the debiased moving average of the iterates, not the last iterate', () => {
    const decay = 0.9;
    const steps: StepEvent[] = [];
    let evalLoss = 0;
    const r = train(ravineSpec(0.015, 12, { polyak: decay, traceParams: true }), {
      onStep: (e) => steps.push(e),
      onEval: (e) => {
        evalLoss = e.loss;
      },
    });
    // The weighted mean Σ (1−d) d^(t−k) x_k / (1 − d^t) of the iterates after each step.
    const avg = [0, 0];
    let norm = 0;
    steps.forEach((s, k) => {
      const w = (1 - decay) * decay ** (steps.length - 1 - k);
      norm += w;
      avg[0] += w * s.params!.x[0];
      avg[1] += w * s.params!.x[1];
    });
    const [a, b] = [avg[0] / norm, avg[1] / norm];
    expect(evalLoss).toBeCloseTo(a * a + 50 * b * b, 12);
    const [x1, x2] = r.params.x.data;
    expect(evalLoss).not.toBeCloseTo(x1 * x1 + 50 * x2 * x2, 6);
  });

  it('rejects a decay outside (0, 1)', () => {
    expect(() => train(ravineSpec(0.01, 2, { polyak: 1 }))).toThrow(/polyak must be a decay in \(0, 1\)/);
  });
});
