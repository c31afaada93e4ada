import { bindNode, concreteShapeOf, dimAnchors } from './bind.js';
import { diagnostic, GradusError } from './diagnostic.js';
import { type DType, isFloat } from './dtype.js';
import { bindFedShape, bindFedShapes } from './feed-dims.js';
import { type Graph, STEP_INPUT } from './graph.js';
import { type InitSpec, initialValue } from './init.js';
import type { Node } from './node.js';
import { topoSort } from './node.js';
import { opDefs } from './ops/index.js';
import { bindShape, type ConcreteShape, isConcrete, type Shape, sizeOf } from './shape.js';
import { isTensor, type Tensor, type TensorLike, toTensor } from './tensor.js';

export interface InterpretOptions {
  /** Values of inputs and variables, by name. */
  readonly feeds?: Readonly<Record<string, TensorLike>>;
  /** `f32` rounds every float result to single precision, to mirror an f32 backend. */
  readonly precision?: 'f64' | 'f32';
  /** Variables without a feed take their initialiser's value under this seed. */
  readonly initSeed?: number;
  /** Extra dim bindings (normally inferred from the feeds). */
  readonly dims?: Readonly<Record<string, number>>;
  /**
   * The graph the targets belong to: its inputs that the targets need only for their sizes (a
   * loss using `N` but no input) are read from the feeds too, so they bind N (see `dimAnchors`).
   */
  readonly graph?: Graph;
}

/**
 * The reference interpreter: evaluates `targets` (and everything they depend on) in plain f64,
 * one op at a time, with each op's own `evaluate`. Simple enough to trust; every backend and
 * every pass is tested against it.
 */
export function interpret(targets: readonly Node[], opts: InterpretOptions = {}): Tensor[] {
  const reached = topoSort(targets);
  const order = opts.graph ? [...dimAnchors(opts.graph, reached), ...reached] : reached;
  const feeds = opts.feeds ?? {};
  // Keyed by dim names from a model: no Object.prototype members (a dim may be called `constructor`).
  const dims: Record<string, number> = Object.assign(Object.create(null), opts.dims);
  const round = opts.precision === 'f32';
  const values = new Map<Node, Tensor>();

  // Compound dims (`N*T`) that another leaf must bind first are checked once every leaf is bound.
  const unsettled: [string, Shape, ConcreteShape][] = [];
  const bindLeaf = (node: Node, t: Tensor): Tensor => {
    const name = node.attrs.name as string;
    if (!bindFedShape(name, node.shape, t.shape, dims)) unsettled.push([name, node.shape, t.shape]);
    checkDtype(name, node.dtype, t);
    return round && isFloat(node.dtype) ? { ...t, data: t.data.map(Math.fround) } : t;
  };

  // Leaves first, so every symbolic dim is bound before any op runs.
  const pendingInit: Node[] = [];
  for (const node of order) {
    if (node.op !== 'Input' && node.op !== 'Variable') continue;
    const name = node.attrs.name as string;
    const fed = Object.hasOwn(feeds, name) ? feeds[name] : undefined;
    if (fed !== undefined) {
      values.set(node, bindLeaf(node, toTensor(fed, node.dtype, fedShape(fed, node.shape, dims))));
    } else if (name === STEP_INPUT) {
      values.set(node, { shape: [], dtype: 'i32', data: Float64Array.of(0) });
    } else if (node.op === 'Variable' && opts.initSeed !== undefined) {
      pendingInit.push(node);
    } else {
      throw new GradusError(
        diagnostic('E0403', `no value given for ${node.op === 'Input' ? 'input' : 'variable'} '${name}'`),
      );
    }
  }
  bindFedShapes(unsettled, dims);
  for (const node of pendingInit) {
    const name = node.attrs.name as string;
    const shape = concreteShapeOf(node.shape, dims, name, node.span);
    const data = initialValue(node.attrs.init as InitSpec, shape, opts.initSeed as number, name);
    // Rounded like a fed value, so an f32 run starts where an f32 backend starts.
    values.set(node, {
      shape,
      dtype: node.dtype,
      data: round && isFloat(node.dtype) ? data.map(Math.fround) : data,
    });
  }

  for (const node of order) {
    const b = bindNode(
      node,
      node.inputs.map((i) => (values.get(i) as Tensor).shape),
      dims,
    );
    if (values.has(node)) continue;
    const shape = b.shape;
    const ins = node.inputs.map((i) => values.get(i) as Tensor);
    const def = opDefs[node.op] as unknown as {
      evaluate: (
        i: readonly Tensor[],
        a: unknown,
        c: { out: { shape: ConcreteShape; dtype: DType }; dims: Record<string, number> },
      ) => Float64Array;
    };
    let data = def.evaluate(ins, b.attrs, { out: { shape, dtype: node.dtype }, dims });
    if (round && isFloat(node.dtype)) data = data.map(Math.fround);
    values.set(node, { shape, dtype: node.dtype, data });
  }
  return targets.map((t) => values.get(t) as Tensor);
}

/** A flat array fed to a tensor of rank ≠ 1 takes the declared shape, once its symbolic dims are bound. */
function fedShape(fed: TensorLike, declared: Shape, dims: Record<string, number>): ConcreteShape | undefined {
  const flat =
    typeof fed === 'object' && !isTensor(fed) && !(Array.isArray(fed) && fed.some((e) => Array.isArray(e)));
  if (!flat || declared.length === 1) return undefined;
  const bound = bindShape(declared, dims);
  return isConcrete(bound) && (fed as ArrayLike<number>).length === sizeOf(bound) ? bound : undefined;
}

function checkDtype(name: string, dtype: DType, t: Tensor): void {
  if (dtype === 'i32' || dtype === 'bool') {
    for (const v of t.data) {
      if (!Number.isInteger(v)) {
        throw new GradusError(
          diagnostic(
            'E0405',
            `'${name}' is ${dtype === 'i32' ? 'int' : 'bool'} but was given the value ${v}`,
          ),
        );
      }
    }
  }
}

/** Evaluates every named output and update of a graph. */
export function run(
  g: Graph,
  opts: InterpretOptions = {},
): { outputs: Record<string, Tensor>; updates: Record<string, Tensor> } {
  const outNames = [...g.outputs.keys()];
  const updNames = [...g.updates.keys()];
  const vals = interpret(
    [...outNames.map((n) => g.outputs.get(n)!.node), ...updNames.map((n) => g.updates.get(n)!)],
    opts,
  );
  // Null-prototype records: a variable named `__proto__` must be a key, not a prototype.
  const outputs: Record<string, Tensor> = Object.create(null);
  const updates: Record<string, Tensor> = Object.create(null);
  outNames.forEach((n, i) => {
    outputs[n] = vals[i];
  });
  updNames.forEach((n, i) => {
    updates[n] = vals[outNames.length + i];
  });
  return { outputs, updates };
}

/** Initial values of every variable of a graph whose shape is known. */
export function initVariables(
  g: Graph,
  seed: number,
  dims: Readonly<Record<string, number>> = {},
): Record<string, Tensor> {
  const out: Record<string, Tensor> = Object.create(null);
  for (const [name, node] of g.variables) {
    const shape = concreteShapeOf(node.shape, dims, name, node.span);
    out[name] = {
      shape,
      dtype: node.dtype,
      data: initialValue(node.attrs.init as InitSpec, shape, seed, name),
    };
  }
  return out;
}
