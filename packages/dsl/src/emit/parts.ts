/**
 * What both emitters need to know about a model's graph: its leaves by role, its named results,
 * and the gradient graph. Gradients are built here with `grad` (graph to graph); hash-consing
 * makes a second call return the same nodes, so the TypeScript and DOT emitters agree.
 */
import { type Graph, grad, type Node, type OutputKind, STEP_INPUT } from '@gradus/autodiff';

export interface NamedNode {
  readonly name: string;
  readonly node: Node;
}

export interface GraphParts {
  /** Data inputs, without the step counter. */
  readonly inputs: readonly NamedNode[];
  /** The step counter random ops read, when the graph has one. */
  readonly step?: Node;
  readonly params: readonly NamedNode[];
  /** Non-trainable variables (batchnorm running statistics). */
  readonly state: readonly NamedNode[];
  readonly outputs: readonly (NamedNode & { readonly kind: OutputKind })[];
  readonly loss?: NamedNode;
  /** `grads[i]` is d loss / d `params[i]`; empty without a loss. */
  readonly grads: readonly Node[];
  /** New values of state variables after a run. */
  readonly updates: readonly NamedNode[];
}

export function graphParts(graph: Graph): GraphParts {
  const named = (m: Iterable<[string, Node]>) => [...m].map(([name, node]) => ({ name, node }));
  const variables = named(graph.variables);
  const params = variables.filter((v) => v.node.attrs.kind === 'param');
  const state = variables.filter((v) => v.node.attrs.kind === 'state');
  const stateNames = new Set(state.map((s) => s.name));
  const outputs = [...graph.outputs].map(([name, o]) => ({ name, node: o.node, kind: o.kind }));
  const loss = outputs.find((o) => o.kind === 'loss');
  const grads = loss
    ? grad(
        graph.value(loss.node),
        params.map((p) => graph.value(p.node)),
      ).map((v) => v.node)
    : [];
  return {
    inputs: named(graph.inputs).filter((i) => i.name !== STEP_INPUT),
    ...(graph.inputs.has(STEP_INPUT) ? { step: graph.inputs.get(STEP_INPUT) } : {}),
    params,
    state,
    outputs,
    ...(loss ? { loss: { name: loss.name, node: loss.node } } : {}),
    grads,
    // Only state is assigned by a model graph; param updates belong to an optimizer's step graph.
    updates: named(graph.updates).filter((u) => stateNames.has(u.name)),
  };
}
