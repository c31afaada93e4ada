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

/**
 * A window op's sizes: [lead, H, W, OH, OW], the leading axes' element count, the image and the
 * grid of windows (Im2Col reads the image and writes the patches; Col2Im the other way).
 */
export function windowGeometry(
  n: TypedNode<'Im2Col'> | TypedNode<'Col2Im'>,
  shape: (x: Node) => readonly number[],
): [number, number, number, number, number] {
  const image = n.op === 'Im2Col' ? shape(n.inputs[0]) : shape(n);
  const patches = n.op === 'Im2Col' ? shape(n) : shape(n.inputs[0]);
  const r = image.length;
  return [
    sizeOf(image.slice(0, r - 2)),
    image[r - 2],
    image[r - 1],
    patches[patches.length - 2],
    patches[patches.length - 1],
  ];
}
