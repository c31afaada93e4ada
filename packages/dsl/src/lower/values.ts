import { type Dim, formatShape, type Span, type Value } from '@gradus/autodiff';

/**
 * What an expression lowers to. Numbers stay numbers until they meet a tensor, so named
 * arguments (`axis = -1`, `keep = 0.9`) and literal arithmetic (`2 / 100`) need no graph nodes.
 */
export type Val =
  | { readonly kind: 'tensor'; readonly v: Value }
  | {
      readonly kind: 'number';
      readonly n: number;
      readonly integer: boolean;
      /** The float hyper-parameter this number is, used as it is (not usable as a dim). */
      readonly floatHyper?: { readonly name: string; readonly span: Span };
    }
  | { readonly kind: 'string'; readonly s: string }
  /** A literal `[...]` of numbers, kept as data until it is used as a tensor or a list. */
  | {
      readonly kind: 'array';
      readonly values: readonly number[];
      readonly shape: readonly number[];
      /** A float hyper-parameter among the numbers, and where: such a list is no shape. */
      readonly floatHyper?: { readonly name: string; readonly span: Span; readonly at: Span };
    }
  /** A bare built-in name such as `glorot_uniform` or `mnist`, meaningful only in some places. */
  | { readonly kind: 'symbol'; readonly name: string }
  /**
   * A size known when data arrives: a symbolic dim (`N`) or arithmetic on dims (`N * T`). In a
   * shape (`reshape(x, [N * T, D])`, `x[:, 1:T]`) it is the dim `dim`; in arithmetic it is the
   * float tensor `tensor()` (so `sum(x) / (N / 2)` divides, whatever N). `dim` is absent when
   * the arithmetic is no dim (`N / (T + 1)`).
   */
  | {
      readonly kind: 'size';
      readonly dim?: Dim;
      /** The size as written, for messages (computed only when one is shown). */
      readonly text: () => string;
      readonly tensor: () => Value;
      /** How many links of size arithmetic wait for their tensors (bounded, see `sizeArith`). */
      readonly depth?: number;
    }
  /** A literal list with sizes in it, `[N * T, D]`: a shape. */
  | { readonly kind: 'dims'; readonly dims: readonly Dim[] };

export interface Located<T> {
  readonly val: T;
  readonly span: Span;
}

export function describeVal(v: Val): string {
  switch (v.kind) {
    case 'tensor':
      return `a ${v.v.dtype === 'i32' ? 'int' : v.v.dtype === 'bool' ? 'bool' : 'float'} tensor of shape [${v.v.shape.join(', ')}]`;
    case 'number':
      return `the number ${v.n}`;
    case 'string':
      return `the string ${JSON.stringify(v.s)}`;
    case 'array':
      return `a literal of shape [${v.shape.join(', ')}]`;
    case 'symbol':
      return `'${v.name}'`;
    case 'size':
      return `the size ${v.text()}`;
    case 'dims':
      return `the shape ${formatShape(v.dims)}`;
  }
}
