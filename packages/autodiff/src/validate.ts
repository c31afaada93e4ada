/**
 * IR validation: checks that a graph is one the builder could have produced. Every pass is
 * followed by it in tests, `fromJSON` runs it on what it reads, and backends may run it before
 * compiling. It reports problems as diagnostics (codes E0220–E0234) and never throws.
 */
import { type Diagnostic, diagnostic, GradusError, suggest } from './diagnostic.js';
import { isCanonicalDim } from './dim-expr.js';
import { DTYPES } from './dtype.js';
import type { Graph } from './graph.js';
import type { Attrs, Node } from './node.js';
import type { ArgInfo, Inferred } from './op.js';
import { OP_NAMES, opDefs } from './ops/index.js';
import { formatShape, sameShape } from './shape.js';
import { describeNode, formatType, nodeRef } from './text.js';

/** Stable codes of validation diagnostics. */
export const VALIDATION_CODES = {
  malformed: 'E0220',
  unknownOp: 'E0221',
  arity: 'E0222',
  badInput: 'E0223',
  badId: 'E0224',
  rejected: 'E0225',
  typeMismatch: 'E0226',
  badAttr: 'E0227',
  foreignNode: 'E0228',
  unknownVariable: 'E0229',
  updateMismatch: 'E0230',
  badOutput: 'E0231',
  lossNotScalar: 'E0232',
  duplicateName: 'E0233',
  badRole: 'E0234',
} as const;

const C = VALIDATION_CODES;
const KINDS = new Set(['output', 'metric', 'loss']);

/** Why `v` is not a JSON attr value (a path and what was found), or undefined when it is one. */
export function nonJsonAttr(v: unknown, path: string, depth = 0): string | undefined {
  if (depth > 64) return `${path} is nested too deeply (a cycle?)`;
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number')
    return undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const bad = nonJsonAttr(v[i], `${path}[${i}]`, depth + 1);
      if (bad) return bad;
    }
    return undefined;
  }
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      return `${path} is a ${(v as object).constructor?.name ?? 'non-plain object'}, not a plain object`;
    }
    for (const [k, e] of Object.entries(v as object)) {
      const bad = nonJsonAttr(e, `${path}.${k}`, depth + 1);
      if (bad) return bad;
    }
    return undefined;
  }
  return `${path} is ${v === undefined ? 'undefined' : `a ${typeof v}`}`;
}

const isInt = (v: unknown) => Number.isInteger(v);
/** A size, or a symbolic dim in canonical form (so equal shapes are equal, see `dim-expr.ts`). */
const isDim = (v: unknown) =>
  (isInt(v) && (v as number) >= 0) || (typeof v === 'string' && isCanonicalDim(v));
const listOf = (ok: (e: unknown) => boolean) => (v: unknown) => Array.isArray(v) && v.every(ok);

/**
 * The types of the attr names the op table uses, keyed by attr name (every op that has an
 * `axes` attr means a list of axis numbers by it). Attrs not listed here are not checked.
 * Shape rules assume well-typed attrs, so this runs before them on untrusted graphs (JSON).
 */
const ATTR_TYPES: Readonly<Record<string, readonly [string, (v: unknown) => boolean]>> = {
  name: ['a string', (v) => typeof v === 'string'],
  shape: ['a list of dims', listOf(isDim)],
  dims: ['a list of dims', listOf(isDim)],
  dtype: [`one of ${DTYPES.join(', ')}`, (v) => DTYPES.includes(v as never)],
  kind: [`'param' or 'state'`, (v) => v === 'param' || v === 'state'],
  init: [
    'an initialiser spec',
    (v) => typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string',
  ],
  value: ['a list of numbers', listOf((e) => typeof e === 'number')],
  perm: ['a list of integers', listOf(isInt)],
  axes: ['a list of integers', listOf(isInt)],
  starts: ['a list of dims', listOf(isDim)],
  before: ['a list of dims', listOf(isDim)],
  ends: ['a list of dims and nulls', listOf((e) => e === null || isDim(e))],
  axis: ['an integer', isInt],
  depth: ['an integer', isInt],
  stream: ['an integer', isInt],
  seed: ['a number', (v) => typeof v === 'number' && Number.isFinite(v)],
  keepdims: ['a boolean', (v) => typeof v === 'boolean'],
  transA: ['a boolean', (v) => typeof v === 'boolean'],
  transB: ['a boolean', (v) => typeof v === 'boolean'],
  kernel: ['a list of integers', listOf(isInt)],
  stride: ['a list of integers', listOf(isInt)],
  dilation: ['a list of integers', listOf(isInt)],
  pads: ['a list of integers', listOf(isInt)],
  size: ['a list of integers', listOf(isInt)],
  fill: ['a number', (v) => typeof v === 'number'],
  rows: ['a list of dims', listOf(isDim)],
};

/** Why `attrs` are not well-typed attrs (see `ATTR_TYPES`), or undefined when they are. */
export function attrTypeProblem(attrs: Attrs): string | undefined {
  for (const [k, v] of Object.entries(attrs)) {
    const t = Object.hasOwn(ATTR_TYPES, k) ? ATTR_TYPES[k] : undefined;
    if (t && !t[1](v)) return `attrs.${k} must be ${t[0]}`;
  }
  return undefined;
}

/** The node's short description, or a fallback when the node itself is malformed. */
function describe(node: Node): string {
  try {
    return describeNode(node);
  } catch {
    return `node #${String((node as { id?: unknown } | undefined)?.id)}`;
  }
}

function at(node: Node): { span?: Node['span'] } {
  const span = node?.span;
  return span && typeof span.start === 'number' && typeof span.end === 'number' ? { span } : {};
}

function errorText(e: unknown): string {
  if (e instanceof GradusError) return e.diagnostics.map((d) => d.message).join('; ');
  return e instanceof Error ? e.message : String(e);
}

function checkNode(g: Graph, node: Node, index: number, out: Diagnostic[]): void {
  const name = describe(node);
  const report = (code: string, message: string, extra: Partial<Diagnostic> = {}) =>
    out.push(diagnostic(code, `${name}: ${message}`, { ...at(node), ...extra }));

  if (node.id !== index) report(C.badId, `has id ${node.id} but is node number ${index} of the graph`);
  const def = Object.hasOwn(opDefs, node.op) ? opDefs[node.op] : undefined;
  if (!def) {
    const hint = suggest(String(node.op), OP_NAMES);
    report(C.unknownOp, `unknown op '${String(node.op)}'`, hint ? { hint: `did you mean '${hint}'?` } : {});
    return;
  }
  if (!Array.isArray(node.inputs)) {
    report(C.malformed, 'its inputs are not a list');
    return;
  }
  const n = node.inputs.length;
  if (def.arity === 'variadic' ? n === 0 : n !== def.arity) {
    report(
      C.arity,
      `${node.op} takes ${def.arity === 'variadic' ? 'one or more' : def.arity} inputs, got ${n}`,
    );
  }
  let inputsOk = true;
  node.inputs.forEach((input, k) => {
    if (!input || typeof input.id !== 'number' || g.nodes[input.id] !== input) {
      report(C.badInput, `input ${k} (${nodeRef(input ?? { id: Number.NaN })}) is not a node of this graph`);
      inputsOk = false;
    } else if (input.id >= node.id) {
      report(C.badInput, `input ${k} (${nodeRef(input)}) does not come before the node`);
      inputsOk = false;
    }
  });
  if (node.attrs === null || typeof node.attrs !== 'object' || Array.isArray(node.attrs)) {
    report(C.badAttr, 'its attrs are not an object');
    return;
  }
  const badAttr = nonJsonAttr(node.attrs, 'attrs') ?? attrTypeProblem(node.attrs);
  if (badAttr) {
    report(C.badAttr, badAttr);
    return;
  }
  if (!DTYPES.includes(node.dtype) || !Array.isArray(node.shape)) {
    report(C.malformed, `has no valid recorded type (dtype ${String(node.dtype)})`);
    return;
  }
  if (!inputsOk) return;
  let inferred: Inferred;
  try {
    inferred = (def.infer as (i: readonly ArgInfo[], a: Attrs) => Inferred)(node.inputs, node.attrs);
  } catch (e) {
    report(C.rejected, `the op's shape rule rejects it: ${errorText(e)}`);
    return;
  }
  if (!sameShape(inferred.shape, node.shape) || inferred.dtype !== node.dtype) {
    report(
      C.typeMismatch,
      `is recorded as ${formatType(node)} but its shape rule gives ${inferred.dtype}${formatShape(inferred.shape)}`,
    );
  }
}

function inGraph(g: Graph, node: Node | undefined): node is Node {
  return !!node && typeof node.id === 'number' && g.nodes[node.id] === node;
}

/** Checks every node and every named role of `g`. Returns the problems found (empty when valid); never throws. */
export function validateGraph(g: Graph): Diagnostic[] {
  const out: Diagnostic[] = [];
  g.nodes.forEach((node, i) => {
    if (!node || typeof node !== 'object') {
      out.push(diagnostic(C.malformed, `node number ${i} is not a node`));
      return;
    }
    try {
      checkNode(g, node, i, out);
    } catch (e) {
      out.push(diagnostic(C.malformed, `${describe(node)}: malformed node (${errorText(e)})`, at(node)));
    }
  });

  // Input and Variable names are unique across both kinds, and the role maps agree with the nodes.
  const named = new Map<string, Node>();
  for (const node of g.nodes) {
    if (!node || (node.op !== 'Input' && node.op !== 'Variable')) continue;
    const name = node.attrs?.name;
    if (typeof name !== 'string') {
      out.push(diagnostic(C.badRole, `${describe(node)}: has no name`, at(node)));
      continue;
    }
    const prev = named.get(name);
    if (prev) {
      out.push(
        diagnostic(
          C.duplicateName,
          `${describe(node)}: the name '${name}' is already used by ${describe(prev)}`,
          {
            ...at(node),
            notes: prev.span ? [{ message: 'first declared here', span: prev.span }] : [],
          },
        ),
      );
      continue;
    }
    named.set(name, node);
    const role = node.op === 'Input' ? g.inputs : g.variables;
    if (role.get(name) !== node) {
      out.push(
        diagnostic(
          C.badRole,
          `${describe(node)}: is not declared in the graph's ${node.op === 'Input' ? 'inputs' : 'variables'}`,
          { ...at(node), severity: 'warning' },
        ),
      );
    }
  }
  for (const [role, map, op] of [
    ['input', g.inputs, 'Input'],
    ['variable', g.variables, 'Variable'],
  ] as const) {
    for (const [name, node] of map) {
      if (!inGraph(g, node)) {
        out.push(diagnostic(C.foreignNode, `${role} '${name}' refers to a node outside the graph`));
      } else if (node.op !== op || node.attrs.name !== name) {
        out.push(
          diagnostic(
            C.badRole,
            `${role} '${name}' refers to ${describe(node)}, not an ${op} named '${name}'`,
            at(node),
          ),
        );
      }
    }
  }

  for (const [name, o] of g.outputs) {
    if (!o || !KINDS.has(o.kind)) {
      out.push(diagnostic(C.badOutput, `output '${name}' has no valid kind (output, metric or loss)`));
    }
    if (!inGraph(g, o?.node)) {
      out.push(diagnostic(C.foreignNode, `output '${name}' refers to a node outside the graph`));
      continue;
    }
    if (o.kind === 'loss' && Array.isArray(o.node.shape) && o.node.shape.length !== 0) {
      out.push(
        diagnostic(
          C.lossNotScalar,
          `the loss '${name}' (${describe(o.node)}) must be a scalar, but has shape ${formatShape(o.node.shape)}`,
          at(o.node),
        ),
      );
    }
  }

  for (const [name, node] of g.updates) {
    if (!inGraph(g, node)) {
      out.push(diagnostic(C.foreignNode, `the update of '${name}' refers to a node outside the graph`));
      continue;
    }
    const target = g.variables.get(name);
    if (!target) {
      const hint = suggest(name, g.variables.keys());
      out.push(
        diagnostic(C.unknownVariable, `${describe(node)} updates '${name}', which is not a variable`, {
          ...at(node),
          ...(hint ? { hint: `did you mean '${hint}'?` } : {}),
        }),
      );
    } else if (!sameShape(target.shape, node.shape) || target.dtype !== node.dtype) {
      out.push(
        diagnostic(
          C.updateMismatch,
          `${describe(node)} is ${formatType(node)}, but it updates '${name}' of type ${formatType(target)}`,
          at(node),
        ),
      );
    }
  }
  return out;
}

/** Throws a GradusError carrying every error diagnostic of `validateGraph(g)`, if there is any. */
export function assertValidGraph(g: Graph): void {
  const errors = validateGraph(g).filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new GradusError(errors);
}
