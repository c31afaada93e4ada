/**
 * Generates the JavaScript module of one specialisation (one binding of the symbolic dims): a
 * factory `(B, R) => { run, commit }` where `B` holds the buffers and `R` the runtime helpers
 * (the counter-based generator). Shapes, strides and sizes are constants in the code; names from
 * the model never appear in it (buffers are referred to by index).
 */
import { type ConcreteShape, isFloat, type Node } from '@gradus/autodiff';
import { exprOf, exprTable } from '../expr-table.js';
import { commitCopies, literalValue, lowerProgram } from '../lowering.js';
import { broadcastStrides, contiguousStrides, num } from './emit.js';
import { type ElemSource, type Kernel, type KernelContext, kernels } from './kernels.js';
import type { BufferSpec } from './plan.js';

/**
 * V8 gives every local of a function (block-scoped ones included) a slot in its frame, so one
 * `run` for a graph of 100,000 steps overflows the stack when it is called. Steps are blocks that
 * communicate only through buffers, so the code is split into functions of about this many
 * characters, which `run` calls in order.
 */
const MAX_PART_CHARS = 100_000;

export interface CodegenOptions {
  readonly precision: 'f32' | 'f64';
  /** Fuse elementwise chains and reductions (on by default; off to test the plain kernels). */
  readonly fuse?: boolean;
  /** Reuse intermediate buffers by liveness (on by default). */
  readonly pool?: boolean;
  /** Split matrix products of at least this many multiply-adds with a helper thread (0: never). */
  readonly parallelMin?: number;
}

export interface Module {
  readonly source: string;
  readonly buffers: readonly BufferSpec[];
  readonly bufOf: ReadonlyMap<Node, number>;
  /** Buffer ids of the targets, in order. */
  readonly targets: readonly number[];
  /** Updates to commit: variable buffer ← source buffer. */
  readonly commits: readonly { readonly variable: number; readonly source: number }[];
  readonly shapeOf: (n: Node) => ConcreteShape;
  /** Whether the code calls the matmul helper thread (`R.mmStart`/`R.mmWait`). */
  readonly parallel: boolean;
}

/**
 * Builds the module computing `targets` (outputs and update values) and committing `updates`
 * (variable node → new value node) under the dims binding `dims`.
 */
export function generate(
  order: readonly Node[],
  targets: readonly Node[],
  updates: readonly (readonly [Node, Node])[],
  dims: Readonly<Record<string, number>>,
  opts: CodegenOptions,
): Module {
  const precision = opts.precision;
  const { shapeOf, dimsOf, sched, plan } = lowerProgram(order, targets, updates, dims, opts);
  const buffers = [...plan.buffers];
  const bufId = (n: Node) => plan.bufOf.get(n) as number;
  const bufName = (n: Node) => `b${bufId(n)}`;

  // Scalar constants and sizes are inlined as literals.
  const literal = (n: Node): string | undefined => {
    const v = literalValue(n, dimsOf);
    if (v === undefined) return undefined;
    return num(precision === 'f32' && isFloat(n.dtype) ? Math.fround(v) : v);
  };

  const plainSource = (n: Node): ElemSource => {
    const lit = literal(n);
    if (lit !== undefined) return { loads: [], emit: () => ({ code: '', value: lit }), prelude: () => '' };
    return {
      loads: [{ buf: bufName(n), strides: contiguousStrides(shapeOf(n)) }],
      emit: ([i]) => ({ code: '', value: `${bufName(n)}[${i}]` }),
      prelude: () => '',
    };
  };

  /** The fused group `members` (root last) as a source over the root's shape. */
  const groupSource = (members: readonly Node[]): ElemSource => {
    const root = members[members.length - 1];
    const space = shapeOf(root);
    const inGroup = new Set(members);
    const loads: Node[] = [];
    for (const m of members) {
      for (const i of m.inputs)
        if (!inGroup.has(i) && literal(i) === undefined && !loads.includes(i)) loads.push(i);
    }
    const strides = loads.map((x) => broadcastStrides(shapeOf(x), space));
    const invariant = strides.map((st) => st.every((d) => d === 0));
    return {
      loads: loads.map((x, k) => ({ buf: bufName(x), strides: strides[k] })),
      prelude: (idx) =>
        loads.map((x, k) => (invariant[k] ? `const v${x.id} = ${bufName(x)}[${idx[k]}];\n` : '')).join(''),
      emit: (idx) => {
        const names = new Map<Node, string>();
        const lines: string[] = [];
        loads.forEach((x, k) => {
          names.set(x, `v${x.id}`);
          if (!invariant[k]) lines.push(`const v${x.id} = ${bufName(x)}[${idx[k]}];`);
        });
        for (const m of members) {
          const args = m.inputs.map((i) => names.get(i) ?? (literal(i) as string));
          let e = m.op === 'BroadcastTo' ? args[0] : exprOf(exprTable, m, args);
          if (precision === 'f32' && isFloat(m.dtype) && m.op !== 'BroadcastTo' && m.op !== 'StopGradient') {
            e = `Math.fround(${e})`;
          }
          names.set(m, `t${m.id}`);
          lines.push(`const t${m.id} = ${e};`);
        }
        return { code: `${lines.join('\n')}\n`, value: `t${root.id}` };
      },
    };
  };

  const helpers = new Map<string, string>();
  // The steps' code, in parts of bounded size (see MAX_PART_CHARS).
  const parts: string[][] = [[]];
  let partChars = 0;
  for (const step of sched.steps) {
    if (sched.aliases.has(step)) continue;
    const members = sched.members.get(step);
    const ctx: KernelContext = {
      precision,
      shape: shapeOf,
      dims: dimsOf,
      buf: bufName,
      out: bufName(step),
      source: (i) => {
        const x = step.inputs[i];
        return members && members[members.length - 1] === x ? groupSource(members) : plainSource(x);
      },
      group: () => groupSource(members ?? [step]),
      helper: (name, code) => {
        if (!helpers.has(name)) helpers.set(name, code);
      },
      bufId,
      parallelMin: opts.parallelMin ?? 0,
    };
    const kernel = kernels[step.op] as Kernel<typeof step.op>;
    const code = kernel(step as never, ctx);
    if (code.length === 0) continue;
    if (partChars > MAX_PART_CHARS) {
      parts.push([]);
      partChars = 0;
    }
    parts[parts.length - 1].push(
      `  // ${step.op} → b${bufId(step)}`,
      '  {',
      code.replace(/^/gm, '  '),
      '  }',
    );
    partChars += code.length;
  }
  const body = parts.flat();

  // Small buffers copy element by element (a `set` call costs more than a few moves).
  const copy = (to: number, from: number, length: number) =>
    length <= 8
      ? Array.from({ length }, (_, i) => `  b${to}[${i}] = b${from}[${i}];`).join('\n')
      : `  b${to}.set(b${from});`;
  // Commit: updates read old values, so sources that are themselves variables are staged first.
  const copies = commitCopies(updates, plan.bufOf, buffers);
  const stage = copies.stage.map(([to, from]) => copy(to, from, buffers[to].length));
  const assign = copies.assign.map(([to, from]) => copy(to, from, buffers[to].length));
  const commits = copies.assign.map(([variable, source]) => ({ variable, source }));

  const decl = buffers.map((b) => `b${b.id} = B[${b.id}]`);
  const source = [
    `'use strict';`,
    ...(decl.length > 0 ? [`const ${decl.join(', ')};`] : []),
    `const uniformAt = R.uniformAt, normalAt = R.normalAt;`,
    ...helpers.values(),
    ...(parts.length === 1
      ? [`function run() {`, ...parts[0], `}`]
      : [
          ...parts.flatMap((lines, k) => [`function run${k}() {`, ...lines, `}`]),
          `function run() {`,
          ...parts.map((_, k) => `  run${k}();`),
          `}`,
        ]),
    `function commit() {`,
    ...stage,
    ...assign,
    `}`,
    `return { run, commit };`,
    '',
  ].join('\n');
  const parallel = body.some((line) => line.includes('R.mmStart('));
  return { source, buffers, bufOf: plan.bufOf, targets: targets.map(bufId), commits, shapeOf, parallel };
}
