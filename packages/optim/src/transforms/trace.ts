import type { Hyper } from '../schedules/schedule.js';
import { numDefault } from './defaults.js';
import { describeTransform, hyper, perParameter } from './types.js';

export interface TraceOptions {
  /** The momentum coefficient ρ (PyTorch's `momentum`). */
  readonly decay?: Hyper;
  readonly nesterov?: boolean;
}

/**
 * Momentum in PyTorch's form (dampening 0): `v ← ρv + g`, output `v`, or with Nesterov
 * `g + ρv` (the new v). Followed by `scaleByLearningRate(lr)` the step is `x ← x − lr·v`.
 *
 * The lectures write momentum as `v ← ρv − lr·g, x ← x + v`: for a constant learning rate the
 * two give the same iterates (their v is −lr times this one). The lectures' Nesterov with the
 * change of variables, `x̃ ← x̃ + v + ρ(v − v_prev)`, equals `x ← x − lr·(g + ρv)` the same way.
 * The state slot is `momentum`.
 */
export function trace(opts: TraceOptions = {}) {
  const decay = opts.decay ?? numDefault('momentum', 'rho');
  const nesterov = opts.nesterov ?? false;
  return perParameter(
    describeTransform('trace', { decay, nesterov }),
    { momentum: { kind: 'zeros' } },
    (g, s, _p, ctx) => {
      const rho = hyper(decay, ctx);
      const v = s.momentum.mul(rho).add(g);
      return { update: nesterov ? g.add(v.mul(rho)) : v, state: { momentum: v } };
    },
  );
}
