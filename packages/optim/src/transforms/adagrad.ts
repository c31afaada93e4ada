import type { Hyper } from '../schedules/schedule.js';
import { boolDefault, numDefault } from './defaults.js';
import { describeTransform, hyper, perParameter, rootWithEps } from './types.js';

export interface AdagradOptions {
  readonly eps?: Hyper;
  /** Initial value of the accumulated squares (PyTorch's `initial_accumulator_value`, 0). */
  readonly initialAccumulator?: number;
  /** The lectures' `g/√(s + eps)` instead of PyTorch's `g/(√s + eps)`. */
  readonly epsInside?: boolean;
}

/**
 * AdaGrad's scaling, as PyTorch computes it: `s ← s + g²`, output `g/(√s + eps)` (eps 1e-10);
 * with `epsInside`, the form of one lecture set, `g/√(s + eps)`. The other set writes
 * `g/(δ + √r)` with δ = 1e-7, PyTorch's form. The effective rate can only fall. Slot: `sum`.
 */
export function scaleByAdagrad(opts: AdagradOptions = {}) {
  const eps = opts.eps ?? numDefault('adagrad', 'eps');
  const initialAccumulator = opts.initialAccumulator ?? 0;
  const inside = opts.epsInside ?? boolDefault('adagrad', 'eps_inside');
  return perParameter(
    describeTransform('scaleByAdagrad', {
      eps,
      initialAccumulator: initialAccumulator || undefined,
      epsInside: inside || undefined,
    }),
    { sum: { kind: 'constant', value: initialAccumulator } },
    (g, s, _p, ctx) => {
      const sum = s.sum.add(g.mul(g));
      return { update: g.div(rootWithEps(sum, hyper(eps, ctx), inside)), state: { sum } };
    },
  );
}
