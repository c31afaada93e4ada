/**
 * The one rewrite engine every graph pass runs on. A pass is a list of rules; passes compose by
 * concatenating their lists. The engine rebuilds the graph bottom-up from its roots (outputs and
 * updates) into a NEW graph:
 *
 * - only nodes the roots reach are rebuilt, which is dead-code elimination;
 * - the new graph hash-conses, so equal nodes become one, which is common-subexpression elimination;
 * - each rebuilt node is offered to the rules, in order, until none fires (a fixed point per node).
 *
 * A rule sees a node of the new graph whose inputs are already rewritten, and returns a
 * replacement (a node of the new graph or a builder `Value`) or `undefined`. A replacement must
 * have exactly the node's shape and dtype; the engine checks this and throws on a broken rule.
 * Named inputs and variables are kept even when unused, since callers feed them by name.
 *
 * So that no pass grows a graph, rules build replacements only from the node's inputs and their
 * inputs (plus constants standing for the node itself): then every node of the result is the
 * image of a node of the original, and `rewrite` never increases the number of reachable nodes.
 */
import { diagnostic, GradusError } from '../diagnostic.js';
import type { DType } from '../dtype.js';
import { Graph } from '../graph.js';
import { type Attrs, type Node, topoSort } from '../node.js';
import type { OpName } from '../ops/index.js';
import { formatShape, type Shape, sameShape } from '../shape.js';
import { describeNode, formatType } from '../text.js';
import { Value } from '../value.js';

/** What a rule may use to build its replacement. */
export interface RewriteContext {
  /** The graph being built; the node under rewrite and its inputs belong to it. */
  readonly graph: Graph;
  /** Adds (or finds) `op(inputs)` in the new graph, with the span of the node under rewrite. */
  add(op: OpName, inputs: readonly Node[], attrs?: Attrs): Node;
  /** A literal tensor (`value` row-major) in the new graph. */
  constant(value: readonly number[], shape: Shape, dtype: DType): Node;
  /** `x` broadcast to `shape`: `x` itself when it already has that shape. */
  broadcastTo(x: Node, shape: Shape): Node;
}

/** A rewrite rule: a replacement for `node`, or undefined to leave it alone. */
export type Rule = (node: Node, ctx: RewriteContext) => Node | Value | undefined;

/** A pass is a list of rules, tried in order; concatenate lists to compose passes. */
export type Pass = readonly Rule[];

export interface RewriteOptions {
  /** Rule applications allowed per node before the rules are declared non-terminating (default 100). */
  readonly maxStepsPerNode?: number;
}

const isNamedLeaf = (n: Node) => n.op === 'Input' || n.op === 'Variable';

function internal(message: string, node: Node): never {
  throw new GradusError(
    diagnostic('E0270', `internal error in a graph pass: ${message}`, node.span ? { span: node.span } : {}),
  );
}

/** Copies the graph options and the random-stream counter. */
function emptyLike(g: Graph): Graph {
  const ng = new Graph({ floatDtype: g.floatDtype, mode: g.mode, seed: g.seed });
  ng.reserveStreams(g.streamCount);
  return ng;
}

/**
 * Copies `roles` of `g` into `ng` through `map` (old node → new node): inputs, variables,
 * outputs (with their kinds) and updates, under the same names and in the same order.
 */
function copyRoles(g: Graph, ng: Graph, map: (n: Node) => Node): void {
  for (const [name, n] of g.inputs) ng.inputs.set(name, map(n));
  for (const [name, n] of g.variables) ng.variables.set(name, map(n));
  for (const [name, o] of g.outputs) ng.outputs.set(name, { node: map(o.node), kind: o.kind });
  for (const [name, n] of g.updates) ng.updates.set(name, map(n));
}

/** The nodes that matter in `g`: those the roots reach, plus every named input and variable. */
export function liveNodes(g: Graph): Node[] {
  const live = new Set<Node>([...g.inputs.values(), ...g.variables.values()]);
  for (const n of g.reachable()) live.add(n);
  return [...live].sort((a, b) => a.id - b.id);
}

/** How many nodes `g`'s roots reach, counting every named input and variable (what passes shrink). */
export function countLiveNodes(g: Graph): number {
  return liveNodes(g).length;
}

/**
 * Runs `rules` over `g` (see the module comment) and returns the rewritten graph: a new Graph
 * with the same options, named inputs, variables, outputs and updates, holding only live nodes.
 */
export function rewrite(g: Graph, rules: Pass, opts: RewriteOptions = {}): Graph {
  const maxSteps = opts.maxStepsPerNode ?? 100;
  // Rules build into a scratch graph; its dead intermediates are dropped when compacting below.
  const scratch = emptyLike(g);
  const ctx: RewriteContext = {
    graph: scratch,
    add: (op, inputs, attrs = {}) => scratch.add(op, inputs, attrs),
    constant: (value, shape, dtype) =>
      scratch.add('Const', [], { value: [...value], shape: [...shape], dtype }),
    broadcastTo: (x, shape) =>
      sameShape(x.shape, shape) ? x : scratch.add('BroadcastTo', [x], { shape: [...shape] }),
  };
  const normal = new Set<Node>();

  const apply = (rule: Rule, cur: Node): Node | undefined => {
    const r = scratch.withSpan(cur.span, () => rule(cur, ctx));
    if (r === undefined) return undefined;
    const rn = r instanceof Value ? r.node : r;
    const name = rule.name || 'anonymous rule';
    if (!rn || scratch.nodes[rn.id] !== rn) internal(`rule ${name} returned a node of another graph`, cur);
    if (rn === cur) return undefined;
    if (!sameShape(rn.shape, cur.shape) || rn.dtype !== cur.dtype) {
      internal(
        `rule ${name} replaced ${describeNode(cur)} of type ${formatType(cur)} by ${describeNode(rn)} of type ${rn.dtype}${formatShape(rn.shape)}`,
        cur,
      );
    }
    return rn;
  };

  /** Rewrites `start` (a node of the scratch graph) to normal form: its inputs first, then itself. */
  const normalize = (start: Node): Node => {
    let cur = start;
    let steps = 0;
    for (;;) {
      if (normal.has(cur)) return cur;
      const ins = cur.inputs.map(normalize);
      if (ins.some((n, k) => n !== cur.inputs[k])) {
        cur = scratch.add(cur.op, ins, cur.attrs, cur.span);
        if (normal.has(cur)) return cur;
      }
      if (isNamedLeaf(cur)) break;
      let next: Node | undefined;
      for (const rule of rules) {
        next = apply(rule, cur);
        if (next) break;
      }
      if (!next) break;
      if (++steps > maxSteps)
        internal(`the rules do not reach a fixed point on ${describeNode(start)}`, start);
      cur = next;
    }
    normal.add(cur);
    return cur;
  };

  const map = new Map<Node, Node>();
  // Named leaves first, in their original order, so they keep the lowest ids.
  const leaves = [...new Set([...g.inputs.values(), ...g.variables.values()])].sort((a, b) => a.id - b.id);
  for (const old of [...leaves, ...topoSort(g.roots())]) {
    if (map.has(old)) continue;
    const ins = old.inputs.map((i) => map.get(i) as Node);
    map.set(old, normalize(scratch.add(old.op, ins, old.attrs, old.span)));
  }

  // Compact: copy the live part of the scratch graph, in id order, into the result.
  const out = emptyLike(g);
  const mapped = (n: Node) => map.get(n) as Node;
  const roots = [
    ...[...g.outputs.values()].map((o) => mapped(o.node)),
    ...[...g.updates.values()].map(mapped),
  ];
  const live = new Set<Node>([...leaves.map(mapped), ...topoSort(roots)]);
  const final = new Map<Node, Node>();
  for (const n of [...live].sort((a, b) => a.id - b.id)) {
    final.set(
      n,
      out.add(
        n.op,
        n.inputs.map((i) => final.get(i) as Node),
        n.attrs,
        n.span,
      ),
    );
  }
  copyRoles(g, out, (n) => final.get(mapped(n)) as Node);
  return out;
}
