import type { Value } from '@gradus/autodiff';
import type { Hyper } from '../schedules/schedule.js';
import { boolDefault, numDefault } from './defaults.js';
import { asValue, describeTransform, hyper, oneMinus, perParameter, type UpdateContext } from './types.js';

export interface AdamOptions {
  readonly b1?: Hyper;
  readonly b2?: Hyper;
  readonly eps?: Hyper;
  /** Use the running maximum of the second moment (Reddi et al.). */
  readonly amsgrad?: boolean;
  /**
   * Divide the moments by 1 − βᵗ (default true). Off: the lectures' "Adam (almost)", whose first
   * steps are mis-scaled because m and v start at zero (the first moves each coordinate by
   * lr·(1−β₁)/√(1−β₂), about 3.2·lr with the default betas) — the reason the correction exists.
   */
  readonly biasCorrection?: boolean;
}

/** `1 − β^t`, Adam's bias correction at step t. */
function correction(beta: Value | number, ctx: UpdateContext): Value {
  return asValue(beta, ctx, ctx.step.dtype).pow(ctx.step).rsub(1);
}

/**
 * Adam's scaling with bias correction (PyTorch's pseudocode): `m ← β₁m + (1−β₁)g`,
 * `v ← β₂v + (1−β₂)g²`, `m̂ = m/(1−β₁^t)`, `v̂ = v/(1−β₂^t)` (AMSGrad: v̂ from `max(v_max, v)`),
 * output `m̂/(√v̂ + eps)`. The lectures write the same (one set names the moments s and r, with
 * δ for eps). Slots: `m`, `v` (and `v_max`).
 */
export function scaleByAdam(opts: AdamOptions = {}) {
  const b1 = opts.b1 ?? numDefault('adam', 'beta1');
  const b2 = opts.b2 ?? numDefault('adam', 'beta2');
  const eps = opts.eps ?? numDefault('adam', 'eps');
  const amsgrad = opts.amsgrad ?? boolDefault('adam', 'amsgrad');
  const corrected = opts.biasCorrection ?? boolDefault('adam', 'bias_correction');
  const name = describeTransform('scaleByAdam', {
    b1,
    b2,
    eps,
    amsgrad: amsgrad || undefined,
    biasCorrection: corrected ? undefined : false,
  });
  const moments = (g: Value, s: { m: Value; v: Value }, ctx: UpdateContext) => {
    const c1 = hyper(b1, ctx);
    const c2 = hyper(b2, ctx);
    return {
      m: s.m.mul(c1).add(g.mul(oneMinus(c1))),
      v: s.v.mul(c2).add(g.mul(g).mul(oneMinus(c2))),
      bc1: correction(c1, ctx),
      bc2: correction(c2, ctx),
    };
  };
  const direction = (m: Value, v: Value, bc1: Value, bc2: Value, ctx: UpdateContext) =>
    corrected ? m.div(bc1).div(v.div(bc2).sqrt().add(hyper(eps, ctx))) : m.div(v.sqrt().add(hyper(eps, ctx)));
  if (amsgrad) {
    return perParameter(
      name,
      { m: { kind: 'zeros' }, v: { kind: 'zeros' }, v_max: { kind: 'zeros' } },
      (g, s, _p, ctx) => {
        const { m, v, bc1, bc2 } = moments(g, s, ctx);
        const vMax = s.v_max.maximum(v);
        return { update: direction(m, vMax, bc1, bc2, ctx), state: { m, v, v_max: vMax } };
      },
    );
  }
  return perParameter(name, { m: { kind: 'zeros' }, v: { kind: 'zeros' } }, (g, s, _p, ctx) => {
    const { m, v, bc1, bc2 } = moments(g, s, ctx);
    return { update: direction(m, v, bc1, bc2, ctx), state: { m, v } };
  });
}
