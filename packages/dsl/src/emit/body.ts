/**
 * The body of an emitted function: option defaults, symbolic dims bound from the arrays' lengths,
 * length checks, then one kernel per node of the (forward or gradient) graph in topological order,
 * and the result object.
 */
import type { Dim, DType, Node } from '@gradus/autodiff';
import { dimAsCode, dimSymbols, isDimSymbol, opDefs, topoSort } from '@gradus/autodiff';
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
  // A name is a local bound from an array's length; a compound dim (`N*T`) a local computed from them.
  const dim = (d: Dim): DimCode => (typeof d === 'number' ? num(d) : env.dims.get(d));
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

  // Kernels first, so the dim code knows which compound dims they read.
  const used = new Set<string>();
  const kernelDim = (d: Dim): DimCode => {
    if (typeof d === 'string' && !isDimSymbol(d)) used.add(d);
    return dim(d);
  };
  const body: Code[] = [];
  for (const n of order) {
    body.push(
      `// ${n.op} ${commentText(`[${n.shape.join(', ')}]`)}${n.op === 'Input' || n.op === 'Variable' ? ` ${commentText(n.attrs.name as string)}` : ''}`,
    );
    const ctx: KernelContext = {
      node: n,
      attrs: n.attrs,
      out: local(n),
      ins: n.inputs.map(local),
      shape: (m) => m.shape.map(kernelDim),
      dim: kernelDim,
      leaf: leafExpr,
      helper,
    };
    // The one dynamic dispatch: the table is typed per op, a node's op is known only at run time.
    body.push(...(kernels[n.op] as unknown as (k: KernelContext) => Code[])(ctx));
    if (n.dtype === 'f32' && !ALIASING_OPS.has(n.op)) body.push(`${helper('roundF32')}(${local(n)});`);
  }
  code.push(...bindDims(order, leaves, leafExpr, dim, helper, env, used), ...body);
  code.push(ret(local));
  return code;
}

/** How a leaf is named in run-time error messages. */
function what(n: Node): string {
  const kind = n.op === 'Input' ? 'input' : n.attrs.kind === 'state' ? 'state' : 'param';
  return `${kind} ${n.attrs.name as string}`;
}

/** Every dim of a node that is not a number: its type's and its dim attrs' (`Slice`'s bounds). */
function stringDims(n: Node): string[] {
  const out = n.shape.filter((d): d is string => typeof d === 'string');
  for (const k of opDefs[n.op].dimAttrs ?? []) {
    const v = n.attrs[k];
    if (Array.isArray(v)) for (const d of v) if (typeof d === 'string') out.push(d);
  }
  return out;
}

/**
 * Binds each symbolic dim from the first leaf in which it is the only unknown (`N` from the length
 * of `x: [N, 2]`), takes the others from `options.dims`, computes the compound dims (`N*T`,
 * checked to be sizes), then checks every other leaf's length.
 */
function bindDims(
  order: readonly Node[],
  leaves: readonly Node[],
  leafExpr: (n: Node) => string,
  dim: (d: Dim) => DimCode,
  helper: (h: Helper) => string,
  env: BodyEnv,
  used: ReadonlySet<string>,
): Code[] {
  const code: Code[] = [];
  const symbols = new Set<string>();
  const compound = new Set<string>();
  for (const n of order) {
    for (const d of stringDims(n)) {
      for (const s of dimSymbols(d)) symbols.add(s);
      if (!isDimSymbol(d)) compound.add(d);
    }
  }
  const bound = new Set<string>();
  const checked = new Set<Node>();
  // Repeat until nothing new binds: binding M from `y: [M]` can make N in `x: [N, M]` solvable.
  for (let progress = true; progress; ) {
    progress = false;
    for (const n of leaves) {
      if (checked.has(n)) continue;
      // Only a leaf whose other dims are all known can bind its one unknown name.
      const known = (d: Dim) => typeof d === 'number' || (isDimSymbol(d) && bound.has(d));
      const unknown = n.shape.filter((d) => !known(d));
      const [u] = unknown;
      if (unknown.length !== 1 || !isDimSymbol(u)) continue;
      const rest = product(n.shape.filter((d) => d !== u).map(dim));
      code.push(`const ${dim(u)} = ${helper('bindDim')}(${leafExpr(n)}.length, ${rest}, ${str(what(n))});`);
      bound.add(u);
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
  // Every compound dim is checked to be a size, also those only a reshape's type mentions.
  const lengths: Code[] = [];
  for (const n of leaves) {
    if (checked.has(n)) continue;
    lengths.push(
      `${helper('expectLength')}(${str(what(n))}, ${leafExpr(n)}.length, ${product(n.shape.map(dim))});`,
    );
  }
  const leafDims = new Set(leaves.filter((n) => !checked.has(n)).flatMap((n) => stringDims(n)));
  for (const d of compound) {
    const check = `${helper('wholeDim')}(${dimAsCode(d, (s) => dim(s))}, ${str(d)}, { ${dimSymbols(d)
      .map((s) => `${objectKey(s)}: ${dim(s)}`)
      .join(', ')} })`;
    code.push(used.has(d) || leafDims.has(d) ? `const ${dim(d)} = ${check};` : `${check};`);
  }
  code.push(...lengths);
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

/** The `output`s alone (and the state), for a run on the inputs the outputs read. */
export function outputsReturn(parts: GraphParts, local: (n: Node) => string): string {
  const outputs = parts.outputs
    .filter((o) => o.kind === 'output')
    .map((o) => `${objectKey(o.name)}: ${result(o.node, local)}`);
  return `return { outputs: ${braces(outputs)}, ${stateResult(parts, local)} };`;
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
