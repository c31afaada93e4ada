/**
 * The elementwise scalar-expression table: for each elementwise op, a template that turns the JS
 * expressions of its operands into the JS expression of its result. The CPU backend inlines these
 * into fused loops; the gpu.js backend (also JavaScript source) shares the table and overrides
 * entries where its kernel language differs. Operands are always parenthesised or atomic.
 */
import type { AttrsOf, DType, Node } from '@gradus/autodiff';

/** The elementwise primitives (those with `elementwise: true` in `opDefs`). */
export type ElementwiseOp =
  | 'Neg'
  | 'Exp'
  | 'Log'
  | 'Sqrt'
  | 'Abs'
  | 'Sign'
  | 'Sin'
  | 'Cos'
  | 'Tanh'
  | 'StopGradient'
  | 'Cast'
  | 'Add'
  | 'Sub'
  | 'Mul'
  | 'Div'
  | 'Pow'
  | 'Maximum'
  | 'Minimum'
  | 'Equal'
  | 'NotEqual'
  | 'Less'
  | 'LessEqual'
  | 'Greater'
  | 'GreaterEqual'
  | 'Where';

/** What an expression template may need besides its operands. */
export interface ExprContext<K extends ElementwiseOp = ElementwiseOp> {
  readonly attrs: AttrsOf<K>;
  readonly inDtypes: readonly DType[];
  readonly outDtype: DType;
}

export type ExprTemplate<K extends ElementwiseOp = ElementwiseOp> = (
  args: readonly string[],
  ctx: ExprContext<K>,
) => string;

export type ExprTable = { readonly [K in ElementwiseOp]: ExprTemplate<K> };

const cmp =
  (op: string): ExprTemplate =>
  ([a, b]) =>
    `(${a} ${op} ${b} ? 1 : 0)`;

export const exprTable: ExprTable = {
  Neg: ([x]) => `(-${x})`,
  Exp: ([x]) => `Math.exp(${x})`,
  Log: ([x]) => `Math.log(${x})`,
  Sqrt: ([x]) => `Math.sqrt(${x})`,
  Abs: ([x]) => `Math.abs(${x})`,
  Sign: ([x]) => `(${x} > 0 ? 1 : ${x} < 0 ? -1 : 0)`,
  Sin: ([x]) => `Math.sin(${x})`,
  Cos: ([x]) => `Math.cos(${x})`,
  Tanh: ([x]) => `Math.tanh(${x})`,
  StopGradient: ([x]) => x,
  Cast: ([x], { attrs }) =>
    attrs.dtype === 'i32'
      ? `(Math.trunc(${x}) | 0)`
      : attrs.dtype === 'bool'
        ? `(${x} !== 0 ? 1 : 0)`
        : attrs.dtype === 'f32'
          ? `Math.fround(${x})`
          : x,
  Add: ([a, b]) => `(${a} + ${b})`,
  Sub: ([a, b]) => `(${a} - ${b})`,
  Mul: ([a, b]) => `(${a} * ${b})`,
  Div: ([a, b]) => `(${a} / ${b})`,
  Pow: ([a, b]) => `(${a} ** ${b})`,
  Maximum: ([a, b]) => `Math.max(${a}, ${b})`,
  Minimum: ([a, b]) => `Math.min(${a}, ${b})`,
  Equal: cmp('==='),
  NotEqual: cmp('!=='),
  Less: cmp('<'),
  LessEqual: cmp('<='),
  Greater: cmp('>'),
  GreaterEqual: cmp('>='),
  Where: ([c, a, b]) => `(${c} !== 0 ? ${a} : ${b})`,
};

export function isElementwiseOp(op: string): op is ElementwiseOp {
  return Object.hasOwn(exprTable, op);
}

/** The rows of a kernel table that run every elementwise op, and BroadcastTo, with one kernel. */
export function elementwiseRows<T>(kernel: T): { readonly [K in ElementwiseOp | 'BroadcastTo']: T } {
  const rows = Object.fromEntries(Object.keys(exprTable).map((op) => [op, kernel]));
  return { ...rows, BroadcastTo: kernel } as { readonly [K in ElementwiseOp | 'BroadcastTo']: T };
}

/** The expression of a fused elementwise node `m` from its operands' expressions, by `table`. */
export function exprOf(table: ExprTable, m: Node, operands: readonly string[]): string {
  if (!isElementwiseOp(m.op)) throw new Error(`internal: ${m.op} cannot be fused`);
  const template = table[m.op] as ExprTemplate;
  return template(operands, {
    attrs: m.attrs as ExprContext['attrs'],
    inDtypes: m.inputs.map((x) => x.dtype),
    outDtype: m.dtype,
  });
}
