/**
 * The matrix product C = op(A)·op(B) as WebAssembly, structured like BLIS: the operands are
 * packed block by block into contiguous panels (MR rows of A, NR columns of B, zero-padded at the
 * edges), and a register-tile micro-kernel computes an MR × NR tile of C from one A panel and one
 * B panel with 8 vector accumulators (4 rows × 2 vectors; more accumulators spill on x64).
 * Blocking keeps the B panel in L1 and the packed A block in L2. Transposed operands only change
 * how a panel is packed, so all four variants run the same micro-kernel at the same speed.
 *
 * Every element of C adds its k products in order p = 0..k−1 into an accumulator of the storage
 * precision (k-blocks store and reload the exact accumulator), so a result does not depend on the
 * tiling, on the block sizes' alignment with the shape, or on which thread computed which columns:
 * results are identical whatever the split. In f64 that is also the reference interpreter's exact
 * arithmetic; in f32 the sum is rounded to f32 after each addition.
 */

import type { Expr } from './encoder/instructions.js';
import { f32x4, f64x2, i32, v128 } from './encoder/instructions.js';
import { call, type FuncRef, type Local, type ModuleBuilder } from './encoder/module.js';

export type Precision = 'f32' | 'f64';

/** Rows of A per tile. */
export const MR = 4;
/** Depth of a k-block: the packed B panel (KC × NR) stays in L1. */
export const KC = 512;
/** Rows of A packed per block (MC × KC in L2). */
export const MC = 64;
/** Columns of B packed per block. */
export const NC = 256;

/** Columns of B per tile: two vectors. */
export function nrOf(p: Precision): number {
  return p === 'f32' ? 8 : 4;
}

/** Bytes of scratch one call of `gemm` needs (packed blocks and an edge tile). */
export function gemmScratchBytes(p: Precision): number {
  const es = p === 'f32' ? 4 : 8;
  const nr = nrOf(p);
  return (MC * KC + KC * (NC + nr) + MR * nr) * es + 64;
}

/** gemm(a, b, c, m, n, k, trans, i0, i1, j0, j1, scratch): C[i0:i1, j0:j1] of C = op(A)·op(B). */
export type GemmRef = FuncRef<
  readonly ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  'void'
>;

/** Bit 1 of `trans`: A is stored [k, m]; bit 0: B is stored [n, k]. */
export const TRANS_A = 2;
export const TRANS_B = 1;

interface Vec {
  readonly es: number;
  readonly lanes: number;
  readonly loadScalar: (addr: Expr<'i32'>, offset?: number) => Expr<'v128'>;
  readonly madd: (a: Expr<'v128'>, b: Expr<'v128'>, c: Expr<'v128'>) => Expr<'v128'>;
}

function vecOf(p: Precision, relaxed: boolean): Vec {
  const ops = p === 'f32' ? f32x4 : f64x2;
  return {
    es: p === 'f32' ? 4 : 8,
    lanes: p === 'f32' ? 4 : 2,
    loadScalar: p === 'f32' ? v128.load32_splat : v128.load64_splat,
    // Fused multiply-add only in f32 and only where relaxed SIMD is on; f64 keeps the exact
    // two roundings of the reference interpreter.
    madd:
      relaxed && p === 'f32'
        ? (a, b, c) => ops.relaxed_madd(a, b, c)
        : (a, b, c) => ops.add(c, ops.mul(a, b)),
  };
}

const zero = () => v128.const(new Uint8Array(16));
const c32 = i32.const;
const add = i32.add;
const mul = i32.mul;

/** Adds the GEMM functions to `mb` and returns the entry point. */
export function defineGemm(mb: ModuleBuilder, p: Precision, relaxed: boolean): GemmRef {
  const V = vecOf(p, relaxed);
  const { es } = V;
  const nr = nrOf(p);

  // micro(ap, bp, c, ldc, kc, accumulate): the MR × NR tile at c (row stride ldc bytes).
  const micro = mb.func('micro', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'] as const, 'void', (f) => {
    const [ap, bp, c, ldc, kc, accumulate] = f.params;
    const acc = Array.from({ length: MR * 2 }, () => f.local('v128'));
    const b0 = f.local('v128');
    const b1 = f.local('v128');
    const a = f.local('v128');
    const end = f.local('i32');
    const row = (r: number) => add(c.get(), mul(ldc.get(), c32(r)));
    f.if(
      accumulate.get(),
      () => {
        for (let r = 0; r < MR; r++) {
          f.emit(acc[2 * r].set(v128.load(row(r))), acc[2 * r + 1].set(v128.load(row(r), 16)));
        }
      },
      () => {
        for (const x of acc) f.emit(x.set(zero()));
      },
    );
    // One k step per iteration, addressed from one index (unrolling or two moving pointers make
    // V8 spill or re-materialise: measured 30–35 against 50 GFLOP/s).
    const aStep = MR * es;
    const bShift = Math.log2((nr * es) / aStep);
    const q = f.local('i32');
    f.emit(end.set(mul(kc.get(), c32(aStep))), q.set(c32(0)));
    f.loop((again) => {
      const bAddr = add(bp.get(), bShift === 0 ? q.get() : i32.shl(q.get(), c32(bShift)));
      f.emit(b0.set(v128.load(bAddr)), b1.set(v128.load(bAddr, 16)));
      for (let r = 0; r < MR; r++) {
        f.emit(a.set(V.loadScalar(add(ap.get(), q.get()), r * es)));
        f.emit(acc[2 * r].set(V.madd(a.get(), b0.get(), acc[2 * r].get())));
        f.emit(acc[2 * r + 1].set(V.madd(a.get(), b1.get(), acc[2 * r + 1].get())));
      }
      f.emit(q.set(add(q.get(), c32(aStep))));
      f.brIf(again, i32.lt_u(q.get(), end.get()));
    });
    for (let r = 0; r < MR; r++) {
      f.emit(v128.store(row(r), acc[2 * r].get()), v128.store(row(r), acc[2 * r + 1].get(), 16));
    }
  });

  const loadEl = p === 'f32' ? v128.load32_zero : v128.load64_zero;
  const storeEl = (addr: Expr<'i32'>, v: Expr<'v128'>) =>
    p === 'f32' ? v128.store32_lane(addr, v, 0) : v128.store64_lane(addr, v, 0);

  /** Copies `rows` × `cols` elements between two row-major regions (strides in bytes). */
  const copy2d = mb.func('copy2d', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'] as const, 'void', (f) => {
    const [dst, dstride, src, sstride, rows, cols] = f.params;
    const r = f.local('i32');
    const j = f.local('i32');
    f.for(r, c32(0), rows.get(), 1, () => {
      f.for(j, c32(0), cols.get(), 1, () => {
        const off = mul(j.get(), c32(es));
        f.emit(
          storeEl(
            add(add(dst.get(), mul(r.get(), dstride.get())), off),
            loadEl(add(add(src.get(), mul(r.get(), sstride.get())), off)),
          ),
        );
      });
    });
  });

  /**
   * packA(a, rowStride, colStride, mc, kc, dst): rows 0..mc−1 × cols 0..kc−1 of op(A) (element
   * (i, p) at a + i·rowStride + p·colStride bytes) into MR-row panels [panel][p][r], zero-padded.
   */
  const packA = mb.func('packA', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'] as const, 'void', (f) => {
    const [a, rs, cs, mc, kc, dst] = f.params;
    const i = f.local('i32');
    const q = f.local('i32');
    const src = f.local('i32');
    const out = f.local('i32');
    const r = f.local('i32');
    f.emit(out.set(dst.get()));
    f.for(i, c32(0), mc.get(), MR, () => {
      f.if(
        i32.and(i32.le_s(add(i.get(), c32(MR)), mc.get()), i32.eq(rs.get(), c32(es))),
        () => {
          // op(A)'s rows are adjacent in memory (a transposed A): MR elements are whole vectors.
          f.emit(src.set(add(a.get(), mul(i.get(), c32(es)))));
          f.for(q, c32(0), kc.get(), 1, () => {
            for (let o = 0; o < MR * es; o += 16) f.emit(v128.store(out.get(), v128.load(src.get(), o), o));
            f.emit(src.set(add(src.get(), cs.get())), out.set(add(out.get(), c32(MR * es))));
          });
        },
        () => {
          f.for(q, c32(0), kc.get(), 1, () => {
            for (let rr = 0; rr < MR; rr++) {
              f.emit(r.set(add(i.get(), c32(rr))));
              f.if(
                i32.lt_s(r.get(), mc.get()),
                () =>
                  f.emit(
                    storeEl(
                      add(out.get(), c32(rr * es)),
                      loadEl(add(add(a.get(), mul(r.get(), rs.get())), mul(q.get(), cs.get()))),
                    ),
                  ),
                () => f.emit(storeEl(add(out.get(), c32(rr * es)), zero())),
              );
            }
            f.emit(out.set(add(out.get(), c32(MR * es))));
          });
        },
      );
    });
  });

  /**
   * packB(b, rowStride, colStride, kc, nc, dst): rows 0..kc−1 × cols 0..nc−1 of op(B) into NR-column
   * panels [panel][p][c], zero-padded; full panels of a row-contiguous B move two vectors at a time.
   */
  const packB = mb.func('packB', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'] as const, 'void', (f) => {
    const [b, rs, cs, kc, nc, dst] = f.params;
    const j = f.local('i32');
    const q = f.local('i32');
    const src = f.local('i32');
    const out = f.local('i32');
    const cc = f.local('i32');
    f.emit(out.set(dst.get()));
    f.for(j, c32(0), nc.get(), nr, () => {
      f.if(
        i32.and(i32.le_s(add(j.get(), c32(nr)), nc.get()), i32.eq(cs.get(), c32(es))),
        () => {
          f.emit(src.set(add(b.get(), mul(j.get(), c32(es)))));
          f.for(q, c32(0), kc.get(), 1, () => {
            f.emit(v128.store(out.get(), v128.load(src.get())));
            f.emit(v128.store(out.get(), v128.load(src.get(), 16), 16));
            f.emit(src.set(add(src.get(), rs.get())), out.set(add(out.get(), c32(nr * es))));
          });
        },
        () => {
          f.for(q, c32(0), kc.get(), 1, () => {
            for (let c = 0; c < nr; c++) {
              f.emit(cc.set(add(j.get(), c32(c))));
              f.if(
                i32.lt_s(cc.get(), nc.get()),
                () =>
                  f.emit(
                    storeEl(
                      add(out.get(), c32(c * es)),
                      loadEl(add(add(b.get(), mul(q.get(), rs.get())), mul(cc.get(), cs.get()))),
                    ),
                  ),
                () => f.emit(storeEl(add(out.get(), c32(c * es)), zero())),
              );
            }
            f.emit(out.set(add(out.get(), c32(nr * es))));
          });
        },
      );
    });
  });

  const gemm = mb.func(
    'gemm',
    ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'] as const,
    'void',
    (f) => {
      const [a, b, c, m, n, k, trans, i0, i1, j0, j1, ws] = f.params;
      const L = <T extends 'i32'>(x: Local<T>) => x.get();
      // Strides (bytes) of op(A) and op(B) along their rows and columns.
      const ars = f.local('i32');
      const acs = f.local('i32');
      const brs = f.local('i32');
      const bcs = f.local('i32');
      const ldc = f.local('i32');
      const apk = f.local('i32');
      const bpk = f.local('i32');
      const tile = f.local('i32');
      const jc = f.local('i32');
      const nc = f.local('i32');
      const pc = f.local('i32');
      const kc = f.local('i32');
      const ic = f.local('i32');
      const mc = f.local('i32');
      const jr = f.local('i32');
      const ir = f.local('i32');
      const w = f.local('i32');
      const h = f.local('i32');
      const cp = f.local('i32');
      const first = f.local('i32');
      const esz = c32(es);
      f.if(
        i32.and(trans.get(), c32(TRANS_A)),
        () => f.emit(ars.set(esz), acs.set(mul(m.get(), esz))),
        () => f.emit(ars.set(mul(k.get(), esz)), acs.set(esz)),
      );
      f.if(
        i32.and(trans.get(), c32(TRANS_B)),
        () => f.emit(brs.set(esz), bcs.set(mul(k.get(), esz))),
        () => f.emit(brs.set(mul(n.get(), esz)), bcs.set(esz)),
      );
      f.emit(ldc.set(mul(n.get(), esz)));
      // Scratch: the packed A block, the packed B block, then the edge tile (16-byte aligned).
      f.emit(apk.set(i32.and(add(ws.get(), c32(15)), c32(~15))));
      f.emit(bpk.set(add(L(apk), c32(MC * KC * es))));
      f.emit(tile.set(add(L(bpk), c32(KC * (NC + nr) * es))));
      f.if(i32.eqz(k.get()), () => {
        // An empty sum: C is zero.
        f.for(ir, i0.get(), i1.get(), 1, () => {
          f.for(jr, j0.get(), j1.get(), 1, () => {
            f.emit(storeEl(add(c.get(), add(mul(L(ir), L(ldc)), mul(L(jr), esz))), zero()));
          });
        });
      });
      f.for(jc, j0.get(), j1.get(), NC, () => {
        f.emit(nc.set(i32.sub(j1.get(), L(jc))));
        f.if(i32.gt_s(L(nc), c32(NC)), () => f.emit(nc.set(c32(NC))));
        f.for(pc, c32(0), k.get(), KC, () => {
          f.emit(kc.set(i32.sub(k.get(), L(pc))));
          f.if(i32.gt_s(L(kc), c32(KC)), () => f.emit(kc.set(c32(KC))));
          f.emit(first.set(i32.eqz(L(pc))));
          f.emit(
            call(
              packB,
              add(b.get(), add(mul(L(pc), L(brs)), mul(L(jc), L(bcs)))),
              L(brs),
              L(bcs),
              L(kc),
              L(nc),
              L(bpk),
            ),
          );
          f.for(ic, i0.get(), i1.get(), MC, () => {
            f.emit(mc.set(i32.sub(i1.get(), L(ic))));
            f.if(i32.gt_s(L(mc), c32(MC)), () => f.emit(mc.set(c32(MC))));
            f.emit(
              call(
                packA,
                add(a.get(), add(mul(L(ic), L(ars)), mul(L(pc), L(acs)))),
                L(ars),
                L(acs),
                L(mc),
                L(kc),
                L(apk),
              ),
            );
            f.for(jr, c32(0), L(nc), nr, () => {
              f.for(ir, c32(0), L(mc), MR, () => {
                const apanel = add(L(apk), mul(L(ir), mul(L(kc), c32(es))));
                const bpanel = add(L(bpk), mul(L(jr), mul(L(kc), c32(es))));
                f.emit(
                  cp.set(add(c.get(), add(mul(add(L(ic), L(ir)), L(ldc)), mul(add(L(jc), L(jr)), esz)))),
                );
                f.emit(w.set(i32.sub(L(nc), L(jr))), h.set(i32.sub(L(mc), L(ir))));
                f.if(
                  i32.and(i32.ge_s(L(w), c32(nr)), i32.ge_s(L(h), c32(MR))),
                  () => f.emit(call(micro, apanel, bpanel, L(cp), L(ldc), L(kc), i32.eqz(L(first)))),
                  () => {
                    // An edge tile: computed whole in the scratch tile, only its valid part stored.
                    f.if(i32.gt_s(L(w), c32(nr)), () => f.emit(w.set(c32(nr))));
                    f.if(i32.gt_s(L(h), c32(MR)), () => f.emit(h.set(c32(MR))));
                    f.if(i32.eqz(L(first)), () =>
                      f.emit(call(copy2d, L(tile), c32(nr * es), L(cp), L(ldc), L(h), L(w))),
                    );
                    f.emit(call(micro, apanel, bpanel, L(tile), c32(nr * es), L(kc), i32.eqz(L(first))));
                    f.emit(call(copy2d, L(cp), L(ldc), L(tile), c32(nr * es), L(h), L(w)));
                  },
                );
              });
            });
          });
        });
      });
    },
  );
  return gemm;
}
