/**
 * gpu.js kernels of the window ops (Im2Col, Col2Im) and the row ops (Take, ScatterAdd), one
 * output element per thread. The adjoints gather instead of scattering (no atomics): a Col2Im
 * pixel loops over the taps that can land on it, in (kh, kw) order, and a ScatterAdd row over the
 * indices, in index order, which is the order in which the interpreter adds them.
 */
import { diagnostic, GradusError, type Node } from '@gradus/autodiff';
import { around, sizeOf, type TypedNode, windowGeometry } from '../shapes.js';
import type { GpuKernelContext } from './codegen.js';
import { flt } from './expr.js';
import { MAX_LOOP, unravel } from './indexing.js';

export const gpuWindowKernels = {
  Im2Col: (n: TypedNode<'Im2Col'>, c: GpuKernelContext): string[] => {
    const [lead, h, w, oh, ow] = windowGeometry(n, (x) => c.shape(x));
    const { kernel, stride, dilation, pads, fill } = n.attrs;
    const u = unravel('i', [lead, kernel[0], kernel[1], oh, ow], 'c');
    const [l, i, j, y, x] = u.coords;
    return [
      ...u.lines,
      `let iy = ${y} * ${flt(stride[0])} - ${flt(pads[0])} + ${i} * ${flt(dilation[0])};`,
      `let ix = ${x} * ${flt(stride[1])} - ${flt(pads[2])} + ${j} * ${flt(dilation[1])};`,
      `let v = ${flt(fill)};`,
      `if (iy >= 0.0 && iy < ${flt(h)} && ix >= 0.0 && ix < ${flt(w)}) {`,
      `  v = ${c.arg(n.inputs[0])}[(${l} * ${flt(h)} + iy) * ${flt(w)} + ix];`,
      '}',
      'return v;',
    ];
  },
  Col2Im: (n: TypedNode<'Col2Im'>, c: GpuKernelContext): string[] => {
    const [lead, h, w, oh, ow] = windowGeometry(n, (x) => c.shape(x));
    const { kernel, stride, dilation, pads } = n.attrs;
    const u = unravel('i', [lead, h, w], 'c');
    const [l, py, px] = u.coords;
    const p = c.arg(n.inputs[0]);
    // Tap (kh, kw) of window (oy, ox) lands on this pixel when py + top − kh·DH = oy·SH.
    return [
      ...u.lines,
      'let acc = 0.0;',
      `for (let kh = 0; kh < ${kernel[0]}; kh++) {`,
      `  let ty = ${py} + ${flt(pads[0])} - kh * ${flt(dilation[0])};`,
      `  let oy = Math.floor((ty + 0.5) / ${flt(stride[0])});`,
      `  if (ty >= 0.0 && ty - oy * ${flt(stride[0])} == 0.0 && oy < ${flt(oh)}) {`,
      `    for (let kw = 0; kw < ${kernel[1]}; kw++) {`,
      `      let tx = ${px} + ${flt(pads[2])} - kw * ${flt(dilation[1])};`,
      `      let ox = Math.floor((tx + 0.5) / ${flt(stride[1])});`,
      `      if (tx >= 0.0 && tx - ox * ${flt(stride[1])} == 0.0 && ox < ${flt(ow)}) {`,
      `        acc = acc + ${p}[((${l} * ${flt(kernel[0])} + kh) * ${flt(kernel[1])} + kw) * ${flt(oh * ow)} + oy * ${flt(ow)} + ox];`,
      '      }',
      '    }',
      '  }',
      '}',
      'return acc;',
    ];
  },
  Take: (n: TypedNode<'Take'>, c: GpuKernelContext): string[] => {
    const [table, ids] = n.inputs;
    const [, rows, width] = around(c.shape(table), 0);
    return [
      `let e = Math.floor((i + 0.5) / ${flt(width)});`,
      `let r = i - e * ${flt(width)};`,
      `let k = ${c.arg(ids)}[e];`,
      'let v = 0.0 / 0.0;',
      `if (k >= 0.0 && k < ${flt(rows)}) {`,
      `  v = ${c.arg(table)}[k * ${flt(width)} + r];`,
      '}',
      'return v;',
    ];
  },
  ScatterAdd: (n: TypedNode<'ScatterAdd'>, c: GpuKernelContext): string[] => {
    const [src, ids] = n.inputs;
    const [, , width] = around(c.shape(n), 0);
    const count = sizeOf(c.shape(ids));
    if (count > MAX_LOOP) {
      throw new GradusError(
        diagnostic(
          'E0431',
          `ScatterAdd: ${count} indices are more than the gpu backend's limit of ${MAX_LOOP} per kernel; use the cpu backend or a smaller batch`,
        ),
      );
    }
    return [
      `let k = Math.floor((i + 0.5) / ${flt(width)});`,
      `let r = i - k * ${flt(width)};`,
      'let acc = 0.0;',
      `for (let e = 0; e < ${count}; e++) {`,
      `  if (${c.arg(ids)}[e] == k) {`,
      `    acc = acc + ${c.arg(src)}[e * ${flt(width)} + r];`,
      '  }',
      '}',
      'return acc;',
    ];
  },
};

/**
 * Im2Col nodes whose windows are only read as the second operand of matrix products (through
 * reshapes to `[..., rows, OH·OW]` with `rows` a multiple of KH·KW, as convolutions use them):
 * those products read the windows straight from the image, so the patches, often far larger than
 * a texture can hold, are never stored.
 */
export function windowViews(
  order: readonly Node[],
  results: ReadonlySet<Node>,
  shapeOf: (n: Node) => readonly number[],
): Set<Node> {
  const consumers = new Map<Node, Node[]>();
  for (const n of order)
    for (const i of new Set(n.inputs)) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const views = new Set<Node>();
  for (const n of order) {
    if (n.op !== 'Im2Col') continue;
    const [kh, kw] = n.attrs.kernel as number[];
    const s = shapeOf(n);
    const positions = s[s.length - 2] * s[s.length - 1];
    const readable = (v: Node): boolean => {
      if (results.has(v)) return false;
      return (consumers.get(v) ?? []).every((u) => {
        if (u.op === 'Reshape') return readable(u);
        const vs = shapeOf(v);
        return (
          u.op === 'MatMul' &&
          u.inputs[0] !== v &&
          v !== n &&
          vs[vs.length - 1] === positions &&
          vs[vs.length - 2] % (kh * kw) === 0
        );
      });
    };
    if (readable(n)) views.add(n);
  }
  return views;
}

/**
 * Lines and value of entry (row, col) of batch `t` of a matrix `[..., rows, OH·OW]` that reshapes
 * the windows of `w`: row = channel·KH·KW + kh·KW + kw, col = oh·OW + ow, and the channel counts
 * on from `t · rows/(KH·KW)` (row-major order is the same on both sides of a reshape).
 */
export function windowTap(
  w: TypedNode<'Im2Col'>,
  c: GpuKernelContext,
  t: string,
  rows: number,
  row: string,
  col: string,
): { lines: string[]; value: string } {
  const [, h, wd, , ow] = windowGeometry(w, (x) => c.shape(x));
  const { kernel, stride, dilation, pads, fill } = w.attrs;
  const taps = kernel[0] * kernel[1];
  return {
    lines: [
      `let wc = Math.floor((${row} + 0.5) / ${flt(taps)});`,
      `let wk = ${row} - wc * ${flt(taps)};`,
      `let wi = Math.floor((wk + 0.5) / ${flt(kernel[1])});`,
      `let wj = wk - wi * ${flt(kernel[1])};`,
      `let wy = Math.floor((${col} + 0.5) / ${flt(ow)});`,
      `let wx = ${col} - wy * ${flt(ow)};`,
      `let wl = ${t === '0.0' ? '' : `(${t}) * ${flt(rows / taps)} + `}wc;`,
      `let iy = wy * ${flt(stride[0])} - ${flt(pads[0])} + wi * ${flt(dilation[0])};`,
      `let ix = wx * ${flt(stride[1])} - ${flt(pads[2])} + wj * ${flt(dilation[1])};`,
      `let wv = ${flt(fill)};`,
      `if (iy >= 0.0 && iy < ${flt(h)} && ix >= 0.0 && ix < ${flt(wd)}) {`,
      `  wv = ${c.arg(w.inputs[0])}[(wl * ${flt(h)} + iy) * ${flt(wd)} + ix];`,
      '}',
    ],
    value: 'wv',
  };
}
