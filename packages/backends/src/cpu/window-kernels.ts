/**
 * CPU kernels of the window ops (Im2Col, Col2Im) and the row ops (Take, ScatterAdd). Every size is
 * a constant of the specialisation; each window row's in-bounds column range is worked out once,
 * so the inner loops are plain strided copies (or adds) with no bounds test per element.
 * Accumulations run in the interpreter's order (each pixel takes its taps in (kh, kw) order; each
 * table row its sources in index order) and in doubles, so f64 results are bit for bit the
 * interpreter's and f32 results are rounded once.
 */
import type { Node } from '@gradus/autodiff';
import { around, type TypedNode, windowGeometry } from '../shapes.js';
import { int, num } from './emit.js';
import type { KernelContext } from './kernels.js';

/**
 * The loops over (lead, kh, kw, oh) with the patch cursor `p`, the image row base `rb` (so the
 * image element of column ow is `rb + ow·SW`), and the in-bounds column range [lo, hi).
 * `outside` runs for a patch element that reads padding, `inside(ow)` for one that reads the image.
 */
function windowLoops(
  n: TypedNode<'Im2Col'> | TypedNode<'Col2Im'>,
  c: KernelContext,
  outside: string,
  inside: (ow: string) => string,
): string {
  const [lead, h, w, oh, ow] = windowGeometry(n, (x) => c.shape(x));
  const { kernel, stride, dilation, pads } = n.attrs;
  const [kh, kw] = kernel;
  const [sh, sw] = stride;
  const [dh, dw] = dilation;
  return [
    '  {',
    '    let p = 0;',
    `    for (let l = 0; l < ${int(lead)}; l++) for (let i = 0; i < ${int(kh)}; i++) for (let j = 0; j < ${int(kw)}; j++) {`,
    // Columns ow with 0 ≤ ow·SW + off < W, off = j·DW − left.
    `      const off = j * ${int(dw)} - ${int(pads[2])};`,
    `      const lo = off >= 0 ? 0 : Math.min(${int(ow)}, Math.ceil(-off / ${int(sw)}));`,
    `      const hi = Math.max(lo, Math.min(${int(ow)}, Math.floor((${int(w - 1)} - off) / ${int(sw)}) + 1));`,
    `      for (let y = 0; y < ${int(oh)}; y++) {`,
    `        const iy = y * ${int(sh)} - ${int(pads[0])} + i * ${int(dh)};`,
    `        if (iy < 0 || iy >= ${int(h)}) { for (let x = 0; x < ${int(ow)}; x++, p++) ${outside} continue; }`,
    `        const rb = (l * ${int(h)} + iy) * ${int(w)} + off;`,
    `        let x = 0;`,
    `        for (; x < lo; x++, p++) ${outside}`,
    `        for (; x < hi; x++, p++) ${inside('x')}`,
    `        for (; x < ${int(ow)}; x++, p++) ${outside}`,
    '      }',
    '    }',
    '  }',
  ].join('\n');
}

/** A double-precision accumulator the size of `n`'s output when the buffers are f32 (else the output itself). */
function accumulator(n: Node, c: KernelContext, size: number): { acc: string; finish: string } {
  if (c.precision === 'f64') return { acc: c.out, finish: '' };
  const acc = `acc${n.id}`;
  c.helper(acc, `const ${acc} = new Float64Array(${int(size)});`);
  return { acc, finish: `\n  for (let i = 0; i < ${int(size)}; i++) ${c.out}[i] = ${acc}[i];` };
}

const sizeOf = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

export const windowKernels = {
  Im2Col: (n: TypedNode<'Im2Col'>, c: KernelContext): string => {
    const x = c.buf(n.inputs[0]);
    const fill = num(c.precision === 'f32' ? Math.fround(n.attrs.fill) : n.attrs.fill);
    return windowLoops(
      n,
      c,
      `${c.out}[p] = ${fill};`,
      (col) => `${c.out}[p] = ${x}[rb + ${col} * ${int(n.attrs.stride[1])}];`,
    );
  },
  Col2Im: (n: TypedNode<'Col2Im'>, c: KernelContext): string => {
    const src = c.buf(n.inputs[0]);
    const { acc, finish } = accumulator(n, c, sizeOf(c.shape(n)));
    return `  ${acc}.fill(0);\n${windowLoops(n, c, ';', (col) => `${acc}[rb + ${col} * ${int(n.attrs.stride[1])}] += ${src}[p];`)}${finish}`;
  },
  Take: (n: TypedNode<'Take'>, c: KernelContext): string => {
    const [table, ids] = n.inputs;
    const [, rows, width] = around(c.shape(table), 0);
    const count = sizeOf(c.shape(ids));
    const t = c.buf(table);
    return [
      `  for (let i = 0; i < ${int(count)}; i++) {`,
      `    const k = ${c.buf(ids)}[i], o = i * ${int(width)};`,
      `    if (k >= 0 && k < ${int(rows)}) for (let r = 0, s = k * ${int(width)}; r < ${int(width)}; r++) ${c.out}[o + r] = ${t}[s + r];`,
      `    else for (let r = 0; r < ${int(width)}; r++) ${c.out}[o + r] = NaN;`,
      '  }',
    ].join('\n');
  },
  ScatterAdd: (n: TypedNode<'ScatterAdd'>, c: KernelContext): string => {
    const [src, ids] = n.inputs;
    const [, rows, width] = around(c.shape(n), 0);
    const count = sizeOf(c.shape(ids));
    const { acc, finish } = accumulator(n, c, rows * width);
    return (
      [
        `  ${acc}.fill(0);`,
        `  for (let i = 0; i < ${int(count)}; i++) {`,
        `    const k = ${c.buf(ids)}[i];`,
        `    if (k >= 0 && k < ${int(rows)}) for (let r = 0, s = i * ${int(width)}, o = k * ${int(width)}; r < ${int(width)}; r++) ${acc}[o + r] += ${c.buf(src)}[s + r];`,
        '  }',
      ].join('\n') + finish
    );
  },
};
