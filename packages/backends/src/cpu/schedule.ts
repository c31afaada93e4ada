/**
 * Fusion: decides which nodes are computed inline inside another node's loop instead of being
 * materialised. An elementwise node (or a broadcast) joins the group of its consumers when every
 * consumer is in one group of the same shape and the node is not a result; a reduction absorbs
 * the elementwise group that feeds it when it is that group's only consumer, so
 * `sum(tanh(x) * x)` is a single loop.
 */
import { type Node, opDefs } from '@gradus/autodiff';

export interface Schedule {
  /** Every node needed, inputs before users. */
  readonly order: readonly Node[];
  /** Nodes that get a kernel, in execution order (leaves excluded). */
  readonly steps: readonly Node[];
  /**
   * Inline nodes computed by a step, in topological order: for an elementwise root its whole group
   * (root last); for a reduction, the group of its input (when absorbed).
   */
  readonly members: ReadonlyMap<Node, readonly Node[]>;
  /** Nodes never materialised. */
  readonly inline: ReadonlySet<Node>;
  /** Steps that share their input's buffer (reshapes, and gradient stops that fused with nothing). */
  readonly aliases: ReadonlySet<Node>;
}

const REDUCTIONS = new Set(['Sum', 'Max', 'Min']);

/**
 * A fused group is one block of generated code with a local per member; past this many members
 * a chain is cut into several groups, so the code stays within what the engine compiles and runs
 * (a chain of 100,000 elementwise ops in one block overflows the stack).
 */
export const MAX_GROUP_MEMBERS = 1000;

export function isLeaf(n: Node): boolean {
  return opDefs[n.op].leaf === true;
}

/** Elementwise in the fusion sense: each output element reads the same position of every (broadcast) input. */
export function isFusable(n: Node): boolean {
  return opDefs[n.op].elementwise === true || n.op === 'BroadcastTo';
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function schedule(
  order: readonly Node[],
  results: ReadonlySet<Node>,
  shapeOf: (n: Node) => readonly number[],
  fuse: boolean,
): Schedule {
  const consumers = new Map<Node, Node[]>();
  for (const n of order) {
    for (const i of new Set(n.inputs)) {
      const list = consumers.get(i);
      if (list) list.push(n);
      else consumers.set(i, [n]);
    }
  }
  const groupOf = new Map<Node, Node>();
  const groupSize = new Map<Node, number>();
  const members = new Map<Node, Node[]>();
  const inline = new Set<Node>();
  for (let k = order.length - 1; k >= 0; k--) {
    const n = order[k];
    if (!isFusable(n)) continue;
    const cons = consumers.get(n) ?? [];
    const root = cons.length > 0 ? groupOf.get(cons[0]) : undefined;
    const joins =
      fuse &&
      !results.has(n) &&
      root !== undefined &&
      cons.every((c) => groupOf.get(c) === root) &&
      (groupSize.get(root) ?? 1) < MAX_GROUP_MEMBERS &&
      sameShape(shapeOf(n), shapeOf(root));
    const r = joins ? root : n;
    groupOf.set(n, r);
    groupSize.set(r, (groupSize.get(r) ?? 0) + 1);
    if (joins) inline.add(n);
  }
  for (const n of order) {
    const r = groupOf.get(n);
    if (r === undefined) continue;
    const list = members.get(r);
    if (list) list.push(n);
    else members.set(r, [n]);
  }
  if (fuse) {
    for (const n of order) {
      if (!REDUCTIONS.has(n.op)) continue;
      const x = n.inputs[0];
      const cons = consumers.get(x) ?? [];
      if (groupOf.get(x) === x && !results.has(x) && cons.length === 1) {
        members.set(n, members.get(x) ?? [x]);
        members.delete(x);
        inline.add(x);
      }
    }
  }
  const steps = order.filter((n) => !isLeaf(n) && !inline.has(n));
  const aliases = new Set(
    steps.filter(
      (n) => n.op === 'Reshape' || (n.op === 'StopGradient' && (members.get(n) ?? [n]).length === 1),
    ),
  );
  return { order, steps, members, inline, aliases };
}
