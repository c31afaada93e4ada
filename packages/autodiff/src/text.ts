/**
 * A readable, stable text form of the IR, in the spirit of a jaxpr: one line per node,
 *
 *     %5: f32[N, 100] = MatMul(%3, %4) {transA: false, transB: false}
 *
 * then one line per named output and variable update. Docs, error messages and snapshot tests use
 * it, so it depends only on the graph (ids, ops, attrs, types), never on object identity or time.
 */
import type { Graph } from './graph.js';
import { type AttrValue, type Node, topoSort } from './node.js';
import { formatShape } from './shape.js';

export interface FormatOptions {
  /** Print only nodes reachable from the outputs and updates, plus every input and variable. Default: all nodes. */
  readonly reachableOnly?: boolean;
  /** Arrays longer than this are abbreviated to their first `maxItems` entries. Default 8. */
  readonly maxItems?: number;
  /** Append each node's source span as ` @start:end`. Default false. */
  readonly spans?: boolean;
}

const DEFAULT_MAX_ITEMS = 8;
/** Ops whose `shape`/`dtype` attrs only repeat the node's type: the type annotation already shows them. */
const TYPED_BY_ATTRS = new Set(['Input', 'Variable', 'Const', 'RandomUniform', 'RandomNormal']);
const BARE_STRING = /^[A-Za-z_$][\w$.]*$/;
const RESERVED = new Set(['true', 'false', 'null', 'inf', 'nan']);

/** `%12`. */
export function nodeRef(node: Pick<Node, 'id'>): string {
  return `%${node.id}`;
}

/** `f32[N, 100]`. */
export function formatType(node: Pick<Node, 'dtype' | 'shape'>): string {
  return `${node.dtype}${formatShape(node.shape)}`;
}

/** Numbers as JS prints them (shortest round-trip form), with `inf`, `-inf`, `nan` and `-0` spelled out. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

/** An attr value: bare identifiers, JSON-quoted other strings, `{k: v}` objects, abbreviated long arrays. */
export function formatAttrValue(v: AttrValue, maxItems = DEFAULT_MAX_ITEMS): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return BARE_STRING.test(v) && !RESERVED.has(v) ? v : JSON.stringify(v);
  if (Array.isArray(v)) {
    const shown = v.slice(0, maxItems).map((e) => formatAttrValue(e, maxItems));
    if (v.length > maxItems) shown.push(`... ${v.length - maxItems} more`);
    return `[${shown.join(', ')}]`;
  }
  const o = v as { readonly [k: string]: AttrValue };
  return `{${Object.keys(o)
    .map((k) => `${BARE_STRING.test(k) ? k : JSON.stringify(k)}: ${formatAttrValue(o[k], maxItems)}`)
    .join(', ')}}`;
}

function formatAttrs(node: Node, maxItems: number): string {
  if (node.op === 'Const') {
    const value = node.attrs.value as readonly number[];
    return ` ${node.shape.length === 0 && value.length === 1 ? formatNumber(value[0]) : formatAttrValue(value, maxItems)}`;
  }
  const shown: Record<string, AttrValue> = {};
  for (const [k, v] of Object.entries(node.attrs)) {
    if (TYPED_BY_ATTRS.has(node.op) && (k === 'shape' || k === 'dtype')) continue;
    shown[k] = v;
  }
  return Object.keys(shown).length === 0 ? '' : ` ${formatAttrValue(shown, maxItems)}`;
}

/** The short name of a node for messages: `%12 = MatMul(%3, %7)`, or `%0 = Input {name: x}` for named leaves. */
export function describeNode(node: Node): string {
  const args = node.inputs.length > 0 ? `(${node.inputs.map(nodeRef).join(', ')})` : '';
  const name = typeof node.attrs?.name === 'string' ? ` {name: ${formatAttrValue(node.attrs.name)}}` : '';
  return `${nodeRef(node)} = ${node.op}${args}${name}`;
}

/** One line of the text form: `%5: f32[N, 100] = MatMul(%3, %4) {transA: false, transB: false}`. */
export function formatNode(node: Node, opts: FormatOptions = {}): string {
  const maxItems = opts.maxItems ?? DEFAULT_MAX_ITEMS;
  const args = node.inputs.length > 0 ? `(${node.inputs.map(nodeRef).join(', ')})` : '';
  const span = opts.spans && node.span ? ` @${node.span.start}:${node.span.end}` : '';
  return `${nodeRef(node)}: ${formatType(node)} = ${node.op}${args}${formatAttrs(node, maxItems)}${span}`;
}

/**
 * The whole graph: a header (`graph f64 train seed=0`), one line per node in id order, then
 * `output|metric|loss <name> = %id` lines and `update <name> = %id` lines in declaration order.
 */
export function formatGraph(g: Graph, opts: FormatOptions = {}): string {
  let nodes: readonly Node[] = g.nodes;
  if (opts.reachableOnly) {
    const keep = new Set<Node>([...g.reachable(), ...g.inputs.values(), ...g.variables.values()]);
    nodes = [...keep].sort((a, b) => a.id - b.id);
  }
  const lines = [`graph ${g.floatDtype} ${g.mode} seed=${g.seed}`];
  for (const n of nodes) lines.push(formatNode(n, opts));
  for (const [name, o] of g.outputs) lines.push(`${o.kind} ${formatAttrValue(name)} = ${nodeRef(o.node)}`);
  for (const [name, n] of g.updates) lines.push(`update ${formatAttrValue(name)} = ${nodeRef(n)}`);
  return lines.join('\n');
}

/** Text form of the nodes `roots` depend on (for a value that is not a named output yet). */
export function formatNodes(roots: readonly Node[], opts: FormatOptions = {}): string {
  return topoSort(roots)
    .sort((a, b) => a.id - b.id)
    .map((n) => formatNode(n, opts))
    .join('\n');
}
