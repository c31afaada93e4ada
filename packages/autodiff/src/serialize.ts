/**
 * Lossless JSON form of a graph (`format: 'gradus-ir'`, `version: 1`): every node with its id,
 * op, input ids, attrs, recorded type and span, plus the named roles and the graph options.
 *
 * JSON has no `Infinity`, `NaN` or `-0`, and constants need them (`-Infinity` is the identity
 * of max), so attrs encode them as `{ "$float": "-Infinity" }` (also `"Infinity"`, `"NaN"`,
 * `"-0"`). To keep that unambiguous, an attr object's own keys starting with `$` are written with
 * one more `$` in front. `fromJSON` rebuilds the graph through `Graph.add`, so every shape rule
 * runs again, and then validates it; a malformed document gives a `GradusError` (codes E06xx),
 * never a TypeError.
 */
import { type Diagnostic, diagnostic, GradusError, type Span, suggest } from './diagnostic.js';
import { isCanonicalDim } from './dim-expr.js';
import { DTYPES, type DType, type FloatDType } from './dtype.js';
import { Graph, type Mode, type OutputKind } from './graph.js';
import type { Attrs, AttrValue, Node } from './node.js';
import { OP_NAMES, type OpName, opDefs } from './ops/index.js';
import { type Dim, formatShape, sameShape } from './shape.js';
import { describeNode, formatType } from './text.js';
import { attrTypeProblem, validateGraph } from './validate.js';

/** Plain JSON (what `JSON.parse` returns). */
export type JsonValue = number | string | boolean | null | JsonValue[] | { [k: string]: JsonValue };

export interface NodeJSON {
  id: number;
  op: OpName;
  inputs: number[];
  /** Attrs with non-finite numbers and `-0` encoded as `{ "$float": ... }`. */
  attrs: { [k: string]: JsonValue };
  dtype: DType;
  shape: Dim[];
  span?: Span;
}

export interface GraphJSON {
  format: 'gradus-ir';
  version: 1;
  floatDtype: FloatDType;
  mode: Mode;
  seed: number;
  /** Random streams handed out so far (`Graph.streamCount`), so new streams of the read graph don't collide. */
  streams: number;
  nodes: NodeJSON[];
  inputs: { [name: string]: number };
  variables: { [name: string]: number };
  outputs: { [name: string]: { node: number; kind: OutputKind } };
  updates: { [name: string]: number };
}

export const IR_FORMAT = 'gradus-ir';
export const IR_VERSION = 1;

/** Stable codes of serialisation diagnostics. */
export const SERIALIZE_CODES = {
  notIr: 'E0251',
  version: 'E0252',
  unknownOp: 'E0253',
  badNode: 'E0254',
  dangling: 'E0255',
  rejected: 'E0256',
  typeMismatch: 'E0257',
  badRole: 'E0258',
  invalid: 'E0259',
} as const;
const C = SERIALIZE_CODES;

// ---- attrs: JSON with explicit non-finite numbers -------------------------------------------

function encodeNumber(v: number): JsonValue {
  if (Number.isNaN(v)) return { $float: 'NaN' };
  if (v === Infinity) return { $float: 'Infinity' };
  if (v === -Infinity) return { $float: '-Infinity' };
  if (Object.is(v, -0)) return { $float: '-0' };
  return v;
}

const SPECIAL: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Infinity,
  '-Infinity': -Infinity,
  '-0': -0,
};

/** An attr value as plain JSON (see the module comment for the encoding). */
export function encodeAttr(v: AttrValue): JsonValue {
  if (typeof v === 'number') return encodeNumber(v);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((e) => encodeAttr(e));
  const out: { [k: string]: JsonValue } = {};
  for (const [k, e] of Object.entries(v as { readonly [k: string]: AttrValue })) {
    out[k.startsWith('$') ? `$${k}` : k] = encodeAttr(e);
  }
  return out;
}

/** Inverse of `encodeAttr`; throws a message string (caught by `fromJSON`) on anything else. */
export function decodeAttr(v: unknown, path = 'attrs'): AttrValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new AttrError(`${path} is ${v}, which JSON cannot hold`);
    return v;
  }
  if (Array.isArray(v)) return v.map((e, i) => decodeAttr(e, `${path}[${i}]`));
  if (typeof v === 'object') {
    const keys = Object.keys(v as object);
    if (keys.length === 1 && keys[0] === '$float') {
      const s = (v as { $float: unknown }).$float;
      if (typeof s !== 'string' || !Object.hasOwn(SPECIAL, s)) {
        throw new AttrError(`${path} has an unknown $float value ${JSON.stringify(s)}`);
      }
      return SPECIAL[s];
    }
    const out: { [k: string]: AttrValue } = {};
    for (const k of keys) {
      if (k.startsWith('$') && !k.startsWith('$$')) throw new AttrError(`${path} has an unknown key '${k}'`);
      out[k.startsWith('$') ? k.slice(1) : k] = decodeAttr((v as Record<string, unknown>)[k], `${path}.${k}`);
    }
    return out;
  }
  throw new AttrError(`${path} is not a JSON value`);
}

class AttrError extends Error {}

// ---- graph to JSON --------------------------------------------------------------------------

function idOf(g: Graph, node: Node, role: string): number {
  if (g.nodes[node.id] !== node) {
    throw new GradusError(diagnostic(C.badRole, `toJSON: ${role} refers to a node outside the graph`));
  }
  return node.id;
}

/** The graph as a JSON-ready object; `JSON.stringify` it to save. */
export function toJSON(g: Graph): GraphJSON {
  const nodes = g.nodes.map(
    (n): NodeJSON => ({
      id: n.id,
      op: n.op,
      inputs: n.inputs.map((i) => i.id),
      attrs: encodeAttr(n.attrs) as { [k: string]: JsonValue },
      dtype: n.dtype,
      shape: [...n.shape],
      ...(n.span ? { span: { start: n.span.start, end: n.span.end } } : {}),
    }),
  );
  const ids = (m: ReadonlyMap<string, Node>, role: string) =>
    Object.fromEntries([...m].map(([name, n]) => [name, idOf(g, n, `${role} '${name}'`)]));
  return {
    format: IR_FORMAT,
    version: IR_VERSION,
    floatDtype: g.floatDtype,
    mode: g.mode,
    seed: g.seed,
    streams: g.streamCount,
    nodes,
    inputs: ids(g.inputs, 'input'),
    variables: ids(g.variables, 'variable'),
    outputs: Object.fromEntries(
      [...g.outputs].map(([name, o]) => [name, { node: idOf(g, o.node, `output '${name}'`), kind: o.kind }]),
    ),
    updates: ids(g.updates, 'update'),
  };
}

/** `JSON.stringify(toJSON(g))`, indented when `indent` is given. */
export function serializeGraph(g: Graph, indent?: number): string {
  return JSON.stringify(toJSON(g), null, indent);
}

// ---- JSON to graph --------------------------------------------------------------------------

function fail(code: string, message: string, extra: Partial<Diagnostic> = {}): never {
  throw new GradusError(diagnostic(code, `fromJSON: ${message}`, extra));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isSpan(v: unknown): v is Span {
  return isRecord(v) && Number.isInteger(v.start) && Number.isInteger(v.end);
}

/** A recorded dim: a size, or a symbolic dim in canonical form (as `toJSON` writes them). */
function isDim(d: unknown): d is Dim {
  return (
    (typeof d === 'number' && Number.isInteger(d) && d >= 0) || (typeof d === 'string' && isCanonicalDim(d))
  );
}

function roleMap(json: Record<string, unknown>, key: string): Record<string, unknown> {
  const m = json[key] ?? {};
  if (!isRecord(m)) fail(C.notIr, `'${key}' must be an object mapping names to node ids`);
  return m;
}

/**
 * Rebuilds a graph from `toJSON`'s output (after any `JSON.parse`). Nodes are re-added in order
 * through `Graph.add`, so a document written by `toJSON` comes back with the same ids, and every
 * recorded type is checked against the op's shape rule.
 */
export function fromJSON(json: unknown): Graph {
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json);
    } catch (e) {
      fail(C.notIr, `not JSON (${(e as Error).message})`);
    }
  }
  if (!isRecord(json) || json.format !== IR_FORMAT) {
    fail(C.notIr, `not a Gradus IR document (expected format '${IR_FORMAT}')`);
  }
  if (json.version !== IR_VERSION) {
    fail(
      C.version,
      `unsupported IR version ${JSON.stringify(json.version)} (this library reads version ${IR_VERSION})`,
    );
  }
  const { floatDtype, mode, seed } = json;
  if (floatDtype !== 'f32' && floatDtype !== 'f64') fail(C.notIr, `floatDtype must be 'f32' or 'f64'`);
  if (mode !== 'train' && mode !== 'eval') fail(C.notIr, `mode must be 'train' or 'eval'`);
  if (typeof seed !== 'number' || !Number.isFinite(seed)) fail(C.notIr, 'seed must be a number');
  if (!Array.isArray(json.nodes)) fail(C.notIr, `'nodes' must be a list`);

  const g = new Graph({ floatDtype, mode, seed });
  const byId = new Map<number, Node>();
  let lastId = -1;
  let maxStream = -1;
  json.nodes.forEach((raw: unknown, k: number) => {
    const where = `node ${k}`;
    if (!isRecord(raw)) fail(C.badNode, `${where} is not an object`);
    const { id, op, inputs, attrs, dtype, shape, span } = raw;
    if (typeof id !== 'number' || !Number.isInteger(id) || id <= lastId) {
      fail(C.badNode, `${where} has id ${JSON.stringify(id)}; ids must be integers in increasing order`);
    }
    lastId = id;
    const label = `node %${id}`;
    if (typeof op !== 'string' || !Object.hasOwn(opDefs, op)) {
      const hint = typeof op === 'string' ? suggest(op, OP_NAMES) : undefined;
      fail(
        C.unknownOp,
        `${label} has unknown op ${JSON.stringify(op)}`,
        hint ? { hint: `did you mean '${hint}'?` } : {},
      );
    }
    if (!Array.isArray(inputs)) fail(C.badNode, `${label} (${op}) has no input list`);
    const ins = inputs.map((i: unknown) => {
      const n = typeof i === 'number' ? byId.get(i) : undefined;
      if (!n)
        fail(C.dangling, `${label} (${op}) uses input ${JSON.stringify(i)}, which is not an earlier node`);
      return n;
    });
    if (!isRecord(attrs)) fail(C.badNode, `${label} (${op}) has no attrs object`);
    let decoded: Attrs;
    try {
      decoded = decodeAttr(attrs) as Attrs;
    } catch (e) {
      if (e instanceof AttrError) fail(C.badNode, `${label} (${op}): ${e.message}`);
      throw e;
    }
    const attrProblem = attrTypeProblem(decoded);
    if (attrProblem) fail(C.badNode, `${label} (${op}): ${attrProblem}`);
    if (typeof dtype !== 'string' || !DTYPES.includes(dtype as DType)) {
      fail(
        C.badNode,
        `${label} (${op}) has dtype ${JSON.stringify(dtype)}; expected one of ${DTYPES.join(', ')}`,
      );
    }
    if (!Array.isArray(shape) || !shape.every(isDim))
      fail(C.badNode, `${label} (${op}) has a malformed shape`);
    if (span !== undefined && !isSpan(span)) fail(C.badNode, `${label} (${op}) has a malformed span`);
    const spanOf = span === undefined ? {} : { span: { start: span.start, end: span.end } };
    let node: Node;
    try {
      node = g.add(op as OpName, ins, decoded, spanOf.span);
      // Shape rules trust their attrs' types; make sure what came back is a type at all.
      if (!DTYPES.includes(node.dtype) || !Array.isArray(node.shape) || !node.shape.every(isDim)) {
        throw new Error(`its attrs give no valid type`);
      }
    } catch (e) {
      // Any exception (a TypeError from attrs of the wrong form, too) becomes a diagnostic.
      const why =
        e instanceof GradusError
          ? e.diagnostics.map((d) => d.message).join('; ')
          : String((e as Error)?.message ?? e);
      fail(
        C.rejected,
        `${label} = ${op}(${inputs.map((i) => `%${i}`).join(', ')}) is rejected: ${why}`,
        spanOf,
      );
    }
    if (node.dtype !== dtype || !sameShape(node.shape, shape as Dim[])) {
      fail(
        C.typeMismatch,
        `${label} is recorded as ${dtype}${formatShape(shape as Dim[])} but ${describeNode(node)} gives ${formatType(node)}`,
        spanOf,
      );
    }
    if ((op === 'RandomUniform' || op === 'RandomNormal') && typeof decoded.stream === 'number') {
      maxStream = Math.max(maxStream, decoded.stream);
    }
    byId.set(id, node);
  });

  const problems: Diagnostic[] = [];
  const lookup = (role: string, name: string, id: unknown): Node | undefined => {
    const n = typeof id === 'number' ? byId.get(id) : undefined;
    if (!n)
      problems.push(
        diagnostic(C.dangling, `fromJSON: ${role} '${name}' refers to missing node ${JSON.stringify(id)}`),
      );
    return n;
  };
  for (const [role, key, map] of [
    ['input', 'inputs', g.inputs],
    ['variable', 'variables', g.variables],
  ] as const) {
    for (const [name, id] of Object.entries(roleMap(json, key))) {
      const n = lookup(role, name, id);
      if (n) map.set(name, n);
    }
  }
  for (const [name, o] of Object.entries(roleMap(json, 'outputs'))) {
    const kind = isRecord(o) ? o.kind : undefined;
    if (kind !== 'output' && kind !== 'metric' && kind !== 'loss') {
      problems.push(
        diagnostic(C.badRole, `fromJSON: output '${name}' needs a kind of output, metric or loss`),
      );
      continue;
    }
    const n = lookup('output', name, (o as Record<string, unknown>).node);
    if (n) g.outputs.set(name, { node: n, kind });
  }
  for (const [name, id] of Object.entries(roleMap(json, 'updates'))) {
    const n = lookup('update', name, id);
    if (n) g.updates.set(name, n);
  }
  const streams = json.streams ?? maxStream + 1;
  if (typeof streams !== 'number' || !Number.isInteger(streams) || streams < 0) {
    problems.push(diagnostic(C.notIr, `fromJSON: 'streams' must be a non-negative integer`));
  } else g.reserveStreams(streams);
  if (problems.length > 0) throw new GradusError(problems);

  const invalid = validateGraph(g).filter((d) => d.severity === 'error');
  if (invalid.length > 0) {
    throw new GradusError(invalid.map((d) => ({ ...d, message: `fromJSON: ${d.message}` })));
  }
  return g;
}

/** `fromJSON(JSON.parse(text))`. */
export function parseGraph(text: string): Graph {
  return fromJSON(text);
}
