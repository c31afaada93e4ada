/**
 * The body of an emitted function: option defaults, symbolic dims bound from the arrays' lengths,
 * length checks, then one kernel per node of the (forward or gradient) graph in topological order,
 * and the result object.
 */
import type { DType, Node } from '@gradus/autodiff';
import { topoSort } from '@gradus/autodiff';
import { type Code, type DimCode, num, product } from './code.js';
import { ALIASING_OPS, type KernelContext, kernels } from './kernels.js';
import { commentText, member, type Namer, objectKey, propName, str } from './names.js';
import type { GraphParts, NamedNode } from './parts.js';
import type { Helper } from './runtime.js';

/** The typed array holding values of each dtype at the module's boundary. */
export const ARRAY_TYPE: { readonly [D in DType]: string } = {
  f64: 'Float64Array',
  f32: 'Float32Array',
  i32: 'Int32Array',
  bool: 'Uint8Array',
};

export interface BodyEnv {
  readonly helpers: Set<Helper>;
  readonly dims: Namer;
  /** Symbolic dims no leaf of a function determines; they come from `options.dims`. */
  readonly unboundDims: Set<string>;
}

/** Straight-line code computing `roots`: option defaults, dim bindings, length checks, kernels. */
export function functionBody(
  parts: GraphParts,
  roots: readonly Node[],
  ret: (local: (n: Node) => string) => string,
  env: BodyEnv,
): Code[] {
  const order = topoSort(roots);
  const local = (n: Node) => `t${n.id}`;
  const dim = (d: number | string): DimCode => (typeof d === 'number' ? num(d) : env.dims.get(d));
  const helper = (h: Helper) => {
    env.helpers.add(h);
    return h;
  };
  const stateNames = new Set(parts.state.map((s) => s.name));
  const leafExpr = (n: Node): string => {
    const name = n.attrs.name as string;
    if (n === parts.step) return 'Float64Array.of(step)';
    if (n.op === 'Input') return member('inputs', name);
    return member(stateNames.has(name) ? 'state' : 'params', name);
  };

  const code: Code[] = [];
  const leaves = order.filter((n) => (n.op === 'Input' || n.op === 'Variable') && n !== parts.step);
  if (parts.step && order.includes(parts.step)) code.push('const step = options.step ?? 0;');
  // Always bound when the model has state: the result passes the state through or updates it.
  if (parts.state.length > 0) code.push('const state = options.state ?? initialState();');

  code.push(...bindDims(order, leaves, leafExpr, dim, helper, env));

  for (const n of order) {
    code.push(
      `// ${n.op} ${commentText(`[${n.shape.join(', ')}]`)}${n.op === 'Input' || n.op === 'Variable' ? ` ${commentText(n.attrs.name as string)}` : ''}`,
    );
    const ctx: KernelContext = {
      node: n,
      attrs: n.attrs,
      out: local(n),
      ins: n.inputs.map(local),
      shape: (m) => m.shape.map(dim),
      dim,
      leaf: leafExpr,
      helper,
    };
    // The one dynamic dispatch: the table is typed per op, a node's op is known only at run time.
    code.push(...(kernels[n.op] as unknown as (k: KernelContext) => Code[])(ctx));
    if (n.dtype === 'f32' && !ALIASING_OPS.has(n.op)) code.push(`${helper('roundF32')}(${local(n)});`);
  }
  code.push(ret(local));
  return code;
}

/** How a leaf is named in run-time error messages. */
function what(n: Node): string {
  const kind = n.op === 'Input' ? 'input' : n.attrs.kind === 'state' ? 'state' : 'param';
  return `${kind} ${n.attrs.name as string}`;
}

/**
 * Binds each symbolic dim from the first leaf in which it is the only unknown (`N` from the length
 * of `x: [N, 2]`), takes the others from `options.dims`, then checks every other leaf's length.
 */
function bindDims(
  order: readonly Node[],
  leaves: readonly Node[],
  leafExpr: (n: Node) => string,
  dim: (d: number | string) => DimCode,
  helper: (h: Helper) => string,
  env: BodyEnv,
): Code[] {
  const code: Code[] = [];
  const symbols = new Set<string>();
  for (const n of order) {
    for (const d of n.shape) if (typeof d === 'string') symbols.add(d);
    if (n.op === 'Size')
      for (const d of n.attrs.dims as (number | string)[]) if (typeof d === 'string') symbols.add(d);
  }
  const bound = new Set<string>();
  const checked = new Set<Node>();
  // Repeat until nothing new binds: binding M from `y: [M]` can make N in `x: [N, M]` solvable.
  for (let progress = true; progress; ) {
    progress = false;
    for (const n of leaves) {
      if (checked.has(n)) continue;
      const unknown = n.shape.filter((d): d is string => typeof d === 'string' && !bound.has(d));
      if (unknown.length !== 1 || n.shape.filter((d) => d === unknown[0]).length !== 1) continue;
      const rest = product(n.shape.filter((d) => d !== unknown[0]).map(dim));
      code.push(
        `const ${dim(unknown[0])} = ${helper('bindDim')}(${leafExpr(n)}.length, ${rest}, ${str(what(n))});`,
      );
      bound.add(unknown[0]);
      // Its length is now checked by construction: every other dim of it was already bound.
      checked.add(n);
      progress = true;
    }
  }
  for (const s of symbols) {
    if (bound.has(s)) continue;
    env.unboundDims.add(s);
    const given = propName(s) === s ? `options.dims?.${s}` : `options.dims?.[${str(s)}]`;
    code.push(`const ${dim(s)} = ${given} ?? ${helper('missingDim')}(${str(s)});`);
  }
  for (const n of leaves) {
    if (checked.has(n)) continue;
    code.push(
      `${helper('expectLength')}(${str(what(n))}, ${leafExpr(n)}.length, ${product(n.shape.map(dim))});`,
    );
  }

  return code;
}

function result(n: Node, local: (n: Node) => string): string {
  return n.shape.length === 0 ? `${local(n)}[0]` : `${ARRAY_TYPE[n.dtype]}.from(${local(n)})`;
}

function stateResult(parts: GraphParts, local: (n: Node) => string): string {
  const updated = new Map(parts.updates.map((u) => [u.name, u.node]));
  const fields = parts.state.map((s) => {
    const u = updated.get(s.name);
    return `${objectKey(s.name)}: ${u ? `${ARRAY_TYPE[s.node.dtype]}.from(${local(u)})` : member('state', s.name)}`;
  });
  // Without updates (evaluation mode) the state is passed through; it was only read.
  if (parts.updates.length === 0) return parts.state.length === 0 ? 'state: {}' : 'state';
  return `state: ${braces(fields)}`;
}

export function forwardReturn(parts: GraphParts, local: (n: Node) => string): string {
  const group = (kind: 'output' | 'metric') =>
    braces(
      parts.outputs
        .filter((o) => o.kind === kind)
        .map((o) => `${objectKey(o.name)}: ${result(o.node, local)}`),
    );
  const loss = parts.loss ? ` loss: ${result(parts.loss.node, local)},` : '';
  return `return { outputs: ${group('output')}, metrics: ${group('metric')},${loss} ${stateResult(parts, local)} };`;
}

export function lossAndGradReturn(parts: GraphParts, local: (n: Node) => string): string {
  const loss = parts.loss as NamedNode;
  const grads = parts.params.map(
    (p, i) => `${objectKey(p.name)}: ${ARRAY_TYPE[p.node.dtype]}.from(${local(parts.grads[i])})`,
  );
  return `return { loss: ${result(loss.node, local)}, grads: ${braces(grads)}, ${stateResult(parts, local)} };`;
}

/** An object literal of `fields`. */
export function braces(fields: readonly string[]): string {
  return fields.length === 0 ? '{}' : `{ ${fields.join(', ')} }`;
}
