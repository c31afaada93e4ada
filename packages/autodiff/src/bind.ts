/**
 * Shape specialisation: `bindDims(g, { N: 32 })` is a copy of `g` in which the symbolic dim `N`
 * is 32 everywhere. Backends compile one specialisation per batch size from it. Every node is
 * re-added through `Graph.add`, so the shape rules check the bound graph again (codes E0261–E0262).
 */
import { type Diagnostic, diagnostic, GradusError } from './diagnostic.js';
import { Graph } from './graph.js';
import type { Attrs, Node } from './node.js';
import { bindShape, type Dim, formatShape, sameShape } from './shape.js';
import { describeNode, formatType } from './text.js';

export const BIND_CODES = { badValue: 'E0261', inconsistent: 'E0262' } as const;

/** Every symbolic dim that occurs in a node's type or shape-bearing attrs, sorted. */
export function symbolicDims(g: Graph): string[] {
  const syms = new Set<string>();
  const add = (s: unknown) => {
    if (Array.isArray(s)) for (const d of s) if (typeof d === 'string') syms.add(d);
  };
  for (const n of g.nodes) {
    add(n.shape);
    add(n.attrs.shape);
    if (n.op === 'Size') add(n.attrs.dims);
  }
  return [...syms].sort();
}

/** `node`'s attrs with `dims` substituted: the `shape` attr of any op, and `Size`'s `dims`. */
function boundAttrs(node: Node, dims: Readonly<Record<string, number>>): Attrs {
  const shape = node.attrs.shape;
  if (!Array.isArray(shape) || !shape.some((d) => typeof d === 'string' && d in dims)) return node.attrs;
  return { ...node.attrs, shape: bindShape(shape as Dim[], dims) };
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
    if (node.op === 'Size') {
      const ds = bindShape(node.attrs.dims as Dim[], dims);
      if (ds.every((d) => typeof d === 'number')) {
        op = 'Const';
        attrs = { value: [(ds as number[]).reduce((p, d) => p * d, 1)], shape: [], dtype: node.dtype };
      } else attrs = { ...node.attrs, dims: ds };
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
