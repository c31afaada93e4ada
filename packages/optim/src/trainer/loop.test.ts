import { describe, expect, it } from 'vitest';
import type { Callback, TrainContext } from './callback.js';
import { ravineSpec } from './callbacks/fixture.js';
import { train } from './trainer.js';

describe('the training loop', () => {
  it('calls the hooks in order: begin, then per step onStep, the evaluation, onStepEnd; then end', () => {
    const calls: string[] = [];
    const cb: Callback = {
      onGraph: () => calls.push('graph'),
      onTrainBegin: (ctx) => calls.push(`begin ${ctx.step}/${ctx.totalSteps}`),
      onStep: (e) => calls.push(`step ${e.step}`),
      evalParams: () => {
        calls.push('evalParams');
        return undefined;
      },
      onEval: (e) => calls.push(`eval ${e.step}${e.endOfRun ? ' end' : ''}`),
      onStepEnd: (ctx) => calls.push(`end ${ctx.step}`),
      onTrainEnd: () => calls.push('trainEnd'),
    };
    train(ravineSpec(0.01, 3, { evalEvery: 2 }), cb);
    expect(calls).toEqual([
      'graph',
      'begin 0/3',
      'step 1',
      'end 1',
      'step 2',
      'evalParams',
      'eval 2',
      'end 2',
      'step 3',
      'evalParams',
      'eval 3 end',
      'end 3',
      'trainEnd',
    ]);
  });

  it('a user callback stops the run; the first stop wins; a stop at once skips evaluation', () => {
    const evals: number[] = [];
    const stopper = (at: number, keep: boolean): Callback => ({
      onStep: (e, ctx) => {
        if (e.step === at) ctx.stop('mine', `stopped at ${at}`, { keep });
      },
    });
    const r = train(ravineSpec(0.01, 50, { evalEvery: 10 }), [
      stopper(7, true),
      stopper(7, false),
      { onEval: (e) => evals.push(e.step) },
    ]);
    expect(r.steps).toBe(7);
    expect(r.stopped).toEqual({ reason: 'mine', message: 'stopped at 7' });
    // The stop kept its step: the end-of-run evaluation happened.
    expect(evals).toEqual([7]);
    const now = train(ravineSpec(0.01, 50, { evalEvery: 10 }), [
      stopper(4, false),
      { onEval: (e) => evals.push(e.step) },
    ]);
    expect(now.steps).toBe(4);
    expect(evals).toEqual([7]);
  });

  it('gives the params, the evaluated params and a way to set them', () => {
    let seen: TrainContext | undefined;
    const r = train(ravineSpec(0.01, 2), {
      onTrainBegin: (ctx) => {
        expect(Array.from(ctx.params().x.data)).toEqual([4, 0.5]);
        ctx.setParams({ x: { shape: [2], dtype: 'f64', data: Float64Array.of(1, 0) } });
      },
      onTrainEnd: (ctx) => {
        seen = ctx;
      },
    });
    // From (1, 0): two steps of x1 ← 0.98·x1.
    expect(r.params.x.data[0]).toBeCloseTo(0.98 * 0.98, 15);
    expect(seen?.evaluatedParams()?.x.data[0]).toBeCloseTo(0.98 * 0.98, 15);
  });
});
