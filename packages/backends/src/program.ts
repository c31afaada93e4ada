import {
  diagnostic,
  dimAnchors,
  GradusError,
  type Graph,
  hasSymbolicAttrs,
  type Node,
  suggest,
  type Tensor,
  topoSort,
} from '@gradus/autodiff';

/**
 * What an executable runs, derived once from its graph and the outputs asked for: the output
 * nodes, the variable updates (variable node, new value), every node either needs in topological
 * order, the leaves among them, and whether any shape is still symbolic. Every backend starts here.
 */
export interface Program {
  readonly outputNames: readonly string[];
  readonly targets: readonly Node[];
  readonly updates: readonly (readonly [Node, Node])[];
  readonly order: readonly Node[];
  readonly leaves: readonly Node[];
  readonly variables: readonly string[];
  readonly symbolic: boolean;
}

export function programOf(g: Graph, outputs?: readonly string[]): Program {
  const outputNames = outputs ?? [...g.outputs.keys()];
  for (const n of outputNames) {
    if (!g.outputs.has(n)) {
      const close = suggest(n, g.outputs.keys());
      throw new GradusError(
        diagnostic('E0406', `no output named '${n}'${close ? ` (did you mean '${close}'?)` : ''}`),
      );
    }
  }
  const targets = outputNames.map((n) => g.outputs.get(n)!.node);
  const updates = [...g.updates].map(([name, v]) => [g.variables.get(name)!, v] as const);
  const reached = topoSort([...targets, ...updates.flat()]);
  // Inputs read only for their sizes (a loss using N but no input) are leaves too: they bind N.
  const order = [...dimAnchors(g, reached), ...reached];
  return {
    outputNames,
    targets,
    updates,
    order,
    leaves: order.filter((n) => n.op === 'Input' || n.op === 'Variable'),
    variables: [...g.variables.keys()],
    symbolic: order.some((n) => n.shape.some((d) => typeof d === 'string') || hasSymbolicAttrs(n)),
  };
}

/** A run's outputs by name: each target's shape and dtype, with the data `dataOf` reads back. */
export function collectOutputs(
  outputNames: Program['outputNames'],
  targets: Program['targets'],
  shapeOf: (n: Node) => Tensor['shape'],
  dataOf: (n: Node, k: number) => Float64Array,
): Record<string, Tensor> {
  const out: Record<string, Tensor> = Object.create(null);
  for (let k = 0; k < outputNames.length; k++) {
    const node = targets[k];
    out[outputNames[k]] = { shape: shapeOf(node), dtype: node.dtype, data: dataOf(node, k) };
  }
  return out;
}
