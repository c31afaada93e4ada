/**
 * The wasm backend's elementwise expression table: for each elementwise op, the code of its result
 * from its operands' values, written against `Layout` so one entry serves scalar and SIMD loops in
 * both precisions. The counterpart of the JavaScript backends' `expr-table.ts`, typed the same
 * way: a new elementwise op is a compile error here until it has an entry.
 */
import { type AttrsOf, type DType, isFloat } from '@gradus/autodiff';
import type { ElementwiseOp } from '../expr-table.js';
import type { Expr, ValType } from './encoder/instructions.js';
import type { FunctionBuilder } from './encoder/module.js';
import type { HostF64, Kind, Layout } from './layout.js';
import { MATH } from './simd-math.js';

/** Host functions of doubles that elementwise code may call (the same `Math` the reference uses). */
export interface HostMath {
  readonly sin: HostF64;
  readonly cos: HostF64;
  readonly pow: HostF64;
  readonly log: HostF64;
  readonly tanh: HostF64;
}

export interface WasmExprContext<K extends ElementwiseOp = ElementwiseOp> {
  readonly attrs: AttrsOf<K>;
  readonly inKinds: readonly Kind[];
  readonly outKind: Kind;
  readonly L: Layout;
  readonly f: FunctionBuilder;
  readonly host: HostMath;
}

type X = Expr<ValType>;
export type WasmExprTemplate<K extends ElementwiseOp = ElementwiseOp> = (
  args: readonly X[],
  c: WasmExprContext<K>,
) => X;

export function kindOf(dtype: DType): Kind {
  return isFloat(dtype) ? 'f' : 'i';
}

const arith =
  (
    fop: 'fadd' | 'fsub' | 'fmul' | 'fmax' | 'fmin',
    iop: 'iadd' | 'isub' | 'imul' | 'imax' | 'imin',
  ): WasmExprTemplate =>
  ([a, b], { L, outKind }) =>
    outKind === 'f' ? L[fop](a, b) : L[iop](a, b);

const cmp =
  (op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'): WasmExprTemplate =>
  ([a, b], { L, inKinds }) =>
    inKinds[0] === 'f' ? L.fcmp(op, a, b) : L.icmp(op, a, b);

/**
 * A SIMD transcendental. Single precision always runs the SIMD code (within one f32 ulp); so does
 * f64 `exp`, which is fdlibm's algorithm and so bit-identical to `Math.exp`. f64 `log` and `tanh`
 * call the host's `Math`, which keeps f64 results bit-identical to the reference (the SIMD code
 * is within 1 and 4 f64 ulps of it: ample for f32, not exact for f64).
 */
const math =
  (op: keyof typeof MATH, exactHost?: 'log' | 'tanh'): WasmExprTemplate =>
  ([x], { L, f, host }) =>
    exactHost && L.precision === 'f64' ? L.host(f, host[exactHost], [x]) : L.viaF64(f, MATH[op], x);

export const wasmExprTable: { readonly [K in ElementwiseOp]: WasmExprTemplate<K> } = {
  Neg: ([x], { L, outKind }) => (outKind === 'f' ? L.fneg(x) : L.ineg(x)),
  Exp: math('Exp'),
  Log: math('Log', 'log'),
  Sqrt: ([x], { L }) => L.fsqrt(x),
  Abs: ([x], { L, outKind }) => (outKind === 'f' ? L.fabs(x) : L.iabs(x)),
  Sign: ([x], { L, outKind }) =>
    outKind === 'f'
      ? L.fwhen('gt', x, L.f(0), L.f(1), L.fwhen('lt', x, L.f(0), L.f(-1), L.f(0)))
      : L.isign(x),
  Sin: ([x], { L, f, host }) => L.host(f, host.sin, [x]),
  Cos: ([x], { L, f, host }) => L.host(f, host.cos, [x]),
  Tanh: math('Tanh', 'tanh'),
  StopGradient: ([x]) => x,
  Cast: ([x], { L, f, attrs, inKinds }) => {
    const from = inKinds[0];
    switch (attrs.dtype) {
      case 'i32':
        return from === 'f' ? L.ftoiWrapped(f, L.ftrunc(x)) : x;
      case 'bool':
        return from === 'f' ? L.fcmp('ne', x, L.f(0)) : L.icmp('ne', x, L.i(0));
      case 'f32':
        return from === 'f' ? L.fround(x) : L.fround(L.itof(x));
      default:
        return from === 'f' ? x : L.itof(x);
    }
  },
  Add: arith('fadd', 'iadd'),
  Sub: arith('fsub', 'isub'),
  Mul: arith('fmul', 'imul'),
  Div: ([a, b], { L }) => L.fdiv(a, b),
  Pow: ([a, b], { L, f, host }) => L.host(f, host.pow, [a, b]),
  Maximum: arith('fmax', 'imax'),
  Minimum: arith('fmin', 'imin'),
  Equal: cmp('eq'),
  NotEqual: cmp('ne'),
  Less: cmp('lt'),
  LessEqual: cmp('le'),
  Greater: cmp('gt'),
  GreaterEqual: cmp('ge'),
  Where: ([c, a, b], { L, outKind }) => L.where(c, a, b, outKind),
};
