import type { Hyper } from '../schedules/schedule.js';
import { numDefault } from './defaults.js';
import { describeTransform, hyper, perParameter } from './types.js';

export interface AdagradOptions {
  readonly eps?: Hyper;
  /** Initial value of the accumulated squares (PyTorch's `initial_accumulator_value`, 0). */
  readonly initialAccumulator?: number;
}

/**
 * AdaGrad's scaling, as PyTorch computes it: `s ← s + g²`, output `g/(√s + eps)` (eps 1e-10).
 * The lectures write `g/(δ + √r)` with δ = 1e-7 in one set and `g/√(G + ε)` (ε inside the root,
 * 1e-8) in another. The effective rate lr/(√s + eps) can only fall. Slot: `sum`.
 */
export function scaleByAdagrad(opts: AdagradOptions = {}) {
  const eps = opts.eps ?? numDefault('adagrad', 'eps');
  const initialAccumulator = opts.initialAccumulator ?? 0;
  return perParameter(
    describeTransform('scaleByAdagrad', { eps, initialAccumulator: initialAccumulator || undefined }),
    { sum: { kind: 'constant', value: initialAccumulator } },
    (g, s, _p, ctx) => {
      const sum = s.sum.add(g.mul(g));
      return { update: g.div(sum.sqrt().add(hyper(eps, ctx))), state: { sum } };
    },
  );
}
