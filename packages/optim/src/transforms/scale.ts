import type { Hyper, Schedule } from '../schedules/schedule.js';
import { asValue, describeTransform, type GradientTransformation, hyper, stateless } from './types.js';

/** Multiplies updates by `factor` (a number or a schedule). */
export function scale(factor: Hyper): GradientTransformation<readonly []> {
  return stateless(describeTransform('scale', { factor }), (u, _p, ctx) => u.mul(hyper(factor, ctx)));
}

/**
 * Multiplies updates by −lr, turning a descent direction into a step: the last transform of
 * every named optimiser. `lr` may be a schedule of the step; the rate applied is reported.
 */
export function scaleByLearningRate(lr: Hyper): GradientTransformation<readonly []> {
  return stateless(
    describeTransform('scaleByLearningRate', { lr }),
    (u, _p, ctx) => {
      const r = hyper(lr, ctx);
      return u.mul(typeof r === 'number' ? -r : r.neg());
    },
    (ctx) => asValue(hyper(lr, ctx), ctx),
  );
}

/** Multiplies updates by a schedule's value at this step (optax's scale_by_schedule). */
export function scaleBySchedule(s: Schedule): GradientTransformation<readonly []> {
  return stateless(`scaleBySchedule(${s.name})`, (u, _p, ctx) => u.mul(s.graph(ctx.count)));
}
