/**
 * The CPU kernel table: for every primitive, a function emitting the JavaScript that computes one
 * node into its buffer. The table is typed against `OpName`, so a new op is a compile error here
 * until it is lowered. Elementwise ops share one emitter (their scalar expressions come from
 * `expr-table.ts`, inlined across a fused group).
 */
import type { Node, OpName } from '@gradus/autodiff';
import { elementwiseRows } from '../expr-table.js';
import { around, matmulShapes, type TypedNode } from '../shapes.js';
import { contiguousStrides, int, loopNest, num } from './emit.js';
import { matmulHelper, matmulHelperName } from './matmul.js';
import { windowKernels } from './window-kernels.js';

/** An elementwise computation over an iteration space: the buffers it loads and the code per element. */
export interface ElemSource {
  readonly loads: readonly { readonly buf: string; readonly strides: readonly number[] }[];
  /** Code computing one element from the loads' index expressions, and the expression of its value. */
  emit(idx: readonly string[]): { readonly code: string; readonly value: string };
  /** Code loading the loop-invariant values (loads with all strides 0) once, before the loops. */
  prelude(idx: readonly string[]): string;
}

export interface KernelContext {
  readonly precision: 'f32' | 'f64';
  /** Concrete shape of a node under this specialisation. */
  shape(n: Node): readonly number[];
  /** A dim attr of a node (Slice `starts`, Pad `before`) bound to sizes under this specialisation. */
  dims(n: Node, attr: string): readonly number[];
  /** Identifier of a node's buffer (`b7`). */
  buf(n: Node): string;
  /** This node's output buffer. */
  readonly out: string;
  /** Input `i` as an elementwise source over its own shape (a fused group, or a plain buffer). */
  source(i: number): ElemSource;
  /** This node's fused group as an elementwise source over its output shape. */
  group(): ElemSource;
  /** Adds a helper (function or constant) to the module once, by name. */
  helper(name: string, code: string): void;
  /** Buffer index of a node (for runtime calls that name buffers). */
  bufId(n: Node): number;
  /** Split products of at least `parallelMin` multiply-adds with a helper thread (0: never). */
  readonly parallelMin: number;
}

export type Kernel<K extends OpName> = (node: TypedNode<K>, ctx: KernelContext) => string;

const none: Kernel<OpName> = () => '';

/** Writes a node's fused group into its buffer, one loop nest over the output shape. */
const elementwise: Kernel<OpName> = (n, c) => {
  const shape = c.shape(n);
  const src = c.group();
  return loopNest({
    shape,
    accesses: [{ strides: contiguousStrides(shape) }, ...src.loads],
    pre: ([, ...idx]) => src.prelude(idx),
    body: ([o, ...idx]) => {
      const { code, value } = src.emit(idx);
      return `${code}${c.out}[${o}] = ${value};`;
    },
  });
};

function reduction(init: string, step: (acc: string, v: string) => string): Kernel<'Sum' | 'Max' | 'Min'> {
  return (n, c) => {
    const xs = c.shape(n.inputs[0]);
    const axes = n.attrs.axes;
    const keptShape = xs.map((d, i) => (axes.includes(i) ? 1 : d));
    const outStrides = contiguousStrides(keptShape).map((s, i) => (axes.includes(i) ? 0 : s));
    const kept = xs.map((_, i) => i).filter((i) => !axes.includes(i));
    const keptSize = kept.reduce((p, i) => p * xs[i], 1);
    const src = c.source(0);
    const leading = kept.length > 0 && axes.every((a) => a < kept[0]) && keptSize > 1;
    if (leading) {
      // Reducing leading axes: walk the input in memory order into a row of double accumulators.
      // Each output still adds its elements in the interpreter's order, so results are identical.
      const acc = `racc${n.id}`;
      c.helper(acc, `const ${acc} = new Float64Array(${int(keptSize)});`);
      return [
        `  ${acc}.fill(${init});`,
        loopNest({
          shape: xs,
          accesses: [{ strides: outStrides }, ...src.loads],
          pre: ([, ...idx]) => src.prelude(idx),
          body: ([o, ...idx]) => {
            const { code, value } = src.emit(idx);
            return `${code}${acc}[${o}] = ${step(`${acc}[${o}]`, value)};`;
          },
        }),
        `  for (let i = 0; i < ${int(keptSize)}; i++) ${c.out}[i] = ${acc}[i];`,
      ].join('\n');
    }
    return loopNest({
      shape: xs,
      accesses: [{ strides: outStrides }, ...src.loads],
      order: [...kept, ...axes],
      outer: kept.length,
      pre: ([, ...idx]) => src.prelude(idx),
      head: () => `let acc = ${init};`,
      body: ([, ...idx]) => {
        const { code, value } = src.emit(idx);
        return `${code}acc = ${step('acc', value)};`;
      },
      tail: ([o]) => `${c.out}[${o}] = acc;`,
    });
  };
}

const copyWithStrides = (n: Node, c: KernelContext, strides: readonly number[], offset: number): string => {
  const shape = c.shape(n);
  return loopNest({
    shape,
    accesses: [{ strides: contiguousStrides(shape) }, { strides, offset }],
    body: ([o, i]) => `${c.out}[${o}] = ${c.buf(n.inputs[0])}[${i}];`,
  });
};

const randomKernel =
  (fn: 'uniformAt' | 'normalAt'): Kernel<'RandomUniform' | 'RandomNormal'> =>
  (n, c) => {
    const size = c.shape(n).reduce((p, d) => p * d, 1);
    const seed = int(n.attrs.seed);
    const stream = int(n.attrs.stream);
    return [
      `  { const step = ${c.buf(n.inputs[0])}[0];`,
      `  for (let i = 0; i < ${int(size)}; i++) ${c.out}[i] = ${fn}(${seed}, ${stream}, step, i); }`,
    ].join('\n');
  };

export const kernels = {
  Input: none,
  Variable: none,
  Const: none,
  Size: none,
  ...elementwiseRows(elementwise),
  Sum: reduction('0', (a, v) => `${a} + ${v}`),
  Max: reduction('-Infinity', (a, v) => `Math.max(${a}, ${v})`),
  Min: reduction('Infinity', (a, v) => `Math.min(${a}, ${v})`),
  ArgMax: (n, c) => {
    const [outer, len, inner] = around(c.shape(n.inputs[0]), n.attrs.axis);
    const x = c.buf(n.inputs[0]);
    if (len === 0) return `  ${c.out}.fill(0);`;
    return [
      `  for (let o = 0; o < ${int(outer)}; o++) for (let i = 0; i < ${int(inner)}; i++) {`,
      `    const base = o * ${int(len * inner)} + i;`,
      `    let best = 0, bv = ${x}[base];`,
      `    for (let j = 1; j < ${int(len)}; j++) {`,
      `      const v = ${x}[base + j * ${int(inner)}];`,
      `      if (v > bv || (v !== v && bv === bv)) { best = j; bv = v; }`,
      `    }`,
      `    ${c.out}[o * ${int(inner)} + i] = best;`,
      `  }`,
    ].join('\n');
  },
  MatMul: (n, c) => {
    const { transA, transB } = n.attrs;
    const [a, b] = n.inputs;
    const { as, bs, os, m, nn, k } = matmulShapes(n, (x) => c.shape(x));
    const name = matmulHelperName(transA, transB);
    const lda = transA ? m : k;
    c.helper(name, matmulHelper(transA, transB));
    const batch = os.slice(0, -2);
    const nb = batch.reduce((p, d) => p * d, 1);
    const offs = (s: readonly number[]) => {
      const st = contiguousStrides(s.slice(0, -2)).map((x) => x * s[s.length - 2] * s[s.length - 1]);
      const lead = batch.length - (s.length - 2);
      const bst = batch.map((_d, i) => (i < lead || s[i - lead] === 1 ? 0 : st[i - lead]));
      const out: number[] = [];
      for (let t = 0; t < nb; t++) {
        let rem = t;
        let o = 0;
        for (let d = batch.length - 1; d >= 0; d--) {
          o += (rem % batch[d]) * bst[d];
          rem = Math.floor(rem / batch[d]);
        }
        out.push(o);
      }
      return out;
    };
    const call = (ao: string, bo: string, co: string) =>
      `${name}(${c.buf(a)}, ${ao}, ${c.buf(b)}, ${bo}, ${c.out}, ${co}, ${int(m)}, ${int(nn)}, ${int(k)}, ${int(lda)});`;
    if (nb === 1 && c.parallelMin > 0 && m >= 8 && m * nn * k >= c.parallelMin) {
      // The helper thread takes the lower rows of C, this thread the upper ones; a row range of A
      // is an offset (rows of A are contiguous, or columns of a transposed A with stride lda).
      const top = (m >> 1) & ~3;
      const kernel = (transA ? 2 : 0) + (transB ? 1 : 0);
      const ao = transA ? top : top * k;
      return [
        `  R.mmStart(${kernel}, ${c.bufId(a)}, ${int(ao)}, ${c.bufId(b)}, 0, ${c.bufId(n)}, ${int(top * nn)}, ${int(m - top)}, ${int(nn)}, ${int(k)}, ${int(lda)});`,
        `  ${name}(${c.buf(a)}, 0, ${c.buf(b)}, 0, ${c.out}, 0, ${int(top)}, ${int(nn)}, ${int(k)}, ${int(lda)});`,
        '  R.mmWait();',
      ].join('\n');
    }
    if (nb === 1) return `  ${call('0', '0', '0')}`;
    const tag = `mmo${n.id}`;
    c.helper(`${tag}a`, `const ${tag}a = Int32Array.of(${offs(as).map(int).join(', ')});`);
    c.helper(`${tag}b`, `const ${tag}b = Int32Array.of(${offs(bs).map(int).join(', ')});`);
    return `  for (let t = 0; t < ${int(nb)}; t++) ${call(`${tag}a[t]`, `${tag}b[t]`, `t * ${int(m * nn)}`)}`;
  },
  Reshape: none,
  Transpose: (n, c) => {
    const xs = c.shape(n.inputs[0]);
    const st = contiguousStrides(xs);
    return copyWithStrides(
      n,
      c,
      n.attrs.perm.map((p) => st[p]),
      0,
    );
  },
  Slice: (n, c) => {
    const st = contiguousStrides(c.shape(n.inputs[0]));
    const offset = c.dims(n, 'starts').reduce((o, s, i) => o + s * st[i], 0);
    return copyWithStrides(n, c, st, offset);
  },
  Pad: (n, c) => {
    const xs = c.shape(n.inputs[0]);
    const st = contiguousStrides(c.shape(n));
    const offset = c.dims(n, 'before').reduce((o, s, i) => o + s * st[i], 0);
    const x = c.buf(n.inputs[0]);
    return `  ${c.out}.fill(0);\n${loopNest({
      shape: xs,
      accesses: [{ strides: contiguousStrides(xs) }, { strides: st, offset }],
      body: ([i, o]) => `${c.out}[${o}] = ${x}[${i}];`,
    })}`;
  },
  Concat: (n, c) => {
    const os = c.shape(n);
    const st = contiguousStrides(os);
    let start = 0;
    const parts: string[] = [];
    for (const part of n.inputs) {
      const ps = c.shape(part);
      const x = c.buf(part);
      parts.push(
        loopNest({
          shape: ps,
          accesses: [{ strides: contiguousStrides(ps) }, { strides: st, offset: start * st[n.attrs.axis] }],
          body: ([i, o]) => `${c.out}[${o}] = ${x}[${i}];`,
        }),
      );
      start += ps[n.attrs.axis];
    }
    return parts.join('\n');
  },
  Gather: (n, c) => {
    const [x, idx] = n.inputs;
    const [outer, len, inner] = around(c.shape(x), n.attrs.axis);
    return [
      `  for (let o = 0; o < ${int(outer)}; o++) for (let i = 0; i < ${int(inner)}; i++) {`,
      `    const k = ${c.buf(idx)}[o * ${int(inner)} + i];`,
      `    ${c.out}[o * ${int(inner)} + i] = k >= 0 && k < ${int(len)} ? ${c.buf(x)}[(o * ${int(len)} + k) * ${int(inner)} + i] : NaN;`,
      `  }`,
    ].join('\n');
  },
  OneHot: (n, c) => {
    const depth = n.attrs.depth;
    const [outer, inner] = [
      c.shape(n.inputs[0]).slice(0, n.attrs.axis),
      c.shape(n.inputs[0]).slice(n.attrs.axis),
    ].map((s) => s.reduce((p, d) => p * d, 1));
    return [
      `  ${c.out}.fill(0);`,
      `  for (let o = 0; o < ${int(outer)}; o++) for (let i = 0; i < ${int(inner)}; i++) {`,
      `    const k = ${c.buf(n.inputs[0])}[o * ${int(inner)} + i];`,
      `    if (k >= 0 && k < ${int(depth)}) ${c.out}[(o * ${int(depth)} + k) * ${int(inner)} + i] = 1;`,
      `  }`,
    ].join('\n');
  },
  RandomUniform: randomKernel('uniformAt'),
  RandomNormal: randomKernel('normalAt'),
  ...windowKernels,
} satisfies { [K in OpName]: Kernel<K> };

/** Numbers that may appear in generated code (re-exported for the codegen). */
export { num };
