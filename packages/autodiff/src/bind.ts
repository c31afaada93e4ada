/**
 * Shape specialisation: `bindDims(g, { N: 32 })` is a copy of `g` in which the symbolic dim `N`
 * is 32 everywhere. Backends compile one specialisation per batch size from it. Every node is
 * re-added through `Graph.add`, so the shape rules check the bound graph again (codes E0261–E0262).
 */

import { type Diagnostic, diagnostic, GradusError } from './diagnostic.js';
import { type Dim, dimSymbols, substituteDim } from './dim-expr.js';
import { Graph } from './graph.js';
import type { Attrs, AttrValue, Node } from './node.js';
import type { ArgInfo, Inferred } from './op.js';
import { opDefs } from './ops/index.js';
import { bindShape, type ConcreteShape, formatShape, type Shape, sameShape } from './shape.js';
import { describeNode, formatType } from './text.js';

export const BIND_CODES = {
  badValue: 'E0261',
  inconsistent: 'E0262',
  notASize: 'E0263',
  unbound: 'E0404',
} as const;

/** The attrs of `node` that hold dims (see `OpDef.dimAttrs`). */
function dimAttrsOf(node: Node): readonly string[] {
  return opDefs[node.op]?.dimAttrs ?? [];
}

/** The symbolic dims a node mentions, in its type and its dim attrs. */
function nodeSymbols(node: Node, into: Set<string>): void {
  const add = (s: unknown) => {
    if (Array.isArray(s))
      for (const d of s) if (typeof d === 'string') for (const n of dimSymbols(d)) into.add(n);
  };
  add(node.shape);
  for (const k of dimAttrsOf(node)) add(node.attrs[k]);
}

/** Every symbolic dim name that occurs in a node's type or dim attrs, sorted. */
export function symbolicDims(g: Graph): string[] {
  const syms = new Set<string>();
  for (const n of g.nodes) nodeSymbols(n, syms);
  return [...syms].sort();
}

/**
 * The inputs of `g` that a computation needs for their sizes alone: `order` (its nodes) uses a dim
 * that none of its own leaves carries, as a loss that uses `N` but reads no input (`let e = N`).
 * Evaluators add these inputs as leaves, so the data still binds N.
 */
export function dimAnchors(g: Graph, order: readonly Node[]): Node[] {
  const used = new Set<string>();
  const carried = new Set<string>();
  for (const n of order) nodeSymbols(n, n.op === 'Input' || n.op === 'Variable' ? carried : used);
  const missing = [...used].filter((d) => !carried.has(d));
  if (missing.length === 0) return [];
  const inOrder = new Set(order);
  return [...g.inputs.values()].filter((input) => {
    if (inOrder.has(input)) return false;
    const dims = new Set<string>();
    nodeSymbols(input, dims);
    return missing.some((d) => dims.has(d));
  });
}

/** Whether any dim attr of `node` is still symbolic (so it cannot run without a binding). */
export function hasSymbolicAttrs(node: Node): boolean {
  return dimAttrsOf(node).some((k) => {
    const v = node.attrs[k];
    return Array.isArray(v) && v.some((d) => typeof d === 'string');
  });
}

/** `node`'s attrs with `dims` substituted in its dim attrs (the same object when nothing changes). */
function boundAttrs(node: Node, dims: Readonly<Record<string, number>>): Attrs {
  let out: Record<string, AttrValue> | undefined;
  for (const k of dimAttrsOf(node)) {
    const v = node.attrs[k];
    if (!Array.isArray(v) || !v.some((d) => typeof d === 'string')) continue;
    out ??= { ...node.attrs };
    out[k] = v.map((d) => (typeof d === 'string' ? substituteDim(d, dims) : d));
  }
  return out ?? node.attrs;
}

function bindingText(names: readonly string[], dims: Readonly<Record<string, number>>): string {
  return names.map((n) => `${n} = ${dims[n]}`).join(', ');
}

/** "so N must be a multiple of 4", for a dim `c*N/k` (the batch dim divided by a constant). */
function divisibilityHint(d: string): string | undefined {
  const m = /^(?:(\d+)\*)?([A-Za-z_$][\w$]*)\/(\d+)$/.exec(d);
  if (!m) return undefined;
  const c = Number(m[1] ?? 1);
  const k = Number(m[3]);
  let [a, b] = [c, k];
  while (b) [a, b] = [b, a % b];
  return `${m[2]} must be a multiple of ${k / a}`;
}

/**
 * The value of dim `d` under `dims` as a size: E0404 when a name it uses is unbound, E0263 when
 * it comes out fractional or negative (`N/4` with N = 30). `what` names the tensor or op in the
 * message; `span` locates it in the model (the line of the reshape, for instance).
 */
export function concreteDim(
  d: Dim,
  dims: Readonly<Record<string, number>>,
  what: string,
  span?: Node['span'],
): number {
  if (typeof d === 'number') return d;
  const v = substituteDim(d, dims);
  const at = span ? { span } : {};
  if (typeof v === 'string') {
    const missing = dimSymbols(v).filter((n) => !Object.hasOwn(dims, n));
    throw new GradusError(
      diagnostic(
        BIND_CODES.unbound,
        `${what}: dimension ${missing.join(', ')} is not bound by any input`,
        at,
      ),
    );
  }
  if (!Number.isInteger(v) || v < 0) {
    const names = dimSymbols(d);
    const hint = Number.isInteger(v) ? undefined : divisibilityHint(d);
    throw new GradusError(
      diagnostic(
        BIND_CODES.notASize,
        `${what}: with ${bindingText(names, dims)}, the dim ${d} is ${Number.isNaN(v) ? 'undefined' : v}, not a size (a whole number ≥ 0)`,
        { ...at, ...(hint ? { hint } : {}) },
      ),
    );
  }
  return v;
}

/** A shape with every dim bound to a size (see `concreteDim` for the errors). */
export function concreteShapeOf(
  shape: Shape,
  dims: Readonly<Record<string, number>>,
  what: string,
  span?: Node['span'],
): number[] {
  return shape.map((d) => concreteDim(d, dims, what, span));
}

/** How a node is named in binding errors: its tensor's name when it has one, else its op. */
function nodeWhat(node: Node): string {
  return typeof node.attrs.name === 'string' ? node.attrs.name : node.op;
}

/** Every dim of `node` (type and dim attrs) that `dims` fully binds must be a size. */
function checkBoundSizes(node: Node, attrs: Attrs, dims: Readonly<Record<string, number>>): void {
  const what = nodeWhat(node);
  for (const d of node.shape)
    if (typeof d === 'string' && typeof substituteDim(d, dims) === 'number')
      concreteDim(d, dims, what, node.span);
  for (const k of dimAttrsOf(node)) {
    const v = attrs[k];
    if (!Array.isArray(v)) continue;
    const raw = node.attrs[k] as readonly AttrValue[];
    v.forEach((d, i) => {
      if (typeof d === 'number' && typeof raw[i] === 'string')
        concreteDim(raw[i] as string, dims, what, node.span);
    });
  }
}

/** A node as one specialisation runs it: every dim a size, in its shape and in its attrs. */
export interface BoundNode {
  readonly shape: ConcreteShape;
  readonly attrs: Attrs;
}

/**
 * The shared binder of every evaluator: `node` under `dims`, given its inputs' bound shapes.
 * Its shape and dim attrs become sizes (E0404, E0263), and its shape rule runs again on them, so
 * a constraint that only shows at run time (a slice past the end of an axis bound to 3) is
 * reported (E0262) at the node's span rather than computed wrongly.
 */
export function bindNode(
  node: Node,
  inputShapes: readonly ConcreteShape[],
  dims: Readonly<Record<string, number>>,
): BoundNode {
  const what = nodeWhat(node);
  const shape = concreteShapeOf(node.shape, dims, what, node.span);
  const attrs = boundAttrs(node, dims);
  // A node whose type and attrs are sizes may still read an input of symbolic shape (`x[7, 0]` on
  // `x: [N, 2]`): its rule runs again once N is bound, so a row past the end is an error, not garbage.
  const concrete = (n: Node) => n.shape.every((d) => typeof d === 'number');
  if (attrs === node.attrs && concrete(node) && node.inputs.every(concrete)) return { shape, attrs };
  checkBoundSizes(node, attrs, dims);
  for (const k of dimAttrsOf(node)) {
    const v = attrs[k];
    if (Array.isArray(v)) for (const d of v) if (typeof d === 'string') concreteDim(d, dims, what, node.span);
  }
  const ins: ArgInfo[] = node.inputs.map((n, i) => ({ shape: inputShapes[i], dtype: n.dtype }));
  let inferred: Inferred;
  try {
    inferred = (opDefs[node.op].infer as (i: readonly ArgInfo[], a: Attrs) => Inferred)(ins, attrs);
  } catch (e) {
    if (!(e instanceof GradusError)) throw e;
    throw new GradusError(
      diagnostic(
        BIND_CODES.inconsistent,
        `with ${bindingText(symbolsOf(node), dims)}, ${what} is no longer valid: ${e.diagnostics.map((d) => d.message).join('; ')}`,
        node.span ? { span: node.span } : {},
      ),
    );
  }
  if (!sameShape(inferred.shape, shape)) {
    throw new GradusError(
      diagnostic(
        BIND_CODES.inconsistent,
        `with ${bindingText(symbolsOf(node), dims)}, ${what} should be ${formatShape(shape)} but its shape rule gives ${formatShape(inferred.shape)}`,
        node.span ? { span: node.span } : {},
      ),
    );
  }
  return { shape, attrs };
}

function symbolsOf(node: Node): string[] {
  const s = new Set<string>();
  nodeSymbols(node, s);
  for (const i of node.inputs) nodeSymbols(i, s);
  return [...s].sort();
}

/** What one specialisation reads of its nodes: sizes only. */
export interface NodeBindings {
  /** The node's shape. */
  shape(n: Node): ConcreteShape;
  /** A dim attr of the node (`starts`, `before`, `dims`), as sizes. */
  dims(n: Node, attr: string): readonly number[];
}

/**
 * Binds every node of `order` (inputs before users) under `dims`: the table an evaluator or a
 * code generator reads shapes and dim attrs from, so no backend does symbolic arithmetic.
 */
export function bindNodes(order: readonly Node[], dims: Readonly<Record<string, number>>): NodeBindings {
  const out = new Map<Node, BoundNode>();
  const get = (n: Node): BoundNode => {
    const b = out.get(n);
    if (!b) throw new Error(`internal: ${describeNode(n)} is not in the bound order`);
    return b;
  };
  for (const n of order)
    out.set(
      n,
      bindNode(
        n,
        n.inputs.map((i) => get(i).shape),
        dims,
      ),
    );
  return {
    shape: (n) => get(n).shape,
    dims: (n, attr) => get(n).attrs[attr] as readonly number[],
  };
}

/**
 * A new graph with the symbolic dims in `dims` replaced by their values (dims not listed stay
 * symbolic; names the graph does not use are ignored). `Size` nodes whose dims all become
 * known are folded to constants. Throws a GradusError when a value is not a size, or when it
 * contradicts the graph (e.g. a slice `x[0:5]` of an axis `N` bound to 3).
 */
export function bindDims(g: Graph, dims: Readonly<Record<string, number>>): Graph {
  const bad: Diagnostic[] = [];
  for (const [name, v] of Object.entries(dims)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      bad.push(
        diagnostic(
          BIND_CODES.badValue,
          `bindDims: ${name} = ${String(v)} is not a size (a non-negative integer)`,
        ),
      );
    }
  }
  if (bad.length > 0) throw new GradusError(bad);
  const binding = Object.entries(dims)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

  const ng = new Graph({ floatDtype: g.floatDtype, mode: g.mode, seed: g.seed });
  ng.reserveStreams(g.streamCount);
  const map = new Map<Node, Node>();
  for (const node of g.nodes) {
    const inputs = node.inputs.map((i) => map.get(i) as Node);
    let op = node.op;
    let attrs = boundAttrs(node, dims);
    checkBoundSizes(node, attrs, dims);
    if (node.op === 'Size') {
      const ds = attrs.dims as Dim[];
      if (ds.every((d) => typeof d === 'number')) {
        op = 'Const';
        attrs = { value: [ds.reduce((p, d) => p * d, 1)], shape: [], dtype: node.dtype };
      }
    }
    let out: Node;
    try {
      out = ng.add(op, inputs, attrs, node.span);
    } catch (e) {
      if (!(e instanceof GradusError)) throw e;
      throw new GradusError(
        diagnostic(
          BIND_CODES.inconsistent,
          `bindDims: with ${binding}, ${describeNode(node)} is no longer valid: ${e.diagnostics.map((d) => d.message).join('; ')}`,
          node.span ? { span: node.span } : {},
        ),
      );
    }
    const expected = bindShape(node.shape, dims);
    if (!sameShape(out.shape, expected) || out.dtype !== node.dtype) {
      throw new GradusError(
        diagnostic(
          BIND_CODES.inconsistent,
          `bindDims: with ${binding}, ${describeNode(node)} should be ${node.dtype}${formatShape(expected)} but its shape rule gives ${formatType(out)}`,
          node.span ? { span: node.span } : {},
        ),
      );
    }
    map.set(node, out);
  }
  for (const [name, n] of g.inputs) ng.inputs.set(name, map.get(n) as Node);
  for (const [name, n] of g.variables) ng.variables.set(name, map.get(n) as Node);
  for (const [name, o] of g.outputs) ng.outputs.set(name, { node: map.get(o.node) as Node, kind: o.kind });
  for (const [name, n] of g.updates) ng.updates.set(name, map.get(n) as Node);
  return ng;
}
