import type { Hyper } from '../schedules/schedule.js';
import { numDefault } from './defaults.js';
import { describeTransform, type GradientTransformation, hyper, stateless } from './types.js';

/**
 * Adds `λ·x` to the updates. Placed after an adaptive scaling and before
 * `scaleByLearningRate(lr)` it is decoupled weight decay (AdamW: `x ← x − lr·(dir + λx)`,
 * which PyTorch writes `x ← x·(1 − lr·λ)` before the Adam step).
 */
export function addDecayedWeights(
  weightDecay: Hyper = numDefault('adamw', 'weight_decay'),
): GradientTransformation<readonly []> {
  return stateless(describeTransform('addDecayedWeights', { weightDecay }), (u, p, ctx) =>
    u.add(p.mul(hyper(weightDecay, ctx))),
  );
}

/**
 * L2 weight decay: adds `λ·x` to the gradient (the gradient of `λ/2·‖x‖²`), so it goes first
 * in a chain and passes through the optimiser's scaling, as PyTorch's `weight_decay` argument
 * of SGD, Adam, AdaGrad and RMSProp does.
 */
export function addL2(weightDecay: Hyper): GradientTransformation<readonly []> {
  return stateless(describeTransform('addL2', { weightDecay }), (g, p, ctx) =>
    g.add(p.mul(hyper(weightDecay, ctx))),
  );
}
