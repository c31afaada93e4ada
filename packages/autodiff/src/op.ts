import type { Span } from './diagnostic.js';
import { diagnostic, ShapeError } from './diagnostic.js';
import type { DType } from './dtype.js';
import type { Attrs } from './node.js';
import type { ConcreteShape, Shape } from './shape.js';
import { formatShape } from './shape.js';
import type { Tensor } from './tensor.js';
import type { Value } from './value.js';

/** What a shape rule sees of each input. */
export interface ArgInfo {
  readonly shape: Shape;
  readonly dtype: DType;
}

export interface Inferred {
  readonly shape: Shape;
  readonly dtype: DType;
}

/** What the reference interpreter hands an op's evaluation. */
export interface EvalContext {
  /** Shape and dtype of the op's output, with every dim bound. */
  readonly out: { readonly shape: ConcreteShape; readonly dtype: DType };
  /** Values of the symbolic dims, bound from the feeds. */
  readonly dims: Readonly<Record<string, number>>;
}

export type VjpThunk = () => Value;

/** Arguments of a gradient rule: everything is a graph value, so gradients are graphs too. */
export interface VjpContext<A extends Attrs> {
  readonly inputs: readonly Value[];
  /** The op's own output (e.g. `exp`'s gradient is `cot * out`). */
  readonly out: Value;
  /** Cotangent of the output, same shape as `out`. */
  readonly cot: Value;
  readonly attrs: A;
}

/**
 * An op, defined once: its name, arity, shape/dtype rule (which throws a `ShapeError` with a
 * diagnostic), its reference evaluation in f64, and its gradient rule written in graph ops.
 * A `vjp` entry of `null` for an input means "no gradient flows there" (labels, masks).
 */
export interface OpDef<A extends Attrs = Attrs> {
  readonly name: string;
  /** Number of inputs, or 'variadic' (at least one). */
  readonly arity: number | 'variadic';
  /** Short description used in docs and error messages. */
  readonly doc: string;
  readonly infer: (inputs: readonly ArgInfo[], attrs: A) => Inferred;
  readonly evaluate: (inputs: readonly Tensor[], attrs: A, ctx: EvalContext) => Float64Array;
  /**
   * One entry per input: a thunk building that input's cotangent, or `null` when no gradient
   * flows there. Thunks keep `grad` from building gradients nobody asked for (e.g. of a
   * constant exponent). Omitted for leaves and for ops that are never differentiable.
   */
  readonly vjp?: (ctx: VjpContext<A>) => readonly (VjpThunk | null)[];
  /** The op is elementwise on broadcast inputs (used by fusion and by the random-graph tests). */
  readonly elementwise?: boolean;
  /** Reads no inputs' values to produce its output shape-only (e.g. leaves). */
  readonly leaf?: boolean;
  /**
   * The attrs that hold dims (lists of numbers and symbolic dims, `null` meaning "to the end"):
   * binding the symbolic dims substitutes them, so backends only ever see concrete sizes.
   */
  readonly dimAttrs?: readonly string[];
}

/** Identity function that fixes the attrs type of an op definition. */
export function defineOp<A extends Attrs>(def: OpDef<A>): OpDef<A> {
  return def;
}

/** A ShapeError for op `op`, mentioning each input's shape. */
export function shapeError(code: string, op: string, message: string, span?: Span): ShapeError {
  return new ShapeError(diagnostic(code, `${op}: ${message}`, span ? { span } : {}));
}

export function describeShapes(args: readonly ArgInfo[]): string {
  return args.map((a) => `${a.dtype}${formatShape(a.shape)}`).join(' and ');
}
