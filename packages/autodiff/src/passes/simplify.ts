/**
 * Algebraic simplification with symbolic zeros and ones (splat constants, see `splatValue`).
 * Every rule keeps the node's shape and dtype exactly (a broadcasting `x + 0` whose zero is the
 * bigger operand becomes `BroadcastTo(x)`, not `x`) and, but for two documented exceptions,
 * every value bit for bit:
 *
 * - `x * 0 → 0` assumes x is finite (∞·0 and NaN·0 are NaN);
 * - `x + 0 → x`, `0 - x → -x` and reductions over one element may turn a −0 into +0 or back;
 *   no comparison can tell them apart, only a division by that zero can.
 *
 * Rules build their replacements only from the node's inputs and their inputs, so simplifying
 * never grows a graph (see `rewrite`).
 */
import { opDefs } from '../ops/index.js';
import { broadcastShapes, isConcrete, type Shape, sameShape, sizeOf } from '../shape.js';
import { MAX_FOLD_ELEMENTS } from './fold.js';
import { isIdentityPerm, isMatrixTranspose, isOne, isZero, splatValue, unbroadcasted } from './patterns.js';
import type { Pass, Rule } from './rewrite.js';

/** Ops that do nothing: same-shape Reshape/BroadcastTo/Pad/Slice, identity Transpose, same-dtype Cast, empty reductions, one-part Concat. */
export const removeIdentities: Rule = (node) => {
  const x = node.inputs[0];
  if (!x || !sameShape(node.shape, x.shape) || node.dtype !== x.dtype) return undefined;
  const a = node.attrs;
  switch (node.op) {
    case 'Reshape':
    case 'BroadcastTo':
    case 'Cast':
      return x;
    case 'Transpose':
      return isIdentityPerm(a.perm as number[]) ? x : undefined;
    case 'Sum':
    case 'Max':
    case 'Min':
      return (a.axes as number[]).length === 0 ? x : undefined;
    case 'Pad':
    case 'Slice': {
      const starts = (node.op === 'Pad' ? a.before : a.starts) as number[];
      return starts.every((s) => s === 0) ? x : undefined;
    }
    case 'Concat':
      return node.inputs.length === 1 ? x : undefined;
    default:
      return undefined;
  }
};

/** `x + 0`, `0 + x`, `x - 0` → x (broadcast to the result's shape when needed). */
export const addZero: Rule = (node, ctx) => {
  if (node.op !== 'Add' && node.op !== 'Sub') return undefined;
  const [a, b] = node.inputs;
  if (isZero(b)) return ctx.broadcastTo(a, node.shape);
  if (node.op === 'Add' && isZero(a)) return ctx.broadcastTo(b, node.shape);
  return undefined;
};

/** `0 - x` → `-x` when x already has the result's shape. */
export const subFromZero: Rule = (node, ctx) => {
  if (node.op !== 'Sub') return undefined;
  const [a, b] = node.inputs;
  return isZero(a) && sameShape(b.shape, node.shape) ? ctx.add('Neg', [b]) : undefined;
};

/** `x * 1`, `1 * x`, `x / 1`, `x ^ 1` → x (broadcast to the result's shape when needed). */
export const mulOne: Rule = (node, ctx) => {
  if (node.op !== 'Mul' && node.op !== 'Div' && node.op !== 'Pow') return undefined;
  const [a, b] = node.inputs;
  if (isOne(b)) return ctx.broadcastTo(a, node.shape);
  if (node.op === 'Mul' && isOne(a)) return ctx.broadcastTo(b, node.shape);
  return undefined;
};

/** `x * 0`, `0 * x` → zeros of the result's shape. Assumes x is finite. */
export const mulZero: Rule = (node, ctx) => {
  if (node.op !== 'Mul') return undefined;
  const [a, b] = node.inputs;
  const zero = isZero(b) ? b : isZero(a) ? a : undefined;
  return zero ? ctx.broadcastTo(unbroadcasted(zero), node.shape) : undefined;
};

/** `x * -1`, `-1 * x` → `-x` when x already has the result's shape (exact: negation is multiplication by −1). */
export const mulMinusOne: Rule = (node, ctx) => {
  if (node.op !== 'Mul') return undefined;
  const [a, b] = node.inputs;
  if (splatValue(b) === -1 && sameShape(a.shape, node.shape)) return ctx.add('Neg', [a]);
  if (splatValue(a) === -1 && sameShape(b.shape, node.shape)) return ctx.add('Neg', [b]);
  return undefined;
};

/** `x ^ 0` → ones (exact for every x, NaN included) when the result is small enough to be a literal. */
export const powZero: Rule = (node, ctx) => {
  if (node.op !== 'Pow' || !isZero(node.inputs[1])) return undefined;
  if (!isConcrete(node.shape) || sizeOf(node.shape) > MAX_FOLD_ELEMENTS) return undefined;
  return ctx.constant(new Array<number>(sizeOf(node.shape)).fill(1), node.shape, node.dtype);
};

/** `-(-x)` → x. */
export const doubleNegation: Rule = (node) => {
  if (node.op !== 'Neg' || node.inputs[0].op !== 'Neg') return undefined;
  return node.inputs[0].inputs[0];
};

/** `x + (-y)` → `x - y`, `(-x) + y` → `y - x`, `x - (-y)` → `x + y` (all exact in IEEE arithmetic). */
export const foldNegationIntoSub: Rule = (node, ctx) => {
  const [a, b] = node.inputs;
  if (node.op === 'Add' && b.op === 'Neg') return ctx.add('Sub', [a, b.inputs[0]]);
  if (node.op === 'Add' && a.op === 'Neg') return ctx.add('Sub', [b, a.inputs[0]]);
  if (node.op === 'Sub' && b.op === 'Neg') return ctx.add('Add', [a, b.inputs[0]]);
  return undefined;
};

/** `Reshape(Reshape(x))` → one Reshape; `BroadcastTo(BroadcastTo(x))` → one BroadcastTo. */
export const mergeReshapes: Rule = (node, ctx) => {
  const x = node.inputs[0];
  if ((node.op === 'Reshape' || node.op === 'BroadcastTo') && x?.op === node.op) {
    return ctx.add(node.op, [x.inputs[0]], node.attrs);
  }
  return undefined;
};

/** `StopGradient(StopGradient(x))` → one StopGradient. */
export const mergeStopGradients: Rule = (node) =>
  node.op === 'StopGradient' && node.inputs[0].op === 'StopGradient' ? node.inputs[0] : undefined;

/** `Transpose(Transpose(x, p), q)` → `Transpose(x, p∘q)` (output axis i is x's axis p[q[i]]). */
export const composeTransposes: Rule = (node, ctx) => {
  const x = node.inputs[0];
  if (node.op !== 'Transpose' || x.op !== 'Transpose') return undefined;
  const p = x.attrs.perm as number[];
  const q = node.attrs.perm as number[];
  return ctx.add('Transpose', [x.inputs[0]], { perm: q.map((i) => p[i]) });
};

/** `MatMul(Transpose(a), b)` → `MatMul(a, b)` with `transA` flipped (same for b): the flags read operands transposed. */
export const transposeIntoMatMul: Rule = (node, ctx) => {
  if (node.op !== 'MatMul') return undefined;
  const [a, b] = node.inputs;
  const { transA, transB } = node.attrs as { transA: boolean; transB: boolean };
  if (a.op === 'Transpose' && isMatrixTranspose(a.attrs.perm as number[])) {
    return ctx.add('MatMul', [a.inputs[0], b], { transA: !transA, transB });
  }
  if (b.op === 'Transpose' && isMatrixTranspose(b.attrs.perm as number[])) {
    return ctx.add('MatMul', [a, b.inputs[0]], { transA, transB: !transB });
  }
  return undefined;
};

/** A Sum/Max/Min over axes that all have size 1 → the input (reshaped when the axes are dropped). */
export const reduceSingletons: Rule = (node, ctx) => {
  if (node.op !== 'Sum' && node.op !== 'Max' && node.op !== 'Min') return undefined;
  const x = node.inputs[0];
  const axes = node.attrs.axes as number[];
  if (axes.length === 0 || !axes.every((a) => x.shape[a] === 1)) return undefined;
  return sameShape(x.shape, node.shape) ? x : ctx.add('Reshape', [x], { shape: [...node.shape] });
};

/**
 * An elementwise op of several operands broadcasts them itself: `Mul(x, BroadcastTo(y))` →
 * `Mul(x, y)` when the result keeps its shape (the gradients of `zerosLike` and of `Sum` make these).
 */
export const absorbBroadcasts: Rule = (node, ctx) => {
  if (node.inputs.length < 2 || !opDefs[node.op].elementwise) return undefined;
  const k = node.inputs.findIndex((x, i) => {
    if (x.op !== 'BroadcastTo') return false;
    const shapes = node.inputs.map((y, j) => (j === i ? x.inputs[0].shape : y.shape));
    let out: Shape | undefined = shapes[0];
    for (const s of shapes.slice(1)) out = out && broadcastShapes(out, s);
    return !!out && sameShape(out, node.shape);
  });
  if (k < 0) return undefined;
  return ctx.add(
    node.op,
    node.inputs.map((x, j) => (j === k ? x.inputs[0] : x)),
    node.attrs,
  );
};

/** Holds one element (rank 0, or every dim 1): broadcasting it anywhere repeats that element. */
const isSingleElement = (s: Shape) => s.every((d) => d === 1);
const broadcastsTo = (from: Shape, to: Shape) => {
  const b = broadcastShapes(from, to);
  return !!b && sameShape(b, to);
};

/**
 * Reshapes around a broadcast single element do nothing: `Reshape(BroadcastTo(s))` and
 * `BroadcastTo(Reshape(s))` → `BroadcastTo(s)` when s holds one element (the seed of `grad`).
 */
export const reshapeBroadcastScalar: Rule = (node, ctx) => {
  const x = node.inputs[0];
  const pair =
    (node.op === 'Reshape' && x?.op === 'BroadcastTo') || (node.op === 'BroadcastTo' && x?.op === 'Reshape');
  if (!pair) return undefined;
  const s = x.inputs[0];
  if (!isSingleElement(s.shape) || !broadcastsTo(s.shape, node.shape)) return undefined;
  return ctx.broadcastTo(s, node.shape);
};

/** `Reshape(Sum(x, axes))` to the shape the other `keepdims` would give → `Sum(x, axes)` with that `keepdims` (also Max, Min). */
export const reshapeIntoReduce: Rule = (node, ctx) => {
  const r = node.inputs[0];
  if (node.op !== 'Reshape' || (r?.op !== 'Sum' && r?.op !== 'Max' && r?.op !== 'Min')) return undefined;
  const x = r.inputs[0];
  const axes = r.attrs.axes as number[];
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const dropped = x.shape.filter((_, i) => !axes.includes(i));
  const keepdims = sameShape(node.shape, kept) ? true : sameShape(node.shape, dropped) ? false : undefined;
  if (keepdims === undefined) return undefined;
  return ctx.add(r.op, [x], { axes: [...axes], keepdims });
};

/** `where(c, x, x)` → x; `where(true, x, y)` → x; `where(false, x, y)` → y (broadcast as the result). */
export const simplifyWhere: Rule = (node, ctx) => {
  if (node.op !== 'Where') return undefined;
  const [c, x, y] = node.inputs;
  const cv = splatValue(c);
  if (x === y || cv === 1) return ctx.broadcastTo(x, node.shape);
  if (cv === 0) return ctx.broadcastTo(y, node.shape);
  return undefined;
};

export const simplifyRules: Pass = [
  removeIdentities,
  addZero,
  subFromZero,
  mulOne,
  mulZero,
  mulMinusOne,
  powZero,
  doubleNegation,
  foldNegationIntoSub,
  mergeReshapes,
  mergeStopGradients,
  composeTransposes,
  transposeIntoMatMul,
  reduceSingletons,
  simplifyWhere,
  absorbBroadcasts,
  reshapeBroadcastScalar,
  reshapeIntoReduce,
];
