/** Small matchers the rewrite rules share: constants, symbolic zeros and ones, permutations. */
import type { Node } from '../node.js';

/** The values of a `Const` node, or undefined for any other node. */
export function constValues(n: Node): readonly number[] | undefined {
  return n.op === 'Const' ? (n.attrs.value as readonly number[]) : undefined;
}

/** A literal, or a broadcast of one. */
export function isConstant(n: Node): boolean {
  return n.op === 'Const' || (n.op === 'BroadcastTo' && isConstant(n.inputs[0]));
}

/**
 * The one value every element of `n` holds, when that is known from the graph alone: a `Const`
 * whose elements are all equal, or a `BroadcastTo`/`Reshape` of one (how `zerosLike` and
 * broadcast literals look). Symbolic zeros and ones are splats of 0 and 1.
 */
export function splatValue(n: Node): number | undefined {
  if (n.op === 'BroadcastTo' || n.op === 'Reshape') return splatValue(n.inputs[0]);
  const v = constValues(n);
  if (!v || v.length === 0) return undefined;
  const first = v[0];
  for (const e of v) if (!Object.is(e, first)) return undefined;
  return first;
}

/** A symbolic zero (either sign). */
export function isZero(n: Node): boolean {
  return splatValue(n) === 0;
}

export function isOne(n: Node): boolean {
  return splatValue(n) === 1;
}

/** `n` without any `BroadcastTo` around it: the smallest node that broadcasts to it. */
export function unbroadcasted(n: Node): Node {
  return n.op === 'BroadcastTo' ? unbroadcasted(n.inputs[0]) : n;
}

export function isIdentityPerm(perm: readonly number[]): boolean {
  return perm.every((p, i) => p === i);
}

/** A permutation that swaps the last two axes and keeps the others: a matrix transpose. */
export function isMatrixTranspose(perm: readonly number[]): boolean {
  const r = perm.length;
  return (
    r >= 2 && perm[r - 1] === r - 2 && perm[r - 2] === r - 1 && perm.slice(0, -2).every((p, i) => p === i)
  );
}
