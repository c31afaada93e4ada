/**
 * A Gradus graph as an ONNX model (opset 17): its inputs, named as in the model with symbolic
 * sizes kept as `dim_param`s, its variables as initialisers holding the given values, and the
 * chosen named results as outputs. Composites ONNX has as one op are exported as that op; the
 * rest lowers primitive by primitive.
 */
import {
  diagnostic,
  formatShape,
  GradusError,
  type Graph,
  isDimSymbol,
  type Node,
  ownEntry,
  type Span,
  suggest,
  type Tensor,
} from '@gradus/autodiff';
import { composites } from './composites.js';
import { type DimSource, ELEM, type Lowering, OnnxBuilder, rawData } from './context.js';
import { encodeModel, type NodeProto, type ValueInfoProto } from './onnx-proto.js';
import { primitives } from './primitives.js';

export const ONNX_OPSET = 17;
/** The IR version that goes with opset 17. */
export const ONNX_IR_VERSION = 8;

export interface EmitOnnxOptions {
  /** The value of every variable (params, running statistics) the outputs read, by name. */
  readonly variables: Readonly<Record<string, Tensor>>;
  /** The named results to export (default: the graph's `output`s, or, when it has none, its metrics and loss). */
  readonly outputs?: readonly string[];
  /** The ONNX graph's name (default `gradus`). */
  readonly name?: string;
  readonly producerVersion?: string;
  /** Free text stored in the file (`doc_string`). */
  readonly doc?: string;
  /** Key-value pairs stored in the file (`metadata_props`), which runtimes show as the model's metadata. */
  readonly metadata?: Readonly<Record<string, string>>;
}

function exportError(code: string, message: string, hint?: string): GradusError {
  return new GradusError(diagnostic(code, `ONNX export: ${message}`, hint ? { hint } : {}));
}

/** The results `emitOnnx` exports by default. */
export function defaultOnnxOutputs(g: Graph): string[] {
  const named = [...g.outputs];
  const outputs = named.filter(([, o]) => o.kind === 'output').map(([n]) => n);
  return outputs.length > 0 ? outputs : named.map(([n]) => n);
}

/** The `.onnx` bytes of `g`'s results `opts.outputs`. */
export function emitOnnx(g: Graph, opts: EmitOnnxOptions): Uint8Array {
  const names = opts.outputs ?? defaultOnnxOutputs(g);
  if (names.length === 0) throw exportError('E0282', 'the graph has no named result to export');
  const roots = names.map((n) => {
    const o = g.outputs.get(n);
    if (!o) {
      const near = suggest(n, g.outputs.keys());
      throw exportError(
        'E0282',
        `there is no result named '${n}'`,
        near ? `did you mean ${near}?` : undefined,
      );
    }
    return o.node;
  });
  const reachable = g.reachable(roots);

  // Every symbolic size that is an axis of an input is read off that input when the model runs.
  const dimSources = new Map<string, DimSource>();
  const inputs = reachable.filter((n) => n.op === 'Input');
  for (const n of inputs)
    n.shape.forEach((d, axis) => {
      if (typeof d === 'string' && isDimSymbol(d) && !dimSources.has(d))
        dimSources.set(d, { input: n.attrs.name as string, axis });
    });

  let current: Node | undefined;
  const lowerNode = (n: Node, cx: Lowering): string => {
    const outer = current;
    current = n;
    try {
      if (n.op === 'Input') return n.attrs.name as string;
      if (n.op === 'Variable') return n.attrs.name as string;
      for (const r of composites[n.op] ?? []) {
        const out = r(n, cx);
        if (out !== undefined) return out;
      }
      return (primitives[n.op] as (n: Node, cx: Lowering) => string)(n, cx);
    } finally {
      current = outer;
    }
  };
  const b = new OnnxBuilder(lowerNode, dimSources, (): Span | undefined => current?.span);
  const results = roots.map((r) => b.value(r));

  // Variables the lowered graph reads become initialisers with the given values.
  const read = new Set(b.nodes.flatMap((n) => n.inputs));
  for (const n of reachable) {
    if (n.op !== 'Variable') continue;
    const name = n.attrs.name as string;
    if (!read.has(name) && !results.includes(name)) continue;
    const t = ownEntry(opts.variables, name);
    if (!t) throw exportError('E0283', `no value for the variable '${name}'`);
    const fits =
      t.shape.length === n.shape.length && n.shape.every((d, i) => typeof d !== 'number' || d === t.shape[i]);
    if (!fits)
      throw exportError(
        'E0283',
        `the value of '${name}' has shape [${t.shape.join(', ')}], not ${formatShape(n.shape)}`,
      );
    b.initializers.push({
      name,
      dims: t.shape,
      dataType: ELEM[n.dtype],
      raw: rawData(t.data, ELEM[n.dtype]),
    });
  }

  const info = (name: string, n: Node): ValueInfoProto => ({
    name,
    elemType: ELEM[n.dtype],
    shape: n.shape.map((d) => d),
  });
  const graphInputs = inputs
    .filter((n) => read.has(n.attrs.name as string) || results.includes(n.attrs.name as string))
    .map((n) => info(n.attrs.name as string, n));

  // Outputs take their model names: the node computing one is renamed, or an Identity added.
  const rename = new Map<string, string>();
  const extra: NodeProto[] = [];
  names.forEach((name, i) => {
    const v = results[i];
    if (v.startsWith('#') && !rename.has(v) && b.nodes.some((n) => n.outputs.includes(v)))
      rename.set(v, name);
    else
      extra.push({ opType: 'Identity', inputs: [rename.get(v) ?? v], outputs: [name], name, attributes: {} });
  });
  const r = (s: string) => rename.get(s) ?? s;
  const nodes = [
    ...b.nodes.map((n) => ({ ...n, inputs: n.inputs.map(r), outputs: n.outputs.map(r) })),
    ...extra,
  ];

  return encodeModel({
    irVersion: ONNX_IR_VERSION,
    opset: ONNX_OPSET,
    producerName: 'gradus',
    producerVersion: opts.producerVersion ?? '',
    ...(opts.metadata ? { metadata: opts.metadata } : {}),
    graph: {
      name: opts.name ?? 'gradus',
      nodes,
      initializers: b.initializers,
      inputs: graphInputs,
      outputs: names.map((n, i) => info(n, roots[i])),
      ...(opts.doc ? { doc: opts.doc } : {}),
    },
  });
}
