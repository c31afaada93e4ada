/**
 * wasm kernels of the window ops (Im2Col, Col2Im) and the row ops (Take, ScatterAdd), scalar
 * loops in the reference's order. Im2Col and Take write each output element once, so they split
 * across threads; the adjoints add into shared rows and run whole, accumulating in f64 (in an f64
 * scratch row when the buffers are f32, rounded once at the end) as the reference does.
 */
import type { Node } from '@gradus/autodiff';
import { around, type TypedNode, windowGeometry } from '../shapes.js';
import { type Expr, f32, f64, i32, select } from './encoder/instructions.js';
import type { FunctionBuilder } from './encoder/module.js';
import type { KernelCode, WasmKernelContext } from './kernels.js';
import { layoutOf } from './layout.js';

type WindowNode = TypedNode<'Im2Col'> | TypedNode<'Col2Im'>;

const sizeOf = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
const elementBytes = (c: WasmKernelContext) => (c.precision === 'f32' ? 4 : 8);

/**
 * Loops over (l, kh, kw, oh, ow) for l in [lo, hi), calling `tap` with the patch index, the image
 * index (clamped to 0 outside) and whether the tap is inside the image.
 */
function windowLoops(
  f: FunctionBuilder,
  n: WindowNode,
  c: WasmKernelContext,
  lo: Expr<'i32'>,
  hi: Expr<'i32'>,
  tap: (patch: Expr<'i32'>, pixel: Expr<'i32'>, inside: Expr<'i32'>) => void,
): void {
  const [, h, w, oh, ow] = windowGeometry(n, (x) => c.shape(x));
  const { kernel, stride, dilation, pads } = n.attrs;
  const [l, i, j, y, x, iy, ix, p, ok] = Array.from({ length: 9 }, () => f.local('i32'));
  const k = (v: number) => i32.const(v);
  f.for(l, lo, hi, 1, () => {
    f.for(i, k(0), k(kernel[0]), 1, () => {
      f.for(j, k(0), k(kernel[1]), 1, () => {
        f.for(y, k(0), k(oh), 1, () => {
          f.emit(
            iy.set(
              i32.add(i32.sub(i32.mul(y.get(), k(stride[0])), k(pads[0])), i32.mul(i.get(), k(dilation[0]))),
            ),
          );
          f.emit(
            p.set(
              i32.mul(
                i32.add(
                  i32.mul(
                    i32.add(i32.mul(i32.add(i32.mul(l.get(), k(kernel[0])), i.get()), k(kernel[1])), j.get()),
                    k(oh),
                  ),
                  y.get(),
                ),
                k(ow),
              ),
            ),
          );
          f.for(x, k(0), k(ow), 1, () => {
            f.emit(
              ix.set(
                i32.add(
                  i32.sub(i32.mul(x.get(), k(stride[1])), k(pads[2])),
                  i32.mul(j.get(), k(dilation[1])),
                ),
              ),
            );
            f.emit(
              ok.set(
                i32.and(
                  i32.and(i32.ge_s(iy.get(), k(0)), i32.lt_s(iy.get(), k(h))),
                  i32.and(i32.ge_s(ix.get(), k(0)), i32.lt_s(ix.get(), k(w))),
                ),
              ),
            );
            const pixel = select(
              i32.add(i32.mul(i32.add(i32.mul(l.get(), k(h)), iy.get()), k(w)), ix.get()),
              k(0),
              ok.get(),
            );
            tap(i32.add(p.get(), x.get()), pixel, ok.get());
          });
        });
      });
    });
  });
}

/**
 * Where a kernel that adds into rows accumulates: its own buffer in f64, an f64 scratch region
 * (zeroed, then rounded into the buffer by `finish`) in f32.
 */
function accumulator(f: FunctionBuilder, c: WasmKernelContext, size: number) {
  const wide = c.precision === 'f32';
  const base = wide ? c.scratch(size * 8) : c.out;
  const z = f.local('i32');
  f.for(z, i32.const(0), i32.const(size), 1, () => {
    f.emit(f64.store(i32.shl(z.get(), i32.const(3)), f64.const(0), base));
  });
  const load = (at: Expr<'i32'>) => f64.load(i32.shl(at, i32.const(3)), base);
  const add = (at: Expr<'i32'>, v: Expr<'f64'>) =>
    f.emit(f64.store(i32.shl(at, i32.const(3)), f64.add(load(at), v), base));
  const finish = () => {
    if (!wide) return;
    f.for(z, i32.const(0), i32.const(size), 1, () => {
      f.emit(f32.store(i32.shl(z.get(), i32.const(2)), f32.demote_f64(load(z.get())), c.out));
    });
  };
  return { add, finish };
}

/** A float element of `node`'s buffer as f64. */
function loadF64(c: WasmKernelContext, node: Node, at: Expr<'i32'>): Expr<'f64'> {
  return c.precision === 'f32'
    ? f64.promote_f32(f32.load(i32.shl(at, i32.const(2)), c.addr(node)))
    : f64.load(i32.shl(at, i32.const(3)), c.addr(node));
}

export const wasmWindowKernels = {
  Im2Col: (n: TypedNode<'Im2Col'>, c: WasmKernelContext): KernelCode => {
    const [lead] = windowGeometry(n, (x) => c.shape(x));
    const S = layoutOf(c.precision, false);
    const es = elementBytes(c);
    const x = c.addr(n.inputs[0]);
    return {
      split: { total: lead, align: 1, cost: sizeOf(c.shape(n)) * 2 },
      note: 'im2col',
      emit: (f, lo, hi) =>
        windowLoops(f, n, c, lo, hi, (patch, pixel, inside) => {
          const v = S.where(
            inside,
            S.load('f', i32.mul(pixel, i32.const(es)), x, false),
            S.f(n.attrs.fill),
            'f',
          );
          f.emit(S.store('f', i32.mul(patch, i32.const(es)), v, c.out));
        }),
    };
  },
  Col2Im: (n: TypedNode<'Col2Im'>, c: WasmKernelContext): KernelCode => {
    const [lead] = windowGeometry(n, (x) => c.shape(x));
    return {
      note: 'col2im',
      emit: (f) => {
        const acc = accumulator(f, c, sizeOf(c.shape(n)));
        windowLoops(f, n, c, i32.const(0), i32.const(lead), (patch, pixel, inside) => {
          f.if(inside, () => acc.add(pixel, loadF64(c, n.inputs[0], patch)));
        });
        acc.finish();
      },
    };
  },
  Take: (n: TypedNode<'Take'>, c: WasmKernelContext): KernelCode => {
    const [table, ids] = n.inputs;
    const [, rows, width] = around(c.shape(table), 0);
    const count = sizeOf(c.shape(ids));
    const S = layoutOf(c.precision, false);
    const es = elementBytes(c);
    return {
      split: { total: count, align: 1, cost: count * width },
      note: 'take',
      emit: (f, lo, hi) => {
        const [e, r, id, ok] = Array.from({ length: 4 }, () => f.local('i32'));
        f.for(e, lo, hi, 1, () => {
          f.emit(id.set(i32.load(i32.shl(e.get(), i32.const(2)), c.addr(ids))));
          f.emit(ok.set(i32.and(i32.ge_s(id.get(), i32.const(0)), i32.lt_s(id.get(), i32.const(rows)))));
          f.for(r, i32.const(0), i32.const(width), 1, () => {
            const src = i32.add(i32.mul(select(id.get(), i32.const(0), ok.get()), i32.const(width)), r.get());
            const v = S.where(
              ok.get(),
              S.load('f', i32.mul(src, i32.const(es)), c.addr(table), false),
              S.f(Number.NaN),
              'f',
            );
            const dst = i32.add(i32.mul(e.get(), i32.const(width)), r.get());
            f.emit(S.store('f', i32.mul(dst, i32.const(es)), v, c.out));
          });
        });
      },
    };
  },
  ScatterAdd: (n: TypedNode<'ScatterAdd'>, c: WasmKernelContext): KernelCode => {
    const [src, ids] = n.inputs;
    const [, rows, width] = around(c.shape(n), 0);
    const count = sizeOf(c.shape(ids));
    return {
      note: 'scatter-add',
      emit: (f) => {
        const acc = accumulator(f, c, rows * width);
        const [e, r, id] = Array.from({ length: 3 }, () => f.local('i32'));
        f.for(e, i32.const(0), i32.const(count), 1, () => {
          f.emit(id.set(i32.load(i32.shl(e.get(), i32.const(2)), c.addr(ids))));
          f.if(i32.and(i32.ge_s(id.get(), i32.const(0)), i32.lt_s(id.get(), i32.const(rows))), () => {
            f.for(r, i32.const(0), i32.const(width), 1, () => {
              acc.add(
                i32.add(i32.mul(id.get(), i32.const(width)), r.get()),
                loadF64(c, src, i32.add(i32.mul(e.get(), i32.const(width)), r.get())),
              );
            });
          });
        });
        acc.finish();
      },
    };
  },
};
