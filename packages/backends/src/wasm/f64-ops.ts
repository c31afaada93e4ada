/**
 * Double-precision arithmetic over one value (`f64`) or two lanes (`f64x2`), behind one interface,
 * so the transcendental functions (`simd-math.ts`) are written once and emitted both ways. `F` is
 * the expr type of a value, `M` of a comparison mask, `B` of the value's 64-bit pattern.
 */
import {
  type Expr,
  f64,
  f64x2,
  i32,
  i64,
  i64x2,
  select,
  type ValType,
  v128,
} from './encoder/instructions.js';
import type { FunctionBuilder } from './encoder/module.js';

export interface F64Ops<
  F extends ValType = ValType,
  M extends ValType = ValType,
  B extends ValType = ValType,
> {
  readonly type: F;
  c(v: number): Expr<F>;
  add(a: Expr<F>, b: Expr<F>): Expr<F>;
  sub(a: Expr<F>, b: Expr<F>): Expr<F>;
  mul(a: Expr<F>, b: Expr<F>): Expr<F>;
  div(a: Expr<F>, b: Expr<F>): Expr<F>;
  min(a: Expr<F>, b: Expr<F>): Expr<F>;
  max(a: Expr<F>, b: Expr<F>): Expr<F>;
  abs(a: Expr<F>): Expr<F>;
  nearest(a: Expr<F>): Expr<F>;
  floor(a: Expr<F>): Expr<F>;
  /** |a| with the sign of b. */
  copysign(a: Expr<F>, b: Expr<F>): Expr<F>;
  lt(a: Expr<F>, b: Expr<F>): Expr<M>;
  gt(a: Expr<F>, b: Expr<F>): Expr<M>;
  eq(a: Expr<F>, b: Expr<F>): Expr<M>;
  /** Both operands of `select` are evaluated. */
  select(m: Expr<M>, a: Expr<F>, b: Expr<F>): Expr<F>;
  or(a: Expr<M>, b: Expr<M>): Expr<M>;
  bits(a: Expr<F>): Expr<B>;
  fromBits(b: Expr<B>): Expr<F>;
  ishl(b: Expr<B>, n: number): Expr<B>;
  ishr_s(b: Expr<B>, n: number): Expr<B>;
  iadd(a: Expr<B>, b: Expr<B>): Expr<B>;
  isub(a: Expr<B>, b: Expr<B>): Expr<B>;
  iand(a: Expr<B>, b: Expr<B>): Expr<B>;
  iconst(v: bigint): Expr<B>;
  /** Evaluates `e` once into a fresh local of `f` and returns its reads. */
  bind<T extends F | M | B>(f: FunctionBuilder, e: Expr<T>): Expr<T>;
}

function bind<T extends ValType>(f: FunctionBuilder, e: Expr<T>): Expr<T> {
  const l = f.local(e.type);
  f.emit(l.set(e));
  return l.get();
}

const i64Bytes = (v: bigint) => {
  const b = new Uint8Array(16);
  const view = new DataView(b.buffer);
  view.setBigInt64(0, v, true);
  view.setBigInt64(8, v, true);
  return b;
};
const f64Bytes = (v: number) => {
  const b = new Uint8Array(16);
  const view = new DataView(b.buffer);
  view.setFloat64(0, v, true);
  view.setFloat64(8, v, true);
  return b;
};

export const scalarF64: F64Ops<'f64', 'i32', 'i64'> = {
  type: 'f64',
  c: (v) => f64.const(v),
  add: f64.add,
  sub: f64.sub,
  mul: f64.mul,
  div: f64.div,
  min: f64.min,
  max: f64.max,
  abs: f64.abs,
  nearest: f64.nearest,
  floor: f64.floor,
  copysign: f64.copysign,
  lt: f64.lt,
  gt: f64.gt,
  eq: f64.eq,
  select: (m, a, b) => select(a, b, m),
  or: i32.or,
  bits: i64.reinterpret_f64,
  fromBits: f64.reinterpret_i64,
  ishl: (b, n) => i64.shl(b, i64.const(BigInt(n))),
  ishr_s: (b, n) => i64.shr_s(b, i64.const(BigInt(n))),
  iadd: i64.add,
  isub: i64.sub,
  iand: i64.and,
  iconst: (v) => i64.const(v),
  bind,
};

const SIGN = f64Bytes(-0);

export const vectorF64: F64Ops<'v128', 'v128', 'v128'> = {
  type: 'v128',
  c: (v) => v128.const(f64Bytes(v)),
  add: f64x2.add,
  sub: f64x2.sub,
  mul: f64x2.mul,
  div: f64x2.div,
  min: f64x2.min,
  max: f64x2.max,
  abs: f64x2.abs,
  nearest: f64x2.nearest,
  floor: f64x2.floor,
  copysign: (a, b) => v128.bitselect(b, a, v128.const(SIGN)),
  lt: f64x2.lt,
  gt: f64x2.gt,
  eq: f64x2.eq,
  select: (m, a, b) => v128.bitselect(a, b, m),
  or: v128.or,
  bits: (a) => a,
  fromBits: (b) => b,
  ishl: (b, n) => i64x2.shl(b, i32.const(n)),
  ishr_s: (b, n) => i64x2.shr_s(b, i32.const(n)),
  iadd: i64x2.add,
  isub: i64x2.sub,
  iand: v128.and,
  iconst: (v) => v128.const(i64Bytes(v)),
  bind,
};
