/**
 * `gradus compile --emit dot`: the model's graph for Graphviz, in two clusters: the forward graph
 * (everything the outputs and state updates need) and the backward graph (the nodes `grad` added
 * to compute every param's gradient). Node ids are generated (`n12`); every piece of user text
 * (names, shapes with symbolic dims) goes through `quote`, so any name renders as written.
 */
import { type AttrValue, type Graph, type Node, stableStringify, topoSort } from '@gradus/autodiff';
import type { ModelInfo } from '../lower/index.js';
import { graphParts } from './parts.js';

export interface EmitDotOptions {
  /** Include the gradient graph (default true). */
  readonly backward?: boolean;
  /** Graphviz layout direction (default top to bottom). */
  readonly rankdir?: 'TB' | 'LR';
}

/** A DOT double-quoted string: backslashes and quotes escaped, line breaks as DOT's `\n`. */
export function quote(text: string): string {
  return `"${text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\r\n|[\r\n\u2028\u2029]/g, '\\n')}"`;
}

const STYLE = {
  input: 'shape=box, style="rounded,filled", fillcolor="#cfe8fc"',
  param: 'shape=box, style="filled,bold", fillcolor="#fde2a7"',
  state: 'shape=box, style="filled,dashed", fillcolor="#e6e6e6"',
  constant: 'shape=box, style=filled, fillcolor="#f5f5f5", fontsize=9',
  op: 'shape=ellipse',
  output: 'shape=oval, style=filled, fillcolor="#c8f7c5", peripheries=2',
  metric: 'shape=oval, style=filled, fillcolor="#e3d4f7", peripheries=2',
  loss: 'shape=oval, style=filled, fillcolor="#f7c5c5", peripheries=2',
  update: 'shape=oval, style="filled,dashed", fillcolor="#e6e6e6"',
  grad: 'shape=oval, style=filled, fillcolor="#f7c5c5", peripheries=2',
} as const;

/** Attrs that the label shows in another form (or that are too long to show). */
const HIDDEN_ATTRS = new Set(['name', 'shape', 'dtype', 'kind', 'init', 'value']);

export function emitDot(graph: Graph, model: Pick<ModelInfo, 'name'>, opts: EmitDotOptions = {}): string {
  const parts = graphParts(graph);
  const forwardRoots = [...parts.outputs.map((o) => o.node), ...parts.updates.map((u) => u.node)];
  const forward = topoSort(forwardRoots);
  const inForward = new Set(forward);
  const backward = opts.backward === false ? [] : topoSort(parts.grads).filter((n) => !inForward.has(n));

  const lines: string[] = [
    `digraph ${quote(model.name)} {`,
    `  graph [rankdir=${opts.rankdir ?? 'TB'}, fontname="Helvetica", compound=true];`,
    '  node [fontname="Helvetica", fontsize=10];',
    '  edge [arrowsize=0.6];',
  ];
  const cluster = (id: string, label: string, nodes: readonly Node[], sinks: readonly string[]) => {
    lines.push(
      `  subgraph ${id} {`,
      `    label=${quote(label)};`,
      '    style=rounded;',
      '    color="#999999";',
    );
    for (const n of nodes) lines.push(`    ${nodeId(n)} [label=${quote(nodeLabel(n))}, ${nodeStyle(n)}];`);
    for (const s of sinks) lines.push(`    ${s}`);
    lines.push('  }');
  };

  const sinkEdges: string[] = [];
  const forwardSinks = [
    ...parts.outputs.map((o, i) => {
      sinkEdges.push(`  ${nodeId(o.node)} -> out${i};`);
      return `out${i} [label=${quote(`${o.name}\n${o.kind}`)}, ${STYLE[o.kind]}];`;
    }),
    ...parts.updates.map((u, i) => {
      sinkEdges.push(`  ${nodeId(u.node)} -> upd${i} [style=dashed];`);
      return `upd${i} [label=${quote(`${u.name}\nnew value`)}, ${STYLE.update}];`;
    }),
  ];
  cluster('cluster_forward', 'forward', forward, forwardSinks);
  if (opts.backward !== false && parts.loss) {
    const gradSinks = parts.params.map((p, i) => {
      sinkEdges.push(`  ${nodeId(parts.grads[i])} -> grad${i};`);
      return `grad${i} [label=${quote(`d ${parts.loss?.name} / d ${p.name}`)}, ${STYLE.grad}];`;
    });
    cluster('cluster_backward', 'backward', backward, gradSinks);
  }
  for (const n of [...forward, ...backward]) {
    for (const input of n.inputs) lines.push(`  ${nodeId(input)} -> ${nodeId(n)};`);
  }
  lines.push(...sinkEdges, '}');
  return `${lines.join('\n')}\n`;
}

function nodeId(n: Node): string {
  return `n${n.id}`;
}

function nodeStyle(n: Node): string {
  if (n.op === 'Input') return STYLE.input;
  if (n.op === 'Variable') return n.attrs.kind === 'state' ? STYLE.state : STYLE.param;
  if (n.op === 'Const') return STYLE.constant;
  return STYLE.op;
}

/** `Op attrs` then `[shape] dtype`; leaves show their name, small constants their value. */
function nodeLabel(n: Node): string {
  const type = `[${n.shape.join(', ')}] ${n.dtype}`;
  if (n.op === 'Input' || n.op === 'Variable') return `${n.attrs.name as string}\n${type}`;
  if (n.op === 'Const') {
    const value = n.attrs.value as readonly number[];
    return value.length <= 4
      ? `${value.length === 1 ? value[0] : `[${value.join(', ')}]`}\n${type}`
      : `Const\n${type}`;
  }
  const attrs = Object.entries(n.attrs)
    .filter(([k, v]) => !HIDDEN_ATTRS.has(k) && v !== false)
    .map(([k, v]) => (v === true ? k : `${k}=${stableStringify(v as AttrValue)}`))
    .join(' ');
  const shown = attrs.length > 40 ? `${attrs.slice(0, 39)}…` : attrs;
  return `${n.op}${shown ? ` ${shown}` : ''}\n${type}`;
}
