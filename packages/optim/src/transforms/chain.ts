import type { Value } from '@gradus/autodiff';
import type { GradientTransformation, StateTree } from './types.js';

/** Passes gradients through unchanged; no state. `chain(identity(), t)` behaves as `t`. */
export function identity(): GradientTransformation<readonly []> {
  return {
    name: 'identity()',
    init: () => [],
    update: (grads) => ({ updates: [...grads], state: [] }),
  };
}

/**
 * Composes transformations left to right: each one's updates are the next one's gradients.
 * The state is the list of the parts' states; the reported learning rate is the product of
 * the rates the parts report.
 */
export function chain(...parts: readonly GradientTransformation[]): GradientTransformation<StateTree[]> {
  const ts = parts;
  return {
    name: `chain(${ts.map((t) => t.name).join(', ')})`,
    init: (g, params, scope) => ts.map((t) => t.init(g, params, scope)),
    update: (grads, state, params, ctx) => {
      let updates: readonly Value[] = grads;
      let lr: Value | undefined;
      const next: StateTree[] = [];
      ts.forEach((t, i) => {
        const r = t.update(updates, state[i], params, ctx);
        updates = r.updates;
        next.push(r.state);
        if (r.lr) lr = lr ? lr.mul(r.lr) : r.lr;
      });
      return { updates: [...updates], state: next, ...(lr ? { lr } : {}) };
    },
  };
}
