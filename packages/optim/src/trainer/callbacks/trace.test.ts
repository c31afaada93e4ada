import { describe, expect, it } from 'vitest';
import { train } from '../trainer.js';
import { ravineSpec } from './fixture.js';
import { stepTrace } from './trace.js';

describe('stepTrace', () => {
  it('is the loss before each step, its lr, and the params after it (plain GD by hand)', () => {
    const lines: { step: number; loss: number; lr: number; params?: { x: number[] } }[] = [];
    train(
      ravineSpec(0.01, 2, { traceParams: true }),
      stepTrace((l) => lines.push(l as (typeof lines)[0])),
    );
    // x ← x − lr·(2x1, 100x2)
    expect(lines[0]).toEqual({ step: 1, loss: 28.5, lr: 0.01, params: { x: [4 - 0.08, 0.5 - 0.5] } });
    expect(lines[1].params?.x[0]).toBeCloseTo(3.92 * (1 - 0.02), 15);
  });

  it('leaves the params out unless the loop reads them back', () => {
    const lines: object[] = [];
    train(
      ravineSpec(0.01, 1),
      stepTrace((l) => lines.push(l)),
    );
    expect(lines).toEqual([{ step: 1, loss: 28.5, lr: 0.01 }]);
  });
});
