import { diagnostic, GradusError, sizeOf, type Value } from '@gradus/autodiff';
import type { Hyper } from '../schedules/schedule.js';
import { numDefault } from './defaults.js';
import { describeTransform, hyper, oneMinus, perParameter } from './types.js';

export interface DeltaBarDeltaOptions {
  /** Every parameter's initial learning rate. */
  readonly lr?: number;
  /** κ: additive increase of a rate while the gradient keeps its sign. */
  readonly kappa?: Hyper;
  /** φ: fraction by which a rate shrinks when the gradient's sign flips. */
  readonly phi?: Hyper;
  /** θ (the lectures' γ): decay of the gradient trace δ̄. */
  readonly theta?: Hyper;
}

/**
 * Jacobs' delta-bar-delta, as the lectures state it: each parameter has its own rate ε
 * (starting at `lr`). With δ = g and the trace δ̄ of earlier gradients, the output is `ε·g`
 * (the step uses the current rate), then `ε ← ε + κ` if δ̄·δ > 0, `ε ← ε − φε` if δ̄·δ < 0,
 * and `δ̄ ← (1−θ)δ + θδ̄`. Rates grow linearly and shrink exponentially. The output already
 * includes the rates, so the named optimiser follows it with `scaleByLearningRate(1)`.
 * Reports the mean rate used as its learning rate. Slots: `rate`, `trace`.
 */
export function scaleByDeltaBarDelta(opts: DeltaBarDeltaOptions = {}) {
  const lr = opts.lr ?? numDefault('delta_bar_delta', 'lr');
  const kappa = opts.kappa ?? numDefault('delta_bar_delta', 'kappa');
  const phi = opts.phi ?? numDefault('delta_bar_delta', 'phi');
  const theta = opts.theta ?? numDefault('delta_bar_delta', 'theta');
  return perParameter(
    describeTransform('scaleByDeltaBarDelta', { lr, kappa, phi, theta }),
    { rate: { kind: 'constant', value: lr }, trace: { kind: 'zeros' } },
    (g, s, _p, ctx) => {
      const agree = s.trace.mul(g);
      const rate = agree
        .gt(0)
        .where(
          s.rate.add(hyper(kappa, ctx)),
          agree.lt(0).where(s.rate.sub(s.rate.mul(hyper(phi, ctx))), s.rate),
        );
      const th = hyper(theta, ctx);
      const trace = g.mul(oneMinus(th)).add(s.trace.mul(th));
      return { update: s.rate.mul(g), state: { rate, trace } };
    },
    (state, ctx) => {
      let total: Value | undefined;
      let count = 0;
      for (const s of state) {
        if (!s.rate.shape.every((d) => typeof d === 'number'))
          throw new GradusError(diagnostic('E0904', 'delta-bar-delta needs parameters of known shape'));
        count += sizeOf(s.rate.shape as number[]);
        total = total ? total.add(s.rate.sum()) : s.rate.sum();
      }
      return total ? total.div(count) : ctx.g.constant(lr);
    },
  );
}
