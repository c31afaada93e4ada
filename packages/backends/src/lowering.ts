/**
 * What both CPU code generators (JavaScript and WebAssembly) start from for one specialisation:
 * every node's concrete shape, the fusion schedule, the buffer plan, the scalar literals that
 * are inlined instead of read, and the copies that commit the updates.
 */
import { bindNodes, type ConcreteShape, type Node } from '@gradus/autodiff';
import { type BufferSpec, type Plan, planBuffers } from './cpu/plan.js';
import { type Schedule, schedule } from './cpu/schedule.js';
import { sizeOf } from './shapes.js';

export interface Lowered {
  readonly shapeOf: (n: Node) => ConcreteShape;
  /** A dim attr of a node (Slice `starts`, Pad `before`, Size `dims`) bound to sizes. */
  readonly dimsOf: (n: Node, attr: string) => readonly number[];
  readonly sched: Schedule;
  readonly plan: Plan;
}

export function lowerProgram(
  order: readonly Node[],
  targets: readonly Node[],
  updates: readonly (readonly [Node, Node])[],
  dims: Readonly<Record<string, number>>,
  opts: { readonly precision: 'f32' | 'f64'; readonly fuse?: boolean; readonly pool?: boolean },
): Lowered {
  // The shared binder: every shape and dim attr a size, every node's shape rule checked again.
  const bound = bindNodes(order, dims);
  const shapeOf = bound.shape as (n: Node) => ConcreteShape;
  const results = new Set<Node>([...targets, ...updates.map(([, v]) => v)]);
  const sched = schedule(order, results, shapeOf, opts.fuse ?? true);
  const plan = planBuffers(sched, results, (n) => sizeOf(shapeOf(n)), opts.precision, opts.pool ?? true);
  return { shapeOf, dimsOf: bound.dims, sched, plan };
}

/** The value of a scalar constant or a `Size` (generated code inlines it), else undefined. */
export function literalValue(n: Node, dimsOf: Lowered['dimsOf']): number | undefined {
  if (n.op === 'Reshape') return literalValue(n.inputs[0], dimsOf);
  if (n.op === 'Const' && (n.attrs.value as number[]).length === 1) return (n.attrs.value as number[])[0];
  if (n.op === 'Size') return sizeOf(dimsOf(n, 'dims'));
  return undefined;
}

/**
 * The buffer copies that commit `updates` (variable ← value), as [to, from] buffer ids. Updates
 * read old values, so a value that is itself a variable is first copied to a stage buffer
 * (appended to `buffers`); `stage` runs before `assign`.
 */
export function commitCopies(
  updates: readonly (readonly [Node, Node])[],
  bufOf: ReadonlyMap<Node, number>,
  buffers: BufferSpec[],
): { readonly stage: readonly [number, number][]; readonly assign: readonly [number, number][] } {
  const stage: [number, number][] = [];
  const assign: [number, number][] = [];
  for (const [v, src] of updates) {
    let s = bufOf.get(src) as number;
    const target = bufOf.get(v) as number;
    if (s === target) continue;
    if (buffers[s].kind === 'variable') {
      const staged = buffers.length;
      buffers.push({ id: staged, kind: 'stage', ctor: buffers[target].ctor, length: buffers[target].length });
      stage.push([staged, s]);
      s = staged;
    }
    assign.push([target, s]);
  }
  return { stage, assign };
}
