/**
 * Shape arithmetic every backend uses. Backends never do symbolic algebra: a specialisation binds
 * every node once with autodiff's shared binder (`bindNodes`) and reads plain sizes from it.
 */
import { type AttrsOf, concreteShapeOf, type Dim, type Node, type OpName } from '@gradus/autodiff';

/** A node whose op is known, with that op's attrs typed. */
export type TypedNode<K extends OpName> = Node & { readonly op: K; readonly attrs: AttrsOf<K> };

/**
 * A shape with its symbolic dims bound by `dims`: E0404 naming `what` and the unbound dims, or
 * E0263 when a dim is not a size under this binding (`N/4` with N = 30).
 */
export function concreteShape(
  shape: readonly Dim[],
  dims: Readonly<Record<string, number>>,
  what: string,
  span?: Node['span'],
): number[] {
  return concreteShapeOf(shape, dims, what, span);
}

/** The number of elements of a concrete shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** `outer × n × inner` around one axis. */
export function around(shape: readonly number[], axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

/**
 * A (batched) matrix product's shapes: its operands' and output's, the output's rank, and the
 * `m × k` by `k × n` sizes of each product.
 */
export function matmulShapes(
  n: TypedNode<'MatMul'>,
  shape: (x: Node) => readonly number[],
): {
  readonly as: readonly number[];
  readonly bs: readonly number[];
  readonly os: readonly number[];
  readonly r: number;
  readonly m: number;
  readonly nn: number;
  readonly k: number;
} {
  const [a, b] = n.inputs;
  const as = shape(a);
  const bs = shape(b);
  const os = shape(n);
  const r = os.length;
  const k = n.attrs.transA ? as[as.length - 2] : as[as.length - 1];
  return { as, bs, os, r, m: os[r - 2], nn: os[r - 1], k };
}
