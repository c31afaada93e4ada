/**
 * How an elementwise loop holds its values: one element at a time (`f32`, `f64`, `i32` scalars)
 * or a vector of 4 (`f32x4` with `i32x4`) or 2 (`f64x2`, with ints in the low two `i32x4` lanes).
 * Every elementwise op is written once against `Layout` (`elementwise-table.ts`) and so runs in
 * all four layouts. A value is a float (`'f'`, the storage precision) or an int (`'i'`: i32, and
 * bools as 0/1, which are stored as i32 too).
 */
import {
  type Expr,
  f32,
  f32x4,
  f64,
  f64x2,
  i8x16,
  i32,
  i32x4,
  i64x2,
  type Stmt,
  select,
  type ValType,
  v128,
} from './encoder/instructions.js';
import { call, type FuncRef, type FunctionBuilder } from './encoder/module.js';
import { type F64Ops, scalarF64, vectorF64 } from './f64-ops.js';
import type { Precision } from './gemm.js';

export type Kind = 'f' | 'i';

export interface Val {
  readonly kind: Kind;
  readonly e: Expr<ValType>;
}

export type Cmp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/** A double-precision function written over `F64Ops` (see simd-math.ts). */
export type F64Fn = <F extends ValType, M extends ValType, B extends ValType>(
  o: F64Ops<F, M, B>,
  f: FunctionBuilder,
  x: Expr<F>,
) => Expr<F>;

export type HostF64 = FuncRef<readonly ['f64'], 'f64'> | FuncRef<readonly ['f64', 'f64'], 'f64'>;

export interface Layout {
  /** Elements per step. */
  readonly width: 1 | 2 | 4;
  readonly precision: Precision;
  /** Bytes of one stored element of each kind. */
  bytes(kind: Kind): number;
  f(v: number): Expr<ValType>;
  i(v: number): Expr<ValType>;
  fadd(a: Expr<ValType>, b: Expr<ValType>): Expr<ValType>;
  fsub(a: Expr<ValType>, b: Expr<ValType>): Expr<ValType>;
  fmul(a: Expr<ValType>, b: Expr<ValType>): Expr<ValType>;
  fdiv(a: Expr<ValType>, b: Expr<ValType>): Expr<ValType>;
  fmin(a: Expr<ValType>, b: Expr<ValType>): Expr<ValType>;
  fmax(a: Expr<ValType>, b: Expr<ValType>): Expr<ValType>;
  fneg(a: Expr<ValType>): Expr<ValType>;
  fabs(a: Expr<ValType>): Expr<ValType>;
  fsqrt(a: Expr<ValType>): Expr<ValType>;
  ffloor(a: Expr<ValType>): Expr<ValType>;
  ftrunc(a: Expr<ValType>): Expr<ValType>;
  /** A comparison as the 0/1 int value. */
  fcmp(op: Cmp, a: Expr<ValType>, b: Expr<ValType>): Expr<ValType>;
  /** a if the float comparison holds, else b (floats). */
  fwhen(op: Cmp, x: Expr<ValType>, y: Expr<ValType>, a: Expr<ValType>, b: Expr<ValType>): Expr<ValType>;
  iadd(a: Expr<ValType>, b: Expr<ValType>): Expr<ValType>;
  isub(a: Expr<ValType>, b: Expr<ValType>): Expr<ValType>;
  imul(a: Expr<ValType>, b: Expr<ValType>): Expr<ValType>;
  imin(a: Expr<ValType>, b: Expr<ValType>): Expr<ValType>;
  imax(a: Expr<ValType>, b: Expr<ValType>): Expr<ValType>;
  ineg(a: Expr<ValType>): Expr<ValType>;
  iabs(a: Expr<ValType>): Expr<ValType>;
  /** sign as −1/0/1. */
  isign(a: Expr<ValType>): Expr<ValType>;
  icmp(op: Cmp, a: Expr<ValType>, b: Expr<ValType>): Expr<ValType>;
  /** c (an int 0/1) ? a : b, for values of `kind`. */
  where(c: Expr<ValType>, a: Expr<ValType>, b: Expr<ValType>, kind: Kind): Expr<ValType>;
  itof(a: Expr<ValType>): Expr<ValType>;
  /** JavaScript's `Math.trunc(x) | 0` (wrapping modulo 2³², NaN and ±∞ give 0) of an integral float. */
  ftoiWrapped(f: FunctionBuilder, a: Expr<ValType>): Expr<ValType>;
  /** Rounds a float to single precision (a no-op in f32 storage). */
  fround(a: Expr<ValType>): Expr<ValType>;
  load(kind: Kind, addr: Expr<'i32'>, offset: number, splat: boolean): Expr<ValType>;
  store(kind: Kind, addr: Expr<'i32'>, v: Expr<ValType>, offset: number): Stmt;
  /** Applies a double-precision function lane by lane (single precision goes through f64). */
  viaF64(f: FunctionBuilder, fn: F64Fn, x: Expr<ValType>): Expr<ValType>;
  /** Calls a host function of doubles lane by lane. */
  host(f: FunctionBuilder, fn: HostF64, args: readonly Expr<ValType>[]): Expr<ValType>;
  /** Evaluates into a fresh local; returns its reads. */
  bind(f: FunctionBuilder, v: Expr<ValType>): Expr<ValType>;
}

function bind(f: FunctionBuilder, e: Expr<ValType>): Expr<ValType> {
  const l = f.local(e.type);
  f.emit(l.set(e));
  return l.get();
}

const splatBytes = (set: (d: DataView, o: number) => void, lanes: number): Uint8Array => {
  const b = new Uint8Array(16);
  const d = new DataView(b.buffer);
  for (let k = 0; k < lanes; k++) set(d, (16 / lanes) * k);
  return b;
};
const vf32 = (v: number) => v128.const(splatBytes((d, o) => d.setFloat32(o, v, true), 4));
const vf64 = (v: number) => v128.const(splatBytes((d, o) => d.setFloat64(o, v, true), 2));
const vi32 = (v: number) => v128.const(splatBytes((d, o) => d.setInt32(o, v, true), 4));

/** The wrap of JavaScript's ToInt32 on an integral float: t − 2³²·⌊t/2³²⌋, moved into [−2³¹, 2³¹). */
function toInt32Float(
  t: Expr<ValType>,
  L: Pick<Layout, 'fsub' | 'fmul' | 'ffloor' | 'f' | 'fwhen'>,
  bound: (e: Expr<ValType>) => Expr<ValType>,
): Expr<ValType> {
  const x = bound(t);
  // Exact: both terms are multiples of ulp(t) and the difference is an integer below 2³² (∞ − ∞ is NaN).
  const r = bound(L.fsub(x, L.fmul(L.ffloor(L.fmul(x, L.f(2 ** -32))), L.f(2 ** 32))));
  return L.fwhen('ge', r, L.f(2 ** 31), L.fsub(r, L.f(2 ** 32)), r);
}

const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
const LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/** The two f64x2 halves (lanes 0–1, 2–3) of an f32x4, exactly; `x` is evaluated once. */
export function f64Halves(f: FunctionBuilder, x: Expr<ValType>): [Expr<'v128'>, Expr<'v128'>] {
  const xs = bind(f, x) as Expr<'v128'>;
  return [f64x2.promote_low_f32x4(xs), f64x2.promote_low_f32x4(i8x16.shuffle(xs, xs, HIGH_HALF))];
}

/** The vector of a's low 64 bits then b's (two f32x4 halves made by demotion, or two i32 pairs). */
export function joinLow(a: Expr<'v128'>, b: Expr<'v128'>): Expr<'v128'> {
  return i8x16.shuffle(a, b, LOW_HALVES);
}

type Binary = 'add' | 'sub' | 'mul' | 'div' | 'min' | 'max';
type Unary = 'neg' | 'abs' | 'sqrt' | 'floor' | 'trunc';
type AnyFn = (...a: Expr<ValType>[]) => Expr<ValType>;

/** The float arithmetic of a layout from its instruction namespace (`f32`, `f64`, `f32x4`, `f64x2`). */
function floatArith(F: object): Pick<Layout, `f${Binary | Unary}`> {
  const op = (name: Binary | Unary) => (F as Record<string, AnyFn>)[name];
  return {
    fadd: op('add'),
    fsub: op('sub'),
    fmul: op('mul'),
    fdiv: op('div'),
    fmin: op('min'),
    fmax: op('max'),
    fneg: op('neg'),
    fabs: op('abs'),
    fsqrt: op('sqrt'),
    ffloor: op('floor'),
    ftrunc: op('trunc'),
  };
}

type I = Expr<'i32'>;
type S<T extends ValType> = Expr<T>;
const as = <T extends ValType>(e: Expr<ValType>) => e as Expr<T>;

function scalarLayout(p: Precision): Layout {
  const F = p === 'f32' ? f32 : f64;
  const fc = (v: number) => F.const(v) as Expr<ValType>;
  const fcmp = (op: Cmp, a: Expr<ValType>, b: Expr<ValType>): Expr<ValType> =>
    (F[op] as (a: Expr<ValType>, b: Expr<ValType>) => I)(a, b);
  const icmpOf: Record<Cmp, (a: I, b: I) => I> = {
    eq: i32.eq,
    ne: i32.ne,
    lt: i32.lt_s,
    le: i32.le_s,
    gt: i32.gt_s,
    ge: i32.ge_s,
  };
  const L: Layout = {
    width: 1,
    precision: p,
    bytes: (k) => (k === 'i' ? 4 : p === 'f32' ? 4 : 8),
    f: fc,
    i: (v) => i32.const(v),
    ...floatArith(F),
    fcmp,
    fwhen: (op, x, y, a, b) => select(a, b, as<'i32'>(fcmp(op, x, y))),
    iadd: (a, b) => i32.add(as(a), as(b)),
    isub: (a, b) => i32.sub(as(a), as(b)),
    imul: (a, b) => i32.mul(as(a), as(b)),
    imin: (a, b) => select(a, b, i32.lt_s(as(a), as(b))),
    imax: (a, b) => select(a, b, i32.gt_s(as(a), as(b))),
    ineg: (a) => i32.sub(i32.const(0), as(a)),
    iabs: (a) => select(a, i32.sub(i32.const(0), as(a)), i32.ge_s(as(a), i32.const(0))),
    isign: (a) => i32.sub(i32.gt_s(as(a), i32.const(0)), i32.lt_s(as(a), i32.const(0))),
    icmp: (op, a, b) => icmpOf[op](as(a), as(b)),
    where: (c, a, b) => select(a, b, as<'i32'>(c)),
    itof: (a) => (p === 'f32' ? f32.convert_i32_s(as(a)) : f64.convert_i32_s(as(a))),
    ftoiWrapped: (f, a) => {
      // In f64: t − 2³²·⌊t/2³²⌋ is exact (f32 cannot hold it), so single precision goes through f64.
      const wide = p === 'f32' ? f64.promote_f32(as(a)) : as<'f64'>(a);
      const r = toInt32Float(wide, layoutOf('f64', false), (e) => bind(f, e));
      return i32.trunc_sat_f64_s(as(r));
    },
    fround: (a) => (p === 'f32' ? a : f64.promote_f32(f32.demote_f64(as(a)))),
    load: (kind, addr, offset) =>
      kind === 'i' ? i32.load(addr, offset) : p === 'f32' ? f32.load(addr, offset) : f64.load(addr, offset),
    store: (kind, addr, v, offset) =>
      kind === 'i'
        ? i32.store(addr, as(v), offset)
        : p === 'f32'
          ? f32.store(addr, as(v), offset)
          : f64.store(addr, as(v), offset),
    viaF64: (f, fn, x) =>
      p === 'f64' ? fn(scalarF64, f, as<'f64'>(x)) : f32.demote_f64(fn(scalarF64, f, f64.promote_f32(as(x)))),
    host: (_f, fn, args) => {
      const wide = args.map((a) => (p === 'f64' ? as<'f64'>(a) : f64.promote_f32(as(a))));
      const r = (call as (f: HostF64, ...a: S<'f64'>[]) => S<'f64'>)(fn, ...wide);
      return p === 'f64' ? r : f32.demote_f64(r);
    },
    bind,
  };
  return L;
}

function vectorLayout(p: Precision): Layout {
  const F = p === 'f32' ? f32x4 : f64x2;
  const fc = p === 'f32' ? vf32 : vf64;
  const V = (e: Expr<ValType>) => e as Expr<'v128'>;
  /** A float comparison's lane mask, in the float's lane width. */
  const fmask = (op: Cmp, a: Expr<ValType>, b: Expr<ValType>) => F[op](V(a), V(b));
  /** f64 lane masks narrowed to the low two i32 lanes. */
  const narrow = (m: Expr<'v128'>) =>
    i8x16.shuffle(m, m, [0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]);
  const imaskOf: Record<Cmp, (a: Expr<'v128'>, b: Expr<'v128'>) => Expr<'v128'>> = {
    eq: i32x4.eq,
    ne: i32x4.ne,
    lt: i32x4.lt_s,
    le: i32x4.le_s,
    gt: i32x4.gt_s,
    ge: i32x4.ge_s,
  };
  /** An int 0/1 as a lane mask of the float lanes. */
  const fmaskOf = (c: Expr<ValType>) => {
    const m = i32x4.neg(V(c));
    return p === 'f32' ? m : i64x2.extend_low_i32x4_s(m);
  };
  const L: Layout = {
    width: p === 'f32' ? 4 : 2,
    precision: p,
    bytes: (k) => (k === 'i' ? 4 : p === 'f32' ? 4 : 8),
    f: fc,
    i: vi32,
    ...floatArith(F),
    fcmp: (op, a, b) => {
      const m = fmask(op, a, b);
      return i32x4.neg(p === 'f32' ? m : narrow(m));
    },
    fwhen: (op, x, y, a, b) => v128.bitselect(V(a), V(b), fmask(op, x, y)),
    iadd: (a, b) => i32x4.add(V(a), V(b)),
    isub: (a, b) => i32x4.sub(V(a), V(b)),
    imul: (a, b) => i32x4.mul(V(a), V(b)),
    imin: (a, b) => i32x4.min_s(V(a), V(b)),
    imax: (a, b) => i32x4.max_s(V(a), V(b)),
    ineg: (a) => i32x4.neg(V(a)),
    iabs: (a) => i32x4.abs(V(a)),
    isign: (a) => {
      const zero = vi32(0);
      return i32x4.sub(i32x4.lt_s(V(a), zero), i32x4.gt_s(V(a), zero));
    },
    icmp: (op, a, b) => i32x4.neg(imaskOf[op](V(a), V(b))),
    where: (c, a, b, kind) => v128.bitselect(V(a), V(b), kind === 'i' ? i32x4.neg(V(c)) : fmaskOf(c)),
    itof: (a) => (p === 'f32' ? f32x4.convert_i32x4_s(V(a)) : f64x2.convert_low_i32x4_s(V(a))),
    ftoiWrapped: (f, a) => {
      // As in the scalar layout, through f64: four f32 lanes are two f64x2 halves.
      const D = layoutOf('f64', true);
      const wrap = (x: Expr<ValType>) =>
        V(bind(f, i32x4.trunc_sat_f64x2_s_zero(V(toInt32Float(x, D, (e) => bind(f, e))))));
      if (p === 'f64') return wrap(a);
      const [lo, hi] = f64Halves(f, a);
      return joinLow(wrap(lo), wrap(hi));
    },
    fround: (a) => (p === 'f32' ? a : f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(V(a)))),
    load: (kind, addr, offset, splat) => {
      if (kind === 'f' && p === 'f64')
        return splat ? v128.load64_splat(addr, offset) : v128.load(addr, offset);
      if (splat) return v128.load32_splat(addr, offset);
      return kind === 'i' && p === 'f64' ? v128.load64_zero(addr, offset) : v128.load(addr, offset);
    },
    store: (kind, addr, v, offset) =>
      kind === 'i' && p === 'f64' ? v128.store64_lane(addr, V(v), 0, offset) : v128.store(addr, V(v), offset),
    viaF64: (f, fn, x) => {
      if (p === 'f64') return fn(vectorF64, f, V(x));
      const [lo, hi] = f64Halves(f, x);
      const demoted = (h: Expr<'v128'>) => V(bind(f, f32x4.demote_f64x2_zero(fn(vectorF64, f, h))));
      return joinLow(demoted(lo), demoted(hi));
    },
    host: (f, fn, args) => {
      const xs = args.map((a) => V(bind(f, a)));
      const callAt = call as (f: HostF64, ...a: S<'f64'>[]) => S<'f64'>;
      let r: Expr<'v128'> = p === 'f32' ? vf32(0) : vf64(0);
      for (let k = 0; k < L.width; k++) {
        if (p === 'f64') r = f64x2.replace_lane(r, k, callAt(fn, ...xs.map((x) => f64x2.extract_lane(x, k))));
        else {
          const wide = xs.map((x) => f64.promote_f32(f32x4.extract_lane(x, k)));
          r = f32x4.replace_lane(r, k, f32.demote_f64(callAt(fn, ...wide)));
        }
        r = V(bind(f, r));
      }
      return r;
    },
    bind,
  };
  return L;
}

const LAYOUTS = new Map<string, Layout>();

/** The layout for a precision, scalar or vector (layouts are stateless and shared). */
export function layoutOf(p: Precision, vector: boolean): Layout {
  const key = `${p}${vector ? 'v' : 's'}`;
  let l = LAYOUTS.get(key);
  if (!l) {
    l = vector ? vectorLayout(p) : scalarLayout(p);
    LAYOUTS.set(key, l);
  }
  return l;
}
