/**
 * What both CPU code generators (JavaScript and WebAssembly) start from for one specialisation:
 * every node's concrete shape, the fusion schedule, the buffer plan, the scalar literals that
 * are inlined instead of read, and the copies that commit the updates.
 */
import { bindNodes, type ConcreteShape, type Node } from '@gradus/autodiff';
import { type BufferSpec, type Plan, planBuffers, readsOf } from './cpu/plan.js';
import { isFusable, type Schedule, schedule } from './cpu/schedule.js';
import { sizeOf } from './shapes.js';

export interface Lowered {
  readonly shapeOf: (n: Node) => ConcreteShape;
  /** A dim attr of a node (Slice `starts`, Pad `before`, Size `dims`) bound to sizes. */
  readonly dimsOf: (n: Node, attr: string) => readonly number[];
  readonly sched: Schedule;
  readonly plan: Plan;
  /** The steps (aliases left out) in groups that run as one loop (singletons without `loops`). */
  readonly loops: readonly (readonly Node[])[];
}

export function lowerProgram(
  order: readonly Node[],
  targets: readonly Node[],
  updates: readonly (readonly [Node, Node])[],
  dims: Readonly<Record<string, number>>,
  opts: {
    readonly precision: 'f32' | 'f64';
    readonly fuse?: boolean;
    readonly pool?: boolean;
    /** Compute elementwise updates straight into their variables where safe (`inPlaceUpdates`). */
    readonly inPlace?: boolean;
    /** Run neighbouring elementwise steps of one shape as one loop (`gatherLoops`). */
    readonly loops?: boolean;
  },
): Lowered {
  // The shared binder: every shape and dim attr a size, every node's shape rule checked again.
  const bound = bindNodes(order, dims);
  const shapeOf = bound.shape as (n: Node) => ConcreteShape;
  const results = new Set<Node>([...targets, ...updates.map(([, v]) => v)]);
  const fused = schedule(order, results, shapeOf, opts.fuse ?? true);
  const sched = opts.loops ? gatherLoops(fused, shapeOf) : fused;
  // In-place decisions read the final step order (a reader moved past an update would see it).
  const inPlace = opts.inPlace ? inPlaceUpdates(sched, targets, updates, shapeOf) : undefined;
  const plan = planBuffers(
    sched,
    results,
    (n) => sizeOf(shapeOf(n)),
    opts.precision,
    opts.pool ?? true,
    inPlace,
  );
  const steps = sched.steps.filter((n) => !sched.aliases.has(n));
  return {
    shapeOf,
    dimsOf: bound.dims,
    sched,
    plan,
    loops: opts.loops ? loopGroups(steps, sched, shapeOf) : steps.map((n) => [n]),
  };
}

/** A step that is one elementwise loop over its shape (its fused group, all elementwise). */
function isLoop(n: Node, sched: Schedule): boolean {
  return !sched.aliases.has(n) && isFusable(n) && (sched.members.get(n) ?? [n]).every(isFusable);
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Moves elementwise steps later, each next to the first step that reads it when that step is an
 * elementwise loop of the same shape (no step in between reads it, so the order stays valid),
 * so that an optimiser's moments and its parameter update, or a bias, a ReLU and its mask, end up
 * side by side for `loopGroups` to run as one loop: each element is loaded and stored once.
 */
export function gatherLoops(sched: Schedule, shapeOf: (n: Node) => readonly number[]): Schedule {
  const root = (n: Node): Node => (sched.aliases.has(n) ? root(n.inputs[0]) : n);
  const reads = new Map<Node, Set<Node>>(sched.steps.map((n) => [n, new Set(readsOf(n, sched).map(root))]));
  const steps = [...sched.steps];
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i];
    if (!isLoop(s, sched)) continue;
    const j = steps.findIndex((t, k) => k > i && (reads.get(t)?.has(s) ?? false));
    if (j < 0 || j === i + 1 || !isLoop(steps[j], sched) || !sameShape(shapeOf(steps[j]), shapeOf(s)))
      continue;
    steps.splice(i, 1);
    steps.splice(j - 1, 0, s);
  }
  return { ...sched, steps };
}

/** Consecutive elementwise steps of one shape, grouped; every other step alone. */
export function loopGroups(
  steps: readonly Node[],
  sched: Schedule,
  shapeOf: (n: Node) => readonly number[],
): Node[][] {
  const groups: Node[][] = [];
  for (const s of steps) {
    const last = groups[groups.length - 1];
    const head = last?.[0];
    if (head && isLoop(head, sched) && isLoop(s, sched) && sameShape(shapeOf(head), shapeOf(s))) last.push(s);
    else groups.push([s]);
  }
  return groups;
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

/**
 * The updates that can be computed straight into their variable's buffer: the value is made by an
 * elementwise step (each element reads its operands at its own index before writing it), of the
 * variable's shape, that is the last step to read the variable (before, every reader saw the old
 * value), the variable is not an output nor another update's value (a swap commits the old value),
 * and no other variable takes the same value. Then a
 * training step writes its parameters and optimiser state once and commits nothing.
 */
export function inPlaceUpdates(
  sched: Schedule,
  targets: readonly Node[],
  updates: readonly (readonly [Node, Node])[],
  shapeOf: (n: Node) => readonly number[],
): Map<Node, Node> {
  const at = new Map<Node, number>(sched.steps.map((n, k) => [n, k]));
  const root = (n: Node): Node => (sched.aliases.has(n) ? root(n.inputs[0]) : n);
  const lastRead = new Map<Node, number>();
  sched.steps.forEach((step, k) => {
    for (const r of readsOf(step, sched)) lastRead.set(root(r), k);
  });
  const outputs = new Set(targets.map(root));
  const taken = new Map<Node, number>();
  for (const [, u] of updates) taken.set(u, (taken.get(u) ?? 0) + 1);
  const out = new Map<Node, Node>();
  for (const [v, u] of updates) {
    const k = at.get(u);
    const members = sched.members.get(u) ?? [u];
    const same = shapeOf(u).join() === shapeOf(v).join() && u.dtype === v.dtype;
    if (k === undefined || sched.aliases.has(u) || !isFusable(u) || !members.every(isFusable)) continue;
    if (!same || outputs.has(v) || taken.has(v) || taken.get(u) !== 1 || (lastRead.get(v) ?? -1) > k)
      continue;
    out.set(u, v);
  }
  return out;
}
