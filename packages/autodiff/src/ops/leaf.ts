import type { DType } from '../dtype.js';
import type { AttrValue } from '../node.js';
import { defineOp, shapeError } from '../op.js';
import { checkedShape, type Dim, formatShape, shapeSize } from '../shape.js';

export interface LeafAttrs {
  readonly [k: string]: AttrValue;
  readonly name: string;
  readonly shape: readonly Dim[];
  readonly dtype: DType;
}

function fromAttrs(op: string) {
  return (_: unknown, a: { readonly shape: readonly Dim[]; readonly dtype: DType }) => ({
    shape: checkedShape(op, a.shape),
    dtype: a.dtype,
  });
}

/** Leaves take their values from outside (feeds, persistent buffers); the interpreter supplies them. */
function suppliedByCaller(op: string): () => Float64Array {
  return () => {
    throw new Error(`internal: ${op} is evaluated by the interpreter from its feeds`);
  };
}

/** Data fed at run time, bound by name. */
export const Input = defineOp<LeafAttrs>({
  name: 'Input',
  arity: 0,
  doc: 'a named run-time input',
  leaf: true,
  dimAttrs: ['shape'],
  infer: fromAttrs('Input'),
  evaluate: suppliedByCaller('Input'),
});

/**
 * A persistent named tensor: a trainable param (`kind: 'param'`, `frozen` when training leaves it
 * alone) or state such as running means.
 */
export const Variable = defineOp<
  LeafAttrs & { readonly kind: 'param' | 'state'; readonly init: AttrValue; readonly frozen?: boolean }
>({
  name: 'Variable',
  arity: 0,
  doc: 'a named persistent tensor (param or state)',
  leaf: true,
  dimAttrs: ['shape'],
  infer: fromAttrs('Variable'),
  evaluate: suppliedByCaller('Variable'),
});

export const Const = defineOp<{
  readonly value: readonly number[];
  readonly shape: readonly Dim[];
  readonly dtype: DType;
}>({
  name: 'Const',
  arity: 0,
  doc: 'a literal tensor',
  leaf: true,
  dimAttrs: ['shape'],
  infer: (_, { value, shape, dtype }) => {
    const s = checkedShape('Const', shape);
    if (shapeSize(s) !== value.length) {
      throw shapeError('E0312', 'Const', `${value.length} values do not fill shape ${formatShape(shape)}`);
    }
    return { shape: s, dtype };
  },
  evaluate: (_, { value }) => Float64Array.from(value),
});

/** The number of elements of a (possibly symbolic) shape, as a scalar: `mean` over `N` divides by it. */
export const Size = defineOp<{ readonly dims: readonly Dim[]; readonly dtype: DType }>({
  name: 'Size',
  arity: 0,
  doc: 'product of dims, known when data arrives',
  leaf: true,
  dimAttrs: ['dims'],
  infer: (_, { dims, dtype }) => {
    checkedShape('Size', dims);
    return { shape: [], dtype };
  },
  // The interpreter hands every op its attrs bound, so the dims are sizes here.
  evaluate: (_, { dims }) => Float64Array.of((dims as number[]).reduce((p, d) => p * d, 1)),
});
