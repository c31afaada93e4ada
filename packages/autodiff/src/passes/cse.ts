/**
 * Common-subexpression elimination. The rewrite engine's hash-consing already merges equal nodes;
 * this rule also puts the operands of commutative ops in a canonical order (by node id), so
 * `a + b` and `b + a` become one node. Swapping is exact: these ops are commutative in IEEE
 * arithmetic and broadcast symmetrically.
 */
import type { OpName } from '../ops/index.js';
import type { Pass, Rule } from './rewrite.js';

const COMMUTATIVE: ReadonlySet<OpName> = new Set<OpName>([
  'Add',
  'Mul',
  'Maximum',
  'Minimum',
  'Equal',
  'NotEqual',
]);

export const sortCommutativeOperands: Rule = (node, ctx) => {
  if (!COMMUTATIVE.has(node.op)) return undefined;
  const [a, b] = node.inputs;
  return a.id > b.id ? ctx.add(node.op, [b, a], node.attrs) : undefined;
};

export const cseRules: Pass = [sortCommutativeOperands];
