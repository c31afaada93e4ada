/**
 * Constant folding: an op whose inputs are all constants becomes a constant, computed by the
 * reference interpreter (the op's own `evaluate`, in f64), so folding changes no value. Outputs
 * larger than `MAX_FOLD_ELEMENTS` stay as ops, so a folded graph never holds huge literals.
 */
import { hasSymbolicAttrs } from '../bind.js';
import { interpret } from '../interpreter.js';
import { opDefs } from '../ops/index.js';
import { isConcrete, sizeOf } from '../shape.js';
import { isConstant } from './patterns.js';
import type { Pass, Rule } from './rewrite.js';

/** Largest constant (in elements) that folding creates. */
export const MAX_FOLD_ELEMENTS = 4096;

/**
 * Random ops are pure functions of their counter, but folding them would bake one step's draw in.
 * A broadcast constant stays a broadcast: it is cheaper than the literal it would expand to, and
 * elementwise consumers absorb it (see `absorbBroadcasts`).
 */
const NEVER_FOLD = new Set(['RandomUniform', 'RandomNormal', 'BroadcastTo']);

/**
 * `op(Const, ..., Const)` → `Const` for every non-leaf op but random ops and broadcasts, when the
 * output is small and of known shape. An input may also be a broadcast literal of known shape.
 */
export const foldConstants: Rule = (node, ctx) => {
  if (node.inputs.length === 0 || opDefs[node.op].leaf || NEVER_FOLD.has(node.op)) return undefined;
  if (!node.inputs.every((i) => isConstant(i) && isConcrete(i.shape))) return undefined;
  if (!isConcrete(node.shape) || hasSymbolicAttrs(node) || sizeOf(node.shape) > MAX_FOLD_ELEMENTS)
    return undefined;
  const [t] = interpret([node]);
  return ctx.constant(Array.from(t.data), node.shape, node.dtype);
};

/** `Size` of dims that are all known numbers → the number, as a constant. */
export const foldSize: Rule = (node, ctx) => {
  if (node.op !== 'Size') return undefined;
  const dims = node.attrs.dims as readonly (number | string)[];
  if (!dims.every((d) => typeof d === 'number')) return undefined;
  return ctx.constant([(dims as number[]).reduce((p, d) => p * d, 1)], [], node.dtype);
};

export const foldRules: Pass = [foldSize, foldConstants];
