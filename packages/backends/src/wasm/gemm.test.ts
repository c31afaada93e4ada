import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gemmScratchBytes, type Precision, TRANS_A, TRANS_B } from './gemm.js';
import { libraryModule } from './library.js';
import { WA } from './wasm-api.js';

type Gemm = (...a: number[]) => void;

function setup(p: Precision) {
  const memory = new WA.Memory({ initial: 16, maximum: 65536, shared: true });
  const gemm = new WA.Instance(libraryModule(p), { env: { memory } }).exports.gemm as Gemm;
  return { memory, gemm };
}

/** The naive product in the storage precision, each element summed in order p = 0..k−1. */
function naive(
  p: Precision,
  a: Float64Array,
  b: Float64Array,
  m: number,
  n: number,
  k: number,
  trans: number,
) {
  const r = p === 'f32' ? Math.fround : (x: number) => x;
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) {
        const av = trans & TRANS_A ? a[q * m + i] : a[i * k + q];
        const bv = trans & TRANS_B ? b[j * k + q] : b[q * n + j];
        s = r(s + r(av * bv));
      }
      c[i * n + j] = s;
    }
  }
  return c;
}

/** Runs the wasm GEMM on C[rows, cols] (sub-ranges test a thread's share) and returns C. */
function wasmGemm(
  p: Precision,
  a: Float64Array,
  b: Float64Array,
  m: number,
  n: number,
  k: number,
  trans: number,
  ranges: readonly (readonly [number, number, number, number])[],
) {
  const es = p === 'f32' ? 4 : 8;
  const { memory, gemm } = setup(p);
  const A = 64;
  const B = A + Math.ceil((a.length * es) / 16) * 16 + 16;
  const C = B + Math.ceil((b.length * es) / 16) * 16 + 16;
  const W = C + Math.ceil((m * n * es) / 16) * 16 + 16;
  const need = W + gemmScratchBytes(p) + 64;
  const have = memory.buffer.byteLength;
  if (need > have) memory.grow(Math.ceil((need - have) / 65536));
  const Arr = (p === 'f32' ? Float32Array : Float64Array) as unknown as new (
    b: ArrayBufferLike,
    at: number,
    n: number,
  ) => Float32Array;
  new Arr(memory.buffer, A, a.length).set(a);
  new Arr(memory.buffer, B, b.length).set(b);
  new Arr(memory.buffer, C, m * n).fill(Number.NaN);
  for (const [i0, i1, j0, j1] of ranges) gemm(A, B, C, m, n, k, trans, i0, i1, j0, j1, W);
  return Float64Array.from(new Arr(memory.buffer, C, m * n));
}

const values = (len: number, seed: number, p: Precision) => {
  const out = new Float64Array(len);
  let s = seed >>> 0;
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const v = (s / 2 ** 32) * 4 - 2;
    out[i] = p === 'f32' ? Math.fround(v) : v;
  }
  return out;
};

const dim = fc.integer({ min: 1, max: 300 });

describe('wasm GEMM (packed panels, 4×8 / 4×4 micro-kernel, cache blocking)', () => {
  for (const p of ['f32', 'f64'] as const) {
    it(`equals the naive product bit for bit, every transpose, ${p}`, () => {
      fc.assert(
        fc.property(dim, dim, dim, fc.integer({ min: 0, max: 3 }), fc.nat(), (m, n, k, trans, seed) => {
          const a = values(m * k, seed, p);
          const b = values(k * n, seed + 1, p);
          const got = wasmGemm(p, a, b, m, n, k, trans, [[0, m, 0, n]]);
          expect(got).toEqual(naive(p, a, b, m, n, k, trans));
        }),
        { numRuns: p === 'f32' ? 12 : 8 },
      );
    });
  }

  it('small and degenerate shapes (one row, one column, k = 1, sizes that fill no tile)', () => {
    for (const [m, n, k] of [
      [1, 1, 1],
      [1, 9, 3],
      [7, 1, 5],
      [3, 5, 1],
      [5, 13, 2],
      [4, 8, 1],
      // Depth across three k-blocks (the accumulators are stored and reloaded between them).
      [37, 45, 1100],
    ]) {
      for (let trans = 0; trans < 4; trans++) {
        const a = values(m * k, m + n, 'f32');
        const b = values(k * n, k, 'f32');
        expect(wasmGemm('f32', a, b, m, n, k, trans, [[0, m, 0, n]])).toEqual(
          naive('f32', a, b, m, n, k, trans),
        );
      }
    }
  });

  it('an empty sum (k = 0) is zero', () => {
    expect(
      Array.from(wasmGemm('f32', new Float64Array(0), new Float64Array(0), 3, 5, 0, 0, [[0, 3, 0, 5]])),
    ).toEqual(new Array(15).fill(0));
  });

  it('any split into row or column ranges gives the same bits (threads share products this way)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        fc.nat(),
        (m, n, k, trans, byRows, seed) => {
          const a = values(m * k, seed, 'f32');
          const b = values(k * n, seed + 7, 'f32');
          const whole = wasmGemm('f32', a, b, m, n, k, trans, [[0, m, 0, n]]);
          const cut = Math.floor(((seed % 97) / 97) * (byRows ? m : n));
          const ranges: [number, number, number, number][] = byRows
            ? [
                [0, cut, 0, n],
                [cut, m, 0, n],
              ]
            : [
                [0, m, 0, cut],
                [0, m, cut, n],
              ];
          expect(wasmGemm('f32', a, b, m, n, k, trans, ranges)).toEqual(whole);
        },
      ),
      { numRuns: 30 },
    );
  });
});
