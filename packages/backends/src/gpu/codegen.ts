/**
 * Generates the gpu.js kernels of one specialisation (one binding of the symbolic dims). Every
 * tensor is a flat float texture (ints and bools too, exact below 2²⁴); a kernel computes one
 * output element per thread from its flat index, unravelling it into coordinates with constant
 * shapes and strides. Fusion is the CPU backend's (`schedule`): an elementwise group is one kernel,
 * and a reduction absorbs the group feeding it. The kernel table is typed against `OpName`.
 * Kernel sources contain only generated identifiers and numbers (never names from the model).
 */
import { bindNodes, diagnostic, GradusError, type Node, type OpName } from '@gradus/autodiff';
import { broadcastStrides, contiguousStrides } from '../cpu/emit.js';
import { readsOf } from '../cpu/plan.js';
import { schedule } from '../cpu/schedule.js';
import { elementwiseRows, exprOf } from '../expr-table.js';
import { around, matmulShapes, sizeOf, type TypedNode } from '../shapes.js';
import { flt, gpuExprTable } from './expr.js';
import { indexOf, MAX_LOOP, unravel } from './indexing.js';
import { gpuWindowKernels, windowTap, windowViews } from './window-kernels.js';

export { indexOf, MAX_LOOP, unravel };

/** Float indices are exact below 2²⁴, which bounds every tensor's element count. */
export const MAX_ELEMENTS = 2 ** 24;

export type StepKind = 'kernel' | 'alias' | 'random';

export interface GpuStep {
  readonly node: Node;
  readonly kind: StepKind;
  /** gpu.js kernel source (`kind: 'kernel'`). */
  readonly source: string;
  /** Nodes whose textures are the kernel's arguments, in order. */
  readonly args: readonly Node[];
  readonly size: number;
  /** A two-stage reduction: `source` computes `partialSize` partials, this kernel combines them. */
  readonly combine?: { readonly source: string; readonly partialSize: number };
}

export interface GpuModule {
  readonly steps: readonly GpuStep[];
  /** Leaves read as textures or returned (inputs, variables, non-inlined constants and sizes). */
  readonly leaves: readonly Node[];
  /** After step k, the (alias-resolved) nodes whose textures are dead. */
  readonly releaseAfter: readonly (readonly Node[])[];
  /** The node whose texture a node shares (itself unless it is a reshape or unfused stop). */
  readonly root: (n: Node) => Node;
  readonly shapeOf: (n: Node) => number[];
  /** Every kernel's source with a comment naming its op and shape (for `--emit gpu`, snapshots). */
  readonly source: string;
}

/** Context a kernel emitter gets: argument names, coordinates, fused groups. */
export interface GpuKernelContext {
  shape(n: Node): readonly number[];
  /** A dim attr of a node (Slice `starts`, Pad `before`) bound to sizes under this specialisation. */
  dims(n: Node, attr: string): readonly number[];
  /** Argument name of input `n`'s texture (registers it as an argument). */
  arg(n: Node): string;
  /** Lines and value of input `i` (a fused group or a plain load) at `coords` over its shape. */
  input(i: number, coords: readonly string[]): { lines: string[]; value: string };
  /** Lines and value of this node's fused group at `coords` over the node's shape. */
  group(coords: readonly string[]): { lines: string[]; value: string };
  /** Fresh identifier with a prefix. */
  fresh(prefix: string): string;
  /** The Im2Col whose windows a matmul operand reads without materialising them, if any. */
  view(n: Node): TypedNode<'Im2Col'> | undefined;
}

/** Returns the kernel body (statements; `i` is the output's flat index) or a step kind. */
export type GpuKernel<K extends OpName> = (
  node: TypedNode<K>,
  ctx: GpuKernelContext,
) => string[] | StepKind | TwoStage;

/** A reduction too long for one loop: partial results over chunks, then a kernel combining them. */
export interface TwoStage {
  /** Body of the first kernel (one thread per output element and chunk). */
  readonly partial: string[];
  readonly chunks: number;
  /** Body of the combining kernel; its only argument `a0` holds the partials. */
  readonly combine: string[];
}

function tooLong(n: Node, what: string, len: number): GradusError {
  return new GradusError(
    diagnostic(
      'E0431',
      `${n.op}: ${what} of length ${len} is longer than the gpu backend's limit of ${MAX_LOOP} per kernel; use the cpu backend`,
    ),
  );
}

const sumOver =
  (init: string, step: (a: string, v: string) => string): GpuKernel<'Sum' | 'Max' | 'Min'> =>
  (n, c) => {
    const xs = c.shape(n.inputs[0]);
    const axes = n.attrs.axes;
    const kept = xs.map((d, a) => (axes.includes(a) ? 1 : d));
    const red = axes.map((a) => xs[a]);
    const len = sizeOf(red);
    const inner = unravel('r', red, 'k');
    if (len <= MAX_LOOP) {
      const out = unravel('i', kept, 'c');
      const coords = xs.map((_, a) => (axes.includes(a) ? inner.coords[axes.indexOf(a)] : out.coords[a]));
      const v = c.input(0, coords);
      return [
        ...out.lines,
        `let acc = ${init};`,
        `for (let r = 0; r < ${len}; r++) {`,
        ...[...inner.lines, ...v.lines, `acc = ${step('acc', v.value)};`].map((l) => `  ${l}`),
        '}',
        'return acc;',
      ];
    }
    const chunks = Math.ceil(len / MAX_LOOP);
    const out = unravel('o', kept, 'c');
    const coords = xs.map((_, a) => (axes.includes(a) ? inner.coords[axes.indexOf(a)] : out.coords[a]));
    const v = c.input(0, coords);
    return {
      partial: [
        `let o = Math.floor((i + 0.5) / ${flt(chunks)});`,
        `let ch = i - o * ${flt(chunks)};`,
        ...out.lines,
        `let acc = ${init};`,
        `for (let r0 = 0; r0 < ${MAX_LOOP}; r0++) {`,
        `  let r = ch * ${flt(MAX_LOOP)} + r0;`,
        `  if (r < ${flt(len)}) {`,
        ...[...inner.lines, ...v.lines, `acc = ${step('acc', v.value)};`].map((l) => `    ${l}`),
        '  }',
        '}',
        'return acc;',
      ],
      chunks,
      combine: [
        `let acc = ${init};`,
        `for (let j = 0; j < ${chunks}; j++) {`,
        `  acc = ${step('acc', `a0[i * ${flt(chunks)} + j]`)};`,
        '}',
        'return acc;',
      ],
    };
  };

const elementwise: GpuKernel<OpName> = (n, c) => {
  const u = unravel('i', c.shape(n), 'c');
  const v = c.group(u.coords);
  return [...u.lines, ...v.lines, `return ${v.value};`];
};

/** Copies where output coordinates map linearly to an input index. */
function gatherCopy(n: Node, c: GpuKernelContext, strides: readonly number[], offset: number): string[] {
  const u = unravel('i', c.shape(n), 'c');
  return [...u.lines, `return ${c.arg(n.inputs[0])}[${indexOf(u.coords, strides, offset)}];`];
}

export const gpuKernels = {
  Input: () => 'alias',
  Variable: () => 'alias',
  Const: () => 'alias',
  Size: () => 'alias',
  ...elementwiseRows(elementwise),
  Sum: sumOver('0.0', (a, v) => `${a} + ${v}`),
  Max: sumOver('(-1.0 / 0.0)', (a, v) => `Math.max(${a}, ${v})`),
  Min: sumOver('(1.0 / 0.0)', (a, v) => `Math.min(${a}, ${v})`),
  ArgMax: (n, c) => {
    const [, len, inner] = around(c.shape(n.inputs[0]), n.attrs.axis);
    if (len === 0) return ['return 0.0;'];
    if (len > MAX_LOOP) throw tooLong(n, 'an axis', len);
    const x = c.arg(n.inputs[0]);
    const base = `Math.floor((i + 0.5) / ${flt(inner)}) * ${flt(len * inner)} + (i - Math.floor((i + 0.5) / ${flt(inner)}) * ${flt(inner)})`;
    return [
      `let base = ${base};`,
      'let best = 0.0;',
      `let bv = ${x}[base];`,
      `for (let j = 1; j < ${len}; j++) {`,
      `  let v = ${x}[base + j * ${flt(inner)}];`,
      '  if (v > bv) {',
      '    best = j;',
      '    bv = v;',
      '  }',
      '}',
      'return best;',
    ];
  },
  MatMul: (n, c) => {
    const { transA, transB } = n.attrs;
    const [a, b] = n.inputs;
    const { as, bs, os, r, m, nn, k } = matmulShapes(n, (x) => c.shape(x));
    if (k > MAX_LOOP) throw tooLong(n, 'a contraction', k);
    const u = unravel('i', os, 'c');
    const batch = os.slice(0, -2);
    const bc = u.coords.slice(0, -2);
    const row = u.coords[r - 2];
    const col = u.coords[r - 1];
    const batchOffset = (s: readonly number[]) => {
      const strides = broadcastStrides(s.slice(0, -2), batch).map(
        (x) => x * s[s.length - 2] * s[s.length - 1],
      );
      return indexOf(bc, strides);
    };
    const aIdx = transA ? `kk * ${flt(m)} + ${row}` : `${row === '0.0' ? '' : `${row} * ${flt(k)} + `}kk`;
    const bIdx = transB ? `${col === '0.0' ? '' : `${col} * ${flt(k)} + `}kk` : `kk * ${flt(nn)} + ${col}`;
    const windows = c.view(b);
    if (windows) {
      // B holds the windows of an image, read from the image itself (never stored: it can hold
      // far more than a texture). Its memory layout is [..., rows, cols]: entry (r, q) of batch t.
      const t = indexOf(bc, broadcastStrides(bs.slice(0, -2), batch));
      const [rowOf, colOf] = transB ? [col, 'kk'] : ['kk', col];
      const tap = windowTap(windows, c, t, bs[bs.length - 2], rowOf, colOf);
      return [
        ...u.lines,
        `let ao = ${batchOffset(as)};`,
        'let acc = 0.0;',
        `for (let kk = 0; kk < ${k}; kk++) {`,
        ...tap.lines.map((l) => `  ${l}`),
        `  acc = acc + ${c.arg(a)}[ao + ${aIdx}] * ${tap.value};`,
        '}',
        'return acc;',
      ];
    }
    return [
      ...u.lines,
      `let ao = ${batchOffset(as)};`,
      `let bo = ${batchOffset(bs)};`,
      'let acc = 0.0;',
      `for (let kk = 0; kk < ${k}; kk++) {`,
      `  acc = acc + ${c.arg(a)}[ao + ${aIdx}] * ${c.arg(b)}[bo + ${bIdx}];`,
      '}',
      'return acc;',
    ];
  },
  Reshape: () => 'alias',
  Transpose: (n, c) => {
    const st = contiguousStrides(c.shape(n.inputs[0]));
    return gatherCopy(
      n,
      c,
      n.attrs.perm.map((p) => st[p]),
      0,
    );
  },
  Slice: (n, c) => {
    const st = contiguousStrides(c.shape(n.inputs[0]));
    return gatherCopy(
      n,
      c,
      st,
      c.dims(n, 'starts').reduce((o, s, i) => o + s * st[i], 0),
    );
  },
  Pad: (n, c) => {
    const xs = c.shape(n.inputs[0]);
    const u = unravel('i', c.shape(n), 'c');
    const before = c.dims(n, 'before');
    const inside = u.coords
      .map((co, d) =>
        xs[d] === c.shape(n)[d] ? '' : `${co} >= ${flt(before[d])} && ${co} < ${flt(before[d] + xs[d])}`,
      )
      .filter((t) => t !== '');
    const src = indexOf(
      u.coords.map((co, d) => (before[d] === 0 ? co : `(${co} - ${flt(before[d])})`)),
      contiguousStrides(xs),
    );
    if (inside.length === 0) return [...u.lines, `return ${c.arg(n.inputs[0])}[${src}];`];
    return [
      ...u.lines,
      'let v = 0.0;',
      `if (${inside.join(' && ')}) {`,
      `  v = ${c.arg(n.inputs[0])}[${src}];`,
      '}',
      'return v;',
    ];
  },
  Concat: (n, c) => {
    const axis = n.attrs.axis;
    const u = unravel('i', c.shape(n), 'c');
    const lines = [...u.lines, 'let v = 0.0;'];
    let start = 0;
    n.inputs.forEach((part, p) => {
      const ps = c.shape(part);
      const coords = u.coords.map((co, d) => (d === axis && start !== 0 ? `(${co} - ${flt(start)})` : co));
      const load = `v = ${c.arg(part)}[${indexOf(coords, contiguousStrides(ps))}];`;
      const end = start + ps[axis];
      if (p === 0) lines.push(`if (${u.coords[axis]} < ${flt(end)}) {`, `  ${load}`);
      else if (p === n.inputs.length - 1) lines.push('} else {', `  ${load}`);
      else lines.push(`} else if (${u.coords[axis]} < ${flt(end)}) {`, `  ${load}`);
      start = end;
    });
    if (n.inputs.length === 1) lines.push('}');
    else lines.push('}');
    return [...lines, 'return v;'];
  },
  Gather: (n, c) => {
    const [x, idx] = n.inputs;
    const [, len, inner] = around(c.shape(x), n.attrs.axis);
    return [
      `let o = Math.floor((i + 0.5) / ${flt(inner)});`,
      `let ii = i - o * ${flt(inner)};`,
      `let k = ${c.arg(idx)}[i];`,
      'let v = 0.0 / 0.0;',
      `if (k >= 0.0 && k < ${flt(len)}) {`,
      `  v = ${c.arg(x)}[(o * ${flt(len)} + k) * ${flt(inner)} + ii];`,
      '}',
      'return v;',
    ];
  },
  OneHot: (n, c) => {
    const depth = n.attrs.depth;
    const inner = sizeOf(c.shape(n.inputs[0]).slice(n.attrs.axis));
    return [
      `let o = Math.floor((i + 0.5) / ${flt(depth * inner)});`,
      `let rest = i - o * ${flt(depth * inner)};`,
      `let d = Math.floor((rest + 0.5) / ${flt(inner)});`,
      `let ii = rest - d * ${flt(inner)};`,
      `let k = ${c.arg(n.inputs[0])}[o * ${flt(inner)} + ii];`,
      'return k == d ? 1.0 : 0.0;',
    ];
  },
  RandomUniform: () => 'random',
  RandomNormal: () => 'random',
  ...gpuWindowKernels,
} satisfies { [K in OpName]: GpuKernel<K> };

function tooLarge(n: Node, shape: readonly number[], limit: number): GradusError {
  return new GradusError(
    diagnostic(
      'E0431',
      `${n.op} produces a tensor of shape [${shape.join(', ')}] (${sizeOf(shape)} elements), more than the ` +
        `gpu backend's limit of ${limit} elements per tensor (texture size and exact float indexing); ` +
        'use the cpu backend or a smaller batch',
    ),
  );
}

/** Builds the kernels computing `targets` (outputs and update values) under the binding `dims`. */
export function generateGpu(
  order: readonly Node[],
  targets: readonly Node[],
  updates: readonly (readonly [Node, Node])[],
  dims: Readonly<Record<string, number>>,
  opts: { readonly maxElements?: number; readonly fuse?: boolean } = {},
): GpuModule {
  const limit = Math.min(MAX_ELEMENTS, opts.maxElements ?? MAX_ELEMENTS);
  // The shared binder: every shape and dim attr a size, every node's shape rule checked again.
  const bound = bindNodes(order, dims);
  const dimsOf = bound.dims;
  const shapes = new Map<Node, number[]>();
  for (const n of order) {
    const s = [...bound.shape(n)];
    if (sizeOf(s) === 0) {
      throw new GradusError(
        diagnostic(
          'E0431',
          `${n.op} produces an empty tensor of shape [${s.join(', ')}], which the gpu backend cannot hold`,
        ),
      );
    }
    shapes.set(n, s);
  }
  const shapeOf = (n: Node) => shapes.get(n) as number[];
  const results = new Set<Node>([...targets, ...updates.map(([, v]) => v)]);
  const sched = schedule(order, results, shapeOf, opts.fuse ?? true);
  const views = windowViews(order, results, shapeOf);
  const root = (n: Node): Node => (sched.aliases.has(n) || views.has(n) ? root(n.inputs[0]) : n);
  // Only nodes with a texture of their own are bounded (an alias or a view has its root's).
  for (const n of order) {
    const s = shapeOf(n);
    if (root(n) === n && sizeOf(s) > limit) throw tooLarge(n, s, limit);
  }

  const literal = (n: Node): string | undefined => {
    if (n.op === 'Reshape') return literal(n.inputs[0]);
    if (n.op === 'Const' && (n.attrs.value as number[]).length === 1)
      return flt(Math.fround((n.attrs.value as number[])[0]));
    if (n.op === 'Size') return flt(Math.fround(sizeOf(dimsOf(n, 'dims'))));
    return undefined;
  };

  const steps: GpuStep[] = [];
  const textured = new Set<Node>();
  for (const step of sched.steps) {
    if (sched.aliases.has(step) || views.has(step)) {
      steps.push({ node: step, kind: 'alias', source: '', args: [], size: sizeOf(shapeOf(step)) });
      continue;
    }
    const members = sched.members.get(step);
    const args: Node[] = [];
    let fresh = 0;
    const arg = (x: Node) => {
      const r = root(x);
      if (!args.includes(r)) args.push(r);
      textured.add(r);
      return `a${args.indexOf(r)}`;
    };
    /** A fused group (root last) evaluated at coordinates over its root's shape. */
    const groupAt = (group: readonly Node[], coords: readonly string[]) => {
      const space = shapeOf(group[group.length - 1]);
      const inGroup = new Set(group);
      const names = new Map<Node, string>();
      const lines: string[] = [];
      for (const m of group) {
        for (const x of m.inputs) {
          if (inGroup.has(x) || names.has(x)) continue;
          const lit = literal(x);
          if (lit !== undefined) {
            names.set(x, lit);
            continue;
          }
          const v = `v${x.id}`;
          lines.push(`let ${v} = ${arg(x)}[${indexOf(coords, broadcastStrides(shapeOf(x), space))}];`);
          names.set(x, v);
        }
        const operands = m.inputs.map((x) => names.get(x) as string);
        const e =
          m.op === 'BroadcastTo' || m.op === 'StopGradient' ? operands[0] : exprOf(gpuExprTable, m, operands);
        lines.push(`let t${m.id} = ${e};`);
        names.set(m, `t${m.id}`);
      }
      return { lines, value: `t${group[group.length - 1].id}` };
    };
    const ctx: GpuKernelContext = {
      shape: shapeOf,
      dims: dimsOf,
      arg,
      fresh: (p) => `${p}${fresh++}`,
      input: (i, coords) => {
        const x = step.inputs[i];
        if (members && members[members.length - 1] === x) return groupAt(members, coords);
        const lit = literal(x);
        if (lit !== undefined) return { lines: [], value: lit };
        return { lines: [], value: `${arg(x)}[${indexOf(coords, contiguousStrides(shapeOf(x)))}]` };
      },
      group: (coords) => groupAt(members ?? [step], coords),
      view: (x) => {
        let v: Node = x;
        while (v.op === 'Reshape') v = v.inputs[0];
        return views.has(v) ? (v as TypedNode<'Im2Col'>) : undefined;
      },
    };
    const kernel = gpuKernels[step.op] as GpuKernel<typeof step.op>;
    const body = kernel(step as never, ctx);
    const size = sizeOf(shapeOf(step));
    if (typeof body === 'string') {
      steps.push({ node: step, kind: body, source: '', args: [], size });
      continue;
    }
    const params = args.map((_, k) => `a${k}`).join(', ');
    const fn = (ps: string, lines: readonly string[]) =>
      [`function (${ps}) {`, '  let i = this.thread.x;', ...lines.map((l) => `  ${l}`), '}'].join('\n');
    if (Array.isArray(body)) steps.push({ node: step, kind: 'kernel', source: fn(params, body), args, size });
    else {
      const two = body as TwoStage;
      steps.push({
        node: step,
        kind: 'kernel',
        source: fn(params, two.partial),
        args,
        size,
        combine: { source: fn('a0', two.combine), partialSize: size * two.chunks },
      });
    }
  }

  // Liveness: the last step reading each (alias-resolved) node; results live to the end.
  const lastUse = new Map<Node, number>();
  steps.forEach((s, k) => {
    if (s.kind === 'alias') lastUse.set(root(s.node), Math.max(lastUse.get(root(s.node)) ?? k, k));
    for (const a of s.args) lastUse.set(a, k);
  });
  sched.steps.forEach((s, k) => {
    for (const r of readsOf(s, sched))
      if (literal(r) === undefined && !lastUse.has(root(r))) lastUse.set(root(r), k);
  });
  for (const r of results) lastUse.set(root(r), Number.POSITIVE_INFINITY);
  const releaseAfter: Node[][] = steps.map(() => []);
  for (const [n, k] of lastUse) if (Number.isFinite(k)) releaseAfter[k].push(n);

  const leaves = order.filter(
    (n) =>
      (n.op === 'Input' || n.op === 'Variable' || n.op === 'Const' || n.op === 'Size') &&
      (textured.has(n) || results.has(n) || [...results].some((r) => root(r) === n)),
  );
  const source = steps
    .filter((s) => s.kind !== 'alias')
    .map((s) => {
      const head = `// ${s.node.op} [${shapeOf(s.node).join(', ')}]`;
      if (s.kind === 'random') return `${head}: generated on the host (counter-based) and uploaded`;
      if (s.combine) {
        return `${head}, stage 1: ${s.combine.partialSize} partials\n${s.source}\n\n${head}, stage 2: combine\n${s.combine.source}`;
      }
      return `${head}\n${s.source}`;
    })
    .join('\n\n');
  return { steps, leaves, releaseAfter, root, shapeOf, source: `${source}\n` };
}
