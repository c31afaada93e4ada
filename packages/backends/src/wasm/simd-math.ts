/**
 * exp, log and tanh in double precision, branch-free, written once over `F64Ops` so the same code
 * is emitted for one value and for two lanes. exp and log follow fdlibm's algorithms (Cody–Waite
 * range reduction, then its rational or polynomial kernel: under 1 ulp; exp is V8's `Math.exp`
 * bit for bit, log within an ulp of `Math.log`, whose branches it does not copy); tanh uses a Taylor
 * series of expm1 near 0 and 1 − 2/(e^{2|x|} + 1) elsewhere. Single-precision values are computed
 * through these and rounded once, so an f32 result is the correctly rounded f32 of a value a few
 * f64 ulps from the true one: at most one f32 ulp from `Math.fround(Math.exp(x))`, and equal to
 * it but for values within ~1e-15 of a rounding boundary. The bounds are property-tested on every
 * input range (`simd-math.test.ts`).
 */
import type { Expr, ValType } from './encoder/instructions.js';
import type { FunctionBuilder } from './encoder/module.js';
import type { F64Ops } from './f64-ops.js';

type Ops<F extends ValType, M extends ValType, B extends ValType> = F64Ops<F, M, B>;

// fdlibm's constants (e_exp.c, e_log.c), written as the shortest decimals of the same doubles.
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
const INV_LN2 = Math.LOG2E;
/** 1.5 · 2⁵²: adding it to an integer-valued double puts the integer in the low mantissa bits. */
const MAGIC = 6755399441055744;
const MAGIC_BITS = 0x4338000000000000n;
const EXP_P = [
  0.16666666666666602, -0.0027777777777015593, 0.00006613756321437934, -0.0000016533902205465252,
  4.1381367970572385e-8,
];
const LOG_LG = [
  0.6666666666666735, 0.3999999999940942, 0.2857142874366239, 0.22222198432149784, 0.1818357216161805,
  0.15313837699209373, 0.14798198605116586,
];

/** Horner's rule: c[0] + x·(c[1] + x·(…)). */
function poly<F extends ValType, M extends ValType, B extends ValType>(
  o: Ops<F, M, B>,
  x: Expr<F>,
  c: readonly number[],
): Expr<F> {
  let acc = o.c(c[c.length - 1]);
  for (let i = c.length - 2; i >= 0; i--) acc = o.add(o.c(c[i]), o.mul(x, acc));
  return acc;
}

/** 2^k for an integer-valued k in [−1022, 1023], from its bits. */
function pow2<F extends ValType, M extends ValType, B extends ValType>(o: Ops<F, M, B>, k: Expr<F>): Expr<F> {
  const low = o.bits(o.add(k, o.c(MAGIC)));
  return o.fromBits(o.iadd(o.ishl(low, 52), o.iconst(1023n << 52n)));
}

export function exp<F extends ValType, M extends ValType, B extends ValType>(
  o: Ops<F, M, B>,
  f: FunctionBuilder,
  x0: Expr<F>,
): Expr<F> {
  // Beyond these every result is ∞ or 0; clamping keeps the exponent arithmetic in range (NaN stays NaN).
  const x = o.bind(f, o.max(o.min(x0, o.c(709.79)), o.c(-745.2)));
  const k = o.bind(f, o.nearest(o.mul(x, o.c(INV_LN2))));
  const hi = o.bind(f, o.sub(x, o.mul(k, o.c(LN2_HI))));
  const lo = o.bind(f, o.mul(k, o.c(LN2_LO)));
  const r = o.bind(f, o.sub(hi, lo));
  const t = o.bind(f, o.mul(r, r));
  const c = o.bind(f, o.sub(r, o.mul(t, poly(o, t, EXP_P))));
  const y = o.sub(o.c(1), o.sub(o.sub(lo, o.div(o.mul(r, c), o.sub(o.c(2), c))), hi));
  // 2^k in two factors, so that results that are subnormal or near overflow are still right.
  const k1 = o.bind(f, o.floor(o.mul(k, o.c(0.5))));
  const e = o.mul(o.mul(y, pow2(o, k1)), pow2(o, o.sub(k, k1)));
  // V8's Math.exp special-cases exp(1) (the algorithm gets its last bit wrong): so do we.
  return o.select(o.eq(x, o.c(1)), o.c(Math.E), e);
}

export function log<F extends ValType, M extends ValType, B extends ValType>(
  o: Ops<F, M, B>,
  f: FunctionBuilder,
  x0: Expr<F>,
): Expr<F> {
  const x = o.bind(f, x0);
  // Subnormals are scaled into the normal range first.
  const sub = o.bind(f, o.lt(x, o.c(2.2250738585072014e-308)));
  const b = o.bind(f, o.bits(o.select(sub, o.mul(x, o.c(2 ** 54)), x)));
  // x = 2^k · m with m in [√2/2, √2).
  const tmp = o.bind(f, o.isub(b, o.iconst(0x3fe6a09e667f3bcdn)));
  const m = o.fromBits(o.isub(b, o.iand(tmp, o.iconst(-(1n << 52n)))));
  const kInt = o.fromBits(o.iadd(o.ishr_s(tmp, 52), o.iconst(MAGIC_BITS)));
  const k = o.bind(f, o.add(o.sub(kInt, o.c(MAGIC)), o.select(sub, o.c(-54), o.c(0))));
  const fm = o.bind(f, o.sub(m, o.c(1)));
  const s = o.bind(f, o.div(fm, o.add(o.c(2), fm)));
  const z = o.bind(f, o.mul(s, s));
  const w = o.bind(f, o.mul(z, z));
  const t1 = o.mul(w, poly(o, w, [LOG_LG[1], LOG_LG[3], LOG_LG[5]]));
  const t2 = o.mul(z, poly(o, w, [LOG_LG[0], LOG_LG[2], LOG_LG[4], LOG_LG[6]]));
  const R = o.add(t2, t1);
  const hfsq = o.bind(f, o.mul(o.mul(o.c(0.5), fm), fm));
  const r = o.sub(
    o.mul(k, o.c(LN2_HI)),
    o.sub(o.sub(hfsq, o.add(o.mul(s, o.add(hfsq, R)), o.mul(k, o.c(LN2_LO)))), fm),
  );
  // log 0 = −∞, log of a negative or NaN is NaN, log ∞ = ∞.
  const special = o.select(o.eq(x, o.c(0)), o.c(Number.NEGATIVE_INFINITY), o.c(Number.NaN));
  const finite = o.select(o.gt(x, o.c(0)), r, special);
  return o.select(o.eq(x, o.c(Number.POSITIVE_INFINITY)), x, finite);
}

/** 1/n! for n = 1..17: expm1's Taylor coefficients, enough for |y| < 0.7 to 1e-17. */
const EXPM1_TAYLOR = Array.from({ length: 17 }, (_, i) => {
  let fact = 1;
  for (let n = 2; n <= i + 1; n++) fact *= n;
  return 1 / fact;
});

export function tanh<F extends ValType, M extends ValType, B extends ValType>(
  o: Ops<F, M, B>,
  f: FunctionBuilder,
  x0: Expr<F>,
): Expr<F> {
  const x = o.bind(f, x0);
  const a = o.bind(f, o.abs(x));
  const y = o.bind(f, o.add(a, a));
  // Near 0, e = e^y − 1 by its series keeps the relative accuracy that 1 − 2/(e^y + 1) loses.
  const e = o.bind(f, o.mul(y, poly(o, y, EXPM1_TAYLOR)));
  const small = o.div(e, o.add(e, o.c(2)));
  const large = o.sub(o.c(1), o.div(o.c(2), o.add(exp(o, f, y), o.c(1))));
  return o.copysign(o.select(o.lt(a, o.c(0.35)), small, large), x);
}

/** The functions above by the op they implement. */
export const MATH = { Exp: exp, Log: log, Tanh: tanh } as const;
