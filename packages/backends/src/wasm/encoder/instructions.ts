/**
 * Typed WebAssembly instructions as expression trees. An `Expr<T>` is code that leaves one value
 * of type `T` on the stack; an instruction takes its operands as exprs of the types the format
 * requires, so a stack that does not type-check cannot be written (TypeScript refuses it). A
 * `Stmt` leaves nothing (stores, sets, calls without results). Names follow the text format
 * (`f32x4.add` is `f32x4.add`); only the instructions the backend uses are here.
 */
import type { ByteWriter } from './bytes.js';

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

export const VALTYPE_CODE: Readonly<Record<ValType, number>> = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
};

export interface Expr<T extends ValType> {
  readonly type: T;
  /** Writes the code that leaves this value on the stack. */
  readonly emit: (w: ByteWriter) => void;
}

export interface Stmt {
  readonly stmt: true;
  readonly emit: (w: ByteWriter) => void;
}

type E<T extends ValType> = Expr<T>;
type Bytes = readonly number[];

function expr<T extends ValType>(type: T, args: readonly E<ValType>[], tail: (w: ByteWriter) => void): E<T> {
  return {
    type,
    emit: (w) => {
      for (const a of args) a.emit(w);
      tail(w);
    },
  };
}

export function stmt(args: readonly E<ValType>[], tail: (w: ByteWriter) => void): Stmt {
  return {
    stmt: true,
    emit: (w) => {
      for (const a of args) a.emit(w);
      tail(w);
    },
  };
}

/** Code of a SIMD instruction: the 0xfd prefix and the LEB128 opcode. */
function simdCode(op: number): Bytes {
  return op < 0x80 ? [0xfd, op] : [0xfd, (op & 0x7f) | 0x80, op >> 7];
}

const op1 =
  <A extends ValType, R extends ValType>(r: R, code: Bytes) =>
  (a: E<A>): E<R> =>
    expr(r, [a], (w) => w.bytes(code));
const op2 =
  <A extends ValType, B extends ValType, R extends ValType>(r: R, code: Bytes) =>
  (a: E<A>, b: E<B>): E<R> =>
    expr(r, [a, b], (w) => w.bytes(code));
const op3 =
  <A extends ValType, B extends ValType, C extends ValType, R extends ValType>(r: R, code: Bytes) =>
  (a: E<A>, b: E<B>, c: E<C>): E<R> =>
    expr(r, [a, b, c], (w) => w.bytes(code));

/** A memory access: natural alignment `align` (log2 bytes) and a constant byte offset. */
function memarg(w: ByteWriter, align: number, offset: number): void {
  w.u32(align);
  w.u32(offset);
}

const load =
  <R extends ValType>(r: R, code: Bytes, align: number) =>
  (addr: E<'i32'>, offset = 0): E<R> =>
    expr(r, [addr], (w) => {
      w.bytes(code);
      memarg(w, align, offset);
    });
const store =
  <V extends ValType>(code: Bytes, align: number) =>
  (addr: E<'i32'>, value: E<V>, offset = 0): Stmt =>
    stmt([addr, value], (w) => {
      w.bytes(code);
      memarg(w, align, offset);
    });

const lane =
  <R extends ValType>(r: R, op: number, lanes: number) =>
  (v: E<'v128'>, i: number): E<R> => {
    if (!Number.isInteger(i) || i < 0 || i >= lanes) throw new RangeError(`lane ${i} of ${lanes}`);
    return expr(r, [v], (w) => {
      w.bytes(simdCode(op));
      w.byte(i);
    });
  };
const replaceLane =
  <S extends ValType>(op: number, lanes: number) =>
  (v: E<'v128'>, i: number, x: E<S>): E<'v128'> => {
    if (!Number.isInteger(i) || i < 0 || i >= lanes) throw new RangeError(`lane ${i} of ${lanes}`);
    return expr('v128', [v, x], (w) => {
      w.bytes(simdCode(op));
      w.byte(i);
    });
  };

type I32 = E<'i32'>;
type V = E<'v128'>;

export const i32 = {
  const: (v: number): I32 =>
    expr('i32', [], (w) => {
      w.byte(0x41);
      w.s32(v);
    }),
  eqz: op1<'i32', 'i32'>('i32', [0x45]),
  eq: op2<'i32', 'i32', 'i32'>('i32', [0x46]),
  ne: op2<'i32', 'i32', 'i32'>('i32', [0x47]),
  lt_s: op2<'i32', 'i32', 'i32'>('i32', [0x48]),
  lt_u: op2<'i32', 'i32', 'i32'>('i32', [0x49]),
  gt_s: op2<'i32', 'i32', 'i32'>('i32', [0x4a]),
  le_s: op2<'i32', 'i32', 'i32'>('i32', [0x4c]),
  ge_s: op2<'i32', 'i32', 'i32'>('i32', [0x4e]),
  add: op2<'i32', 'i32', 'i32'>('i32', [0x6a]),
  sub: op2<'i32', 'i32', 'i32'>('i32', [0x6b]),
  mul: op2<'i32', 'i32', 'i32'>('i32', [0x6c]),
  div_s: op2<'i32', 'i32', 'i32'>('i32', [0x6d]),
  rem_s: op2<'i32', 'i32', 'i32'>('i32', [0x6f]),
  and: op2<'i32', 'i32', 'i32'>('i32', [0x71]),
  or: op2<'i32', 'i32', 'i32'>('i32', [0x72]),
  xor: op2<'i32', 'i32', 'i32'>('i32', [0x73]),
  shl: op2<'i32', 'i32', 'i32'>('i32', [0x74]),
  shr_s: op2<'i32', 'i32', 'i32'>('i32', [0x75]),
  shr_u: op2<'i32', 'i32', 'i32'>('i32', [0x76]),
  wrap_i64: op1<'i64', 'i32'>('i32', [0xa7]),
  trunc_sat_f32_s: op1<'f32', 'i32'>('i32', [0xfc, 0x00]),
  trunc_sat_f64_s: op1<'f64', 'i32'>('i32', [0xfc, 0x02]),
  reinterpret_f32: op1<'f32', 'i32'>('i32', [0xbc]),
  load: load('i32', [0x28], 2),
  load8_u: load('i32', [0x2d], 0),
  store: store<'i32'>([0x36], 2),
  store8: store<'i32'>([0x3a], 0),
  atomic_load: load('i32', [0xfe, 0x10], 2),
  atomic_store: store<'i32'>([0xfe, 0x17], 2),
};

export const i64 = {
  const: (v: bigint): E<'i64'> =>
    expr('i64', [], (w) => {
      w.byte(0x42);
      w.s64(v);
    }),
  add: op2<'i64', 'i64', 'i64'>('i64', [0x7c]),
  sub: op2<'i64', 'i64', 'i64'>('i64', [0x7d]),
  and: op2<'i64', 'i64', 'i64'>('i64', [0x83]),
  or: op2<'i64', 'i64', 'i64'>('i64', [0x84]),
  shl: op2<'i64', 'i64', 'i64'>('i64', [0x86]),
  shr_u: op2<'i64', 'i64', 'i64'>('i64', [0x88]),
  shr_s: op2<'i64', 'i64', 'i64'>('i64', [0x87]),
  extend_i32_s: op1<'i32', 'i64'>('i64', [0xac]),
  reinterpret_f64: op1<'f64', 'i64'>('i64', [0xbd]),
};

const fops = <T extends 'f32' | 'f64'>(
  t: T,
  base: number,
  cmp: number,
  consts: (w: ByteWriter, v: number) => void,
) => ({
  const: (v: number): E<T> => expr(t, [], (w) => consts(w, v)),
  eq: op2<T, T, 'i32'>('i32', [cmp]),
  ne: op2<T, T, 'i32'>('i32', [cmp + 1]),
  lt: op2<T, T, 'i32'>('i32', [cmp + 2]),
  gt: op2<T, T, 'i32'>('i32', [cmp + 3]),
  le: op2<T, T, 'i32'>('i32', [cmp + 4]),
  ge: op2<T, T, 'i32'>('i32', [cmp + 5]),
  abs: op1<T, T>(t, [base]),
  neg: op1<T, T>(t, [base + 1]),
  ceil: op1<T, T>(t, [base + 2]),
  floor: op1<T, T>(t, [base + 3]),
  trunc: op1<T, T>(t, [base + 4]),
  nearest: op1<T, T>(t, [base + 5]),
  sqrt: op1<T, T>(t, [base + 6]),
  add: op2<T, T, T>(t, [base + 7]),
  sub: op2<T, T, T>(t, [base + 8]),
  mul: op2<T, T, T>(t, [base + 9]),
  div: op2<T, T, T>(t, [base + 10]),
  min: op2<T, T, T>(t, [base + 11]),
  max: op2<T, T, T>(t, [base + 12]),
  copysign: op2<T, T, T>(t, [base + 13]),
});

export const f32 = {
  ...fops('f32', 0x8b, 0x5b, (w, v) => {
    w.byte(0x43);
    w.f32(v);
  }),
  convert_i32_s: op1<'i32', 'f32'>('f32', [0xb2]),
  demote_f64: op1<'f64', 'f32'>('f32', [0xb6]),
  reinterpret_i32: op1<'i32', 'f32'>('f32', [0xbe]),
  load: load('f32', [0x2a], 2),
  store: store<'f32'>([0x38], 2),
};

export const f64 = {
  ...fops('f64', 0x99, 0x61, (w, v) => {
    w.byte(0x44);
    w.f64(v);
  }),
  convert_i32_s: op1<'i32', 'f64'>('f64', [0xb7]),
  convert_i32_u: op1<'i32', 'f64'>('f64', [0xb8]),
  promote_f32: op1<'f32', 'f64'>('f64', [0xbb]),
  reinterpret_i64: op1<'i64', 'f64'>('f64', [0xbf]),
  load: load('f64', [0x2b], 3),
  store: store<'f64'>([0x39], 3),
};

const s1 = (op: number) => op1<'v128', 'v128'>('v128', simdCode(op));
const s2 = (op: number) => op2<'v128', 'v128', 'v128'>('v128', simdCode(op));
const shift = (op: number) => op2<'v128', 'i32', 'v128'>('v128', simdCode(op));

export const v128 = {
  /** A constant from 16 bytes. */
  const: (bytes: ArrayLike<number>): V => {
    if (bytes.length !== 16) throw new RangeError('v128.const needs 16 bytes');
    return expr('v128', [], (w) => {
      w.bytes(simdCode(0x0c));
      w.bytes(bytes);
    });
  },
  load: load('v128', simdCode(0x00), 4),
  load32_splat: load('v128', simdCode(0x09), 2),
  load64_splat: load('v128', simdCode(0x0a), 3),
  load32_zero: load('v128', simdCode(0x5c), 2),
  load64_zero: load('v128', simdCode(0x5d), 3),
  store: store<'v128'>(simdCode(0x0b), 4),
  /** Stores lane `i` (of 4 × 32 bits) at `addr + offset`. */
  store32_lane: (addr: I32, v: V, i: number, offset = 0): Stmt =>
    stmt([addr, v], (w) => {
      w.bytes(simdCode(0x5a));
      memarg(w, 2, offset);
      w.byte(i);
    }),
  store64_lane: (addr: I32, v: V, i: number, offset = 0): Stmt =>
    stmt([addr, v], (w) => {
      w.bytes(simdCode(0x5b));
      memarg(w, 3, offset);
      w.byte(i);
    }),
  not: s1(0x4d),
  and: s2(0x4e),
  andnot: s2(0x4f),
  or: s2(0x50),
  xor: s2(0x51),
  /** Bits of `a` where `mask` is set, else of `b`. */
  bitselect: op3<'v128', 'v128', 'v128', 'v128'>('v128', simdCode(0x52)),
  any_true: op1<'v128', 'i32'>('i32', simdCode(0x53)),
};

export const i8x16 = {
  /** Lanes of the 32-byte concatenation `a ++ b`, by index. */
  shuffle: (a: V, b: V, lanes: readonly number[]): V => {
    if (lanes.length !== 16 || lanes.some((l) => !Number.isInteger(l) || l < 0 || l > 31)) {
      throw new RangeError('i8x16.shuffle needs 16 lane indices in [0, 32)');
    }
    return expr('v128', [a, b], (w) => {
      w.bytes(simdCode(0x0d));
      w.bytes(lanes);
    });
  },
};

export const i32x4 = {
  splat: op1<'i32', 'v128'>('v128', simdCode(0x11)),
  extract_lane: lane('i32', 0x1b, 4),
  replace_lane: replaceLane<'i32'>(0x1c, 4),
  eq: s2(0x37),
  ne: s2(0x38),
  lt_s: s2(0x39),
  gt_s: s2(0x3b),
  le_s: s2(0x3d),
  ge_s: s2(0x3f),
  abs: s1(0xa0),
  neg: s1(0xa1),
  shl: shift(0xab),
  shr_s: shift(0xac),
  shr_u: shift(0xad),
  add: s2(0xae),
  sub: s2(0xb1),
  mul: s2(0xb5),
  min_s: s2(0xb6),
  max_s: s2(0xb8),
  trunc_sat_f32x4_s: s1(0xf8),
  trunc_sat_f64x2_s_zero: s1(0xfc),
};

export const i64x2 = {
  splat: op1<'i64', 'v128'>('v128', simdCode(0x12)),
  extend_low_i32x4_s: s1(0xc7),
  shl: shift(0xcb),
  shr_s: shift(0xcc),
  shr_u: shift(0xcd),
  add: s2(0xce),
  sub: s2(0xd1),
};

export const f32x4 = {
  splat: op1<'f32', 'v128'>('v128', simdCode(0x13)),
  extract_lane: lane('f32', 0x1f, 4),
  replace_lane: replaceLane<'f32'>(0x20, 4),
  eq: s2(0x41),
  ne: s2(0x42),
  lt: s2(0x43),
  gt: s2(0x44),
  le: s2(0x45),
  ge: s2(0x46),
  demote_f64x2_zero: s1(0x5e),
  ceil: s1(0x67),
  floor: s1(0x68),
  trunc: s1(0x69),
  nearest: s1(0x6a),
  abs: s1(0xe0),
  neg: s1(0xe1),
  sqrt: s1(0xe3),
  add: s2(0xe4),
  sub: s2(0xe5),
  mul: s2(0xe6),
  div: s2(0xe7),
  min: s2(0xe8),
  max: s2(0xe9),
  convert_i32x4_s: s1(0xfa),
  /** a·b + c, fused or not (relaxed SIMD: only where `relaxedSimd()` says it validates). */
  relaxed_madd: op3<'v128', 'v128', 'v128', 'v128'>('v128', simdCode(0x105)),
};

export const f64x2 = {
  splat: op1<'f64', 'v128'>('v128', simdCode(0x14)),
  extract_lane: lane('f64', 0x21, 2),
  replace_lane: replaceLane<'f64'>(0x22, 2),
  eq: s2(0x47),
  ne: s2(0x48),
  lt: s2(0x49),
  gt: s2(0x4a),
  le: s2(0x4b),
  ge: s2(0x4c),
  promote_low_f32x4: s1(0x5f),
  ceil: s1(0x74),
  floor: s1(0x75),
  trunc: s1(0x7a),
  nearest: s1(0x94),
  abs: s1(0xec),
  neg: s1(0xed),
  sqrt: s1(0xef),
  add: s2(0xf0),
  sub: s2(0xf1),
  mul: s2(0xf2),
  div: s2(0xf3),
  min: s2(0xf4),
  max: s2(0xf5),
  convert_low_i32x4_s: s1(0xfe),
  relaxed_madd: op3<'v128', 'v128', 'v128', 'v128'>('v128', simdCode(0x107)),
};

/** `cond ? a : b`, both evaluated (no branch). */
export function select<T extends ValType>(a: E<T>, b: E<T>, cond: E<'i32'>): E<T> {
  return expr(a.type, [a, b, cond], (w) => w.byte(0x1b));
}

export const memory = {
  /** Copies `n` bytes from `src` to `dst` (regions may overlap). */
  copy: (dst: I32, src: I32, n: I32): Stmt => stmt([dst, src, n], (w) => w.bytes([0xfc, 0x0a, 0x00, 0x00])),
  /** Sets `n` bytes at `dst` to the low byte of `value`. */
  fill: (dst: I32, value: I32, n: I32): Stmt => stmt([dst, value, n], (w) => w.bytes([0xfc, 0x0b, 0x00])),
};

/** Discards a value. */
export function drop(e: E<ValType>): Stmt {
  return stmt([e], (w) => w.byte(0x1a));
}
