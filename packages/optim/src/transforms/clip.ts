import type { Value } from '@gradus/autodiff';
import { diagnostic, GradusError } from '@gradus/autodiff';
import { describeTransform, type GradientTransformation } from './types.js';

/** Clamps every component of the updates to [−max, max] (PyTorch's clip_grad_value_). */
export function clipByValue(max: number): GradientTransformation<readonly []> {
  if (!(max >= 0)) throw new GradusError(diagnostic('E0904', `clipByValue: max must be ≥ 0, got ${max}`));
  return {
    name: describeTransform('clipByValue', { max }),
    init: () => [],
    update: (grads) => ({ updates: grads.map((u) => u.maximum(-max).minimum(max)), state: [] }),
  };
}

/** √(Σ‖u‖²) over all the updates: the global norm. */
export function globalNorm(us: readonly Value[]): Value {
  let total: Value | undefined;
  for (const u of us) {
    const s = u.mul(u).sum();
    total = total ? total.add(s) : s;
  }
  if (!total) throw new GradusError(diagnostic('E0904', 'globalNorm: no values'));
  return total.sqrt();
}

/**
 * Rescales all updates together when their global norm exceeds `maxNorm`, as PyTorch's
 * clip_grad_norm_ does: `u ← u·min(1, maxNorm/(‖u‖ + 1e-6))`.
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation<readonly []> {
  if (!(maxNorm > 0))
    throw new GradusError(diagnostic('E0904', `clipByGlobalNorm: maxNorm must be > 0, got ${maxNorm}`));
  return {
    name: describeTransform('clipByGlobalNorm', { maxNorm }),
    init: () => [],
    update: (grads) => {
      if (grads.length === 0) return { updates: [], state: [] };
      const coef = globalNorm(grads).add(1e-6).rdiv(maxNorm).minimum(1);
      return { updates: grads.map((u) => u.mul(coef.castTo(u.dtype))), state: [] };
    },
  };
}
