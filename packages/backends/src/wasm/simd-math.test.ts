/**
 * The transcendentals against the reference interpreter (`Math.exp`, `Math.log`, `Math.tanh`,
 * rounded to f32 for f32 graphs), in ulps, on every input range, through the real elementwise
 * kernels: shapes [256] run the SIMD loops (f32x4, f64x2), shapes [128, 3] the scalar ones.
 * Bounds: f32 results are within 1 ulp everywhere; f64 results are bit-identical (exp is fdlibm's
 * algorithm in SIMD, log and tanh call the host's `Math` in f64).
 */
import { graph, run, type Value } from '@gradus/autodiff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wasm } from './index.js';

const N = 384;
const view = new DataView(new ArrayBuffer(8));

/** Distance in units in the last place of `dtype` (0 for equal values, NaN and NaN, ∞ and ∞). */
function ulps(a: number, b: number, dtype: 'f32' | 'f64'): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (a === b) return 0;
  if (dtype === 'f32') {
    const ordered = (x: number) => {
      view.setFloat32(0, x);
      const i = view.getInt32(0);
      return i < 0 ? -(i & 0x7fffffff) : i;
    };
    return Math.abs(ordered(a) - ordered(b));
  }
  // In BigInt: the bit patterns of doubles are beyond Number's exact integers.
  const ordered = (x: number) => {
    view.setFloat64(0, x);
    const i = view.getBigInt64(0);
    return i < 0n ? -(i & 0x7fffffffffffffffn) : i;
  };
  const d = ordered(a) - ordered(b);
  return Number(d < 0n ? -d : d);
}

type Op = 'exp' | 'log' | 'tanh';
const apply = (op: Op, x: Value) => (op === 'exp' ? x.exp() : op === 'log' ? x.log() : x.tanh());

/** Compiled once per op, precision and layout; fed many batches. */
function checker(op: Op, dtype: 'f32' | 'f64', simd: boolean) {
  const g = graph({ floatDtype: dtype });
  const shape = simd ? [N] : [N / 3, 3];
  g.output('y', apply(op, g.input('x', shape)));
  const ex = wasm.compile(g, { threads: 1 });
  expect(ex.source()).toContain(
    simd ? `${dtype}x${dtype === 'f32' ? 4 : 2}` : op === 'exp' ? 'Exp' : op === 'log' ? 'Log' : 'Tanh',
  );
  return (xs: readonly number[]) => {
    const data = Float64Array.from({ length: N }, (_, i) => xs[i % xs.length]);
    const feeds = { x: { shape, dtype, data } };
    const got = ex.run(feeds).y.data;
    const want = run(g, { feeds, precision: dtype }).outputs.y.data;
    let worst = 0;
    for (let i = 0; i < N; i++) worst = Math.max(worst, ulps(got[i], want[i], dtype));
    return worst;
  };
}

const f32In = (min: number, max: number) =>
  fc.array(fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true }), {
    minLength: 1,
    maxLength: 64,
  });
const f64In = (min: number, max: number) =>
  fc.array(fc.double({ min, max, noNaN: true }), { minLength: 1, maxLength: 64 });
/** f32 values just below a power of two, where a careless log loses accuracy. */
const belowPow2 = fc.array(
  fc
    .tuple(fc.integer({ min: -126, max: 127 }), fc.integer({ min: 1, max: 4096 }))
    .map(([e, d]) => Math.fround(2 ** e * (1 - d * 2 ** -24))),
  { minLength: 1, maxLength: 64 },
);

const RANGES: Record<Op, Record<string, [number, number]>> = {
  exp: {
    'tiny |x| < 1e-6': [-1e-6, 1e-6],
    '[-1, 1]': [-1, 1],
    '[-20, 20]': [-20, 20],
    'subnormal results [-104, -87]': [-104, -87],
    'near overflow [80, 88.7]': [80, 88.7],
    'overflow and underflow': [-200, 200],
  },
  log: {
    'subnormal inputs': [1e-45, 1.1754942e-38],
    'near 1': [0.999, 1.001],
    '[1e-30, 1e30]': [1e-30, 1e30],
    'large [1e30, 3.4e38]': [1e30, 3.4e38],
    'negative and zero': [-10, 0],
  },
  tanh: {
    'tiny |x| < 1e-6': [-1e-6, 1e-6],
    'small |x| < 0.35': [-0.35, 0.35],
    'around the switch 0.35': [0.3, 0.4],
    '[-9, 9]': [-9, 9],
    'saturated [9, 1e4]': [9, 1e4],
  },
};

/** f64 exp is fdlibm's algorithm (bit-identical); f64 log and tanh call `Math` (see elementwise-table.ts). */
const F64_BOUND: Record<Op, number> = { exp: 0, log: 0, tanh: 0 };

describe('SIMD transcendentals against the reference, in ulps', () => {
  for (const op of ['exp', 'log', 'tanh'] as const) {
    for (const simd of [true, false]) {
      const layout = simd ? 'SIMD' : 'scalar';
      it(`${op}, f32 (${layout}): within 1 ulp on every range`, () => {
        const check = checker(op, 'f32', simd);
        for (const [lo, hi] of Object.values(RANGES[op])) {
          fc.assert(
            fc.property(f32In(lo, hi), (xs) => check(xs) <= 1),
            { numRuns: 40 },
          );
        }
        if (op === 'log')
          fc.assert(
            fc.property(belowPow2, (xs) => check(xs) <= 1),
            { numRuns: 40 },
          );
        expect(check([0, -0, Infinity, -Infinity, Number.NaN, 1, -1, 1e-45, 3.4028234663852886e38])).toBe(0);
      });
      it(`${op}, f64 (${layout}): within ${F64_BOUND[op]} ulp on every range`, () => {
        const check = checker(op, 'f64', simd);
        for (const [lo, hi] of Object.values(RANGES[op])) {
          const [a, b] = op === 'log' && lo > 0 && lo < 1e-40 ? [5e-324, 2.2250738585072014e-308] : [lo, hi];
          fc.assert(
            fc.property(f64In(a, b), (xs) => check(xs) <= F64_BOUND[op]),
            { numRuns: 40 },
          );
        }
        if (op === 'exp')
          fc.assert(
            fc.property(f64In(-745.2, 709.8), (xs) => check(xs) === 0),
            { numRuns: 40 },
          );
        expect(check([0, -0, Infinity, -Infinity, Number.NaN, 5e-324, 1.7976931348623157e308])).toBe(0);
      });
    }
  }
});
