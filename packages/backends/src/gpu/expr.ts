/**
 * The elementwise expression table for gpu.js kernels: the CPU backend's table (`expr-table.ts`)
 * where the JavaScript is the same in gpu.js's GLSL translation, overridden where it differs:
 * every value is a float (bools and ints too), so comparisons yield `1.0`/`0.0`; GLSL has no `**`,
 * `Math.fround` or bitwise ops, and its `pow` is undefined for a negative base.
 */
import { type ExprTable, type ExprTemplate, exprTable } from '../expr-table.js';

const cmp =
  (op: string): ExprTemplate =>
  ([a, b]) =>
    `(${a} ${op} ${b} ? 1.0 : 0.0)`;

export const gpuExprTable: ExprTable = {
  ...exprTable,
  Sign: ([x]) => `(${x} > 0.0 ? 1.0 : (${x} < 0.0 ? -1.0 : 0.0))`,
  // Everything is stored in single precision: a cast to a float type is the identity.
  Cast: ([x], { attrs }) =>
    attrs.dtype === 'i32' ? `Math.trunc(${x})` : attrs.dtype === 'bool' ? `(${x} != 0.0 ? 1.0 : 0.0)` : x,
  // JavaScript's `a ** b`: defined for a negative base when b is an integer; 0 ** 0 is 1.
  Pow: ([a, b]) =>
    `(${b} == 0.0 ? 1.0 : (${a} >= 0.0 ? Math.pow(${a}, ${b}) : (Math.floor(${b}) == ${b} ? ` +
    `(Math.floor(${b} * 0.5) * 2.0 == ${b} ? 1.0 : -1.0) * Math.pow(-${a}, ${b}) : 0.0 / 0.0)))`,
  Equal: cmp('=='),
  NotEqual: cmp('!='),
  Less: cmp('<'),
  LessEqual: cmp('<='),
  Greater: cmp('>'),
  GreaterEqual: cmp('>='),
  Where: ([c, a, b]) => `(${c} != 0.0 ? ${a} : ${b})`,
};

/** A float literal for gpu.js (integers get a `.0` so GLSL types them as floats). */
export function flt(v: number): string {
  if (typeof v !== 'number') throw new Error(`internal: expected a number, got ${typeof v}`);
  if (Number.isNaN(v)) return '(0.0 / 0.0)';
  if (v === Number.POSITIVE_INFINITY) return '(1.0 / 0.0)';
  if (v === Number.NEGATIVE_INFINITY) return '(-1.0 / 0.0)';
  const s = Number.isInteger(v) && Math.abs(v) < 1e21 ? `${v}.0` : String(v);
  return v < 0 || Object.is(v, -0) ? `(${Object.is(v, -0) ? '-0.0' : s})` : s;
}
