/**
 * Graph passes, each a rule list run by the one rewrite engine (`rewrite`). Every pass returns a
 * new Graph with the same named inputs, variables, outputs and updates; only live nodes are
 * kept, so every pass also eliminates dead code and common subexpressions.
 */
import type { Graph } from '../graph.js';
import { cseRules } from './cse.js';
import { foldRules } from './fold.js';
import { type Pass, rewrite } from './rewrite.js';
import { simplifyRules } from './simplify.js';

export * from './cse.js';
export * from './fold.js';
/** Matchers for writing rules: `patterns.splatValue(n)`, `patterns.isZero(n)`, ... */
export * as patterns from './patterns.js';
export * from './rewrite.js';
export * from './simplify.js';

/** Every rule: CSE's canonical operand order, constant folding, algebraic simplification. */
export const optimizeRules: Pass = [...cseRules, ...foldRules, ...simplifyRules];

/** Drops nodes that no output or update needs (the engine with no rules). */
export function dce(g: Graph): Graph {
  return rewrite(g, []);
}

/** Merges equal nodes, including commutative ops with swapped operands. */
export function cse(g: Graph): Graph {
  return rewrite(g, cseRules);
}

/** Computes ops on constants ahead of time (outputs up to `MAX_FOLD_ELEMENTS` elements). */
export function constantFold(g: Graph): Graph {
  return rewrite(g, foldRules);
}

/** Algebraic simplification: symbolic zeros and ones, identities, merged reshapes and transposes. */
export function simplify(g: Graph): Graph {
  return rewrite(g, simplifyRules);
}

/** All passes together, to a fixed point. Never increases the number of live nodes. */
export function optimize(g: Graph): Graph {
  return rewrite(g, optimizeRules);
}
