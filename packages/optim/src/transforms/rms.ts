import type { Hyper } from '../schedules/schedule.js';
import { boolDefault, numDefault } from './defaults.js';
import { describeTransform, hyper, oneMinus, perParameter, rootWithEps } from './types.js';

export interface RmsOptions {
  /** Decay α of the average of squared gradients (PyTorch's `alpha`, 0.99). */
  readonly decay?: Hyper;
  readonly eps?: Hyper;
  /** Divide by an estimate of the gradient's standard deviation instead of its RMS. */
  readonly centered?: boolean;
  /** The lectures' `g/√(s + eps)` instead of PyTorch's `g/(√s + eps)`. */
  readonly epsInside?: boolean;
}

/**
 * RMSProp's scaling, as PyTorch computes it: `s ← αs + (1−α)g²`, output `g/(√s + eps)`; centred:
 * also `a ← αa + (1−α)g` and output `g/(√(s − a²) + eps)`. The lectures put eps inside the
 * root, `g/√(δ + r)` (`epsInside`), and suggest α = 0.9. Slots: `square_avg` (and `grad_avg`).
 */
export function scaleByRms(opts: RmsOptions = {}) {
  const decay = opts.decay ?? numDefault('rmsprop', 'decay');
  const eps = opts.eps ?? numDefault('rmsprop', 'eps');
  const inside = opts.epsInside ?? boolDefault('rmsprop', 'eps_inside');
  const name = describeTransform('scaleByRms', {
    decay,
    eps,
    centered: opts.centered ? true : undefined,
    epsInside: inside || undefined,
  });
  if (opts.centered ?? boolDefault('rmsprop', 'centered')) {
    return perParameter(
      name,
      { square_avg: { kind: 'zeros' }, grad_avg: { kind: 'zeros' } },
      (g, s, _p, ctx) => {
        const a = hyper(decay, ctx);
        const sq = s.square_avg.mul(a).add(g.mul(g).mul(oneMinus(a)));
        const avg = s.grad_avg.mul(a).add(g.mul(oneMinus(a)));
        const denom = rootWithEps(sq.sub(avg.mul(avg)), hyper(eps, ctx), inside);
        return { update: g.div(denom), state: { square_avg: sq, grad_avg: avg } };
      },
    );
  }
  return perParameter(name, { square_avg: { kind: 'zeros' } }, (g, s, _p, ctx) => {
    const a = hyper(decay, ctx);
    const sq = s.square_avg.mul(a).add(g.mul(g).mul(oneMinus(a)));
    return { update: g.div(rootWithEps(sq, hyper(eps, ctx), inside)), state: { square_avg: sq } };
  });
}
