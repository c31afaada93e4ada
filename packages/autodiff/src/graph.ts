import { diagnostic, GradusError, type Span } from './diagnostic.js';
import type { DType, FloatDType } from './dtype.js';
import type { InitSpec } from './init.js';
import { type Attrs, type AttrValue, type Node, stableStringify, topoSort } from './node.js';
import { type OpName, opDefs } from './ops/index.js';
import { formatShape, type Shape, sameShape } from './shape.js';
import { Value } from './value.js';

/** What a named graph result is for: `output`s are returned by predict, `metric`s are reported scalars. */
export type OutputKind = 'output' | 'metric' | 'loss';

export interface GraphOutput {
  readonly node: Node;
  readonly kind: OutputKind;
}

export type Mode = 'train' | 'eval';

export interface ParamOptions {
  /** Keep the param out of training: a training step neither updates it nor keeps state for it. */
  readonly frozen?: boolean;
}

export interface GraphOptions {
  /** The dtype of `float` inputs, params and literals. */
  readonly floatDtype?: FloatDType;
  /** Dropout and batchnorm behave differently in training and evaluation graphs. */
  readonly mode?: Mode;
  /** Base seed of the counter-based random streams. */
  readonly seed?: number;
}

/** Name of the scalar input that counts training steps; random ops read it. `$` keeps it out of user names. */
export const STEP_INPUT = '$step';

/**
 * A graph under construction: a hash-consing node store plus the named roles of its nodes
 * (inputs, variables, outputs, and variable updates of a training step). It is also the
 * entry point of the builder API (`g.input`, `g.param`, `g.constant`).
 */
export class Graph {
  readonly floatDtype: FloatDType;
  readonly mode: Mode;
  readonly seed: number;
  readonly nodes: Node[] = [];
  readonly inputs = new Map<string, Node>();
  /** Params (trainable) and state (running statistics, optimizer state), by name. */
  readonly variables = new Map<string, Node>();
  readonly outputs = new Map<string, GraphOutput>();
  /** New values for variables after one run (a training step assigns params and state). */
  readonly updates = new Map<string, Node>();
  private readonly byKey = new Map<string, Node>();
  private spanStack: Span[] = [];
  private streams = 0;

  constructor(opts: GraphOptions = {}) {
    this.floatDtype = opts.floatDtype ?? 'f64';
    this.mode = opts.mode ?? 'train';
    this.seed = opts.seed ?? 0;
  }

  /**
   * Adds (or finds) the node `op(inputs)` with `attrs`. The op's shape rule runs here, so an
   * ill-shaped graph cannot be built; its ShapeError gets the current source span.
   */
  add(
    op: OpName,
    inputs: readonly Node[],
    attrs: Attrs = {},
    span: Span | undefined = this.currentSpan(),
  ): Node {
    const def = opDefs[op];
    if (def.arity === 'variadic' ? inputs.length === 0 : inputs.length !== def.arity) {
      throw new GradusError(
        diagnostic(
          'E0201',
          `${op} takes ${def.arity === 'variadic' ? 'one or more' : def.arity} inputs, got ${inputs.length}`,
        ),
      );
    }
    const key = `${op}(${inputs.map((n) => n.id).join(',')})${stableStringify(attrs as AttrValue)}`;
    const found = this.byKey.get(key);
    if (found) return found;
    let inferred: { shape: Shape; dtype: DType };
    try {
      inferred = (def.infer as (i: readonly Node[], a: Attrs) => { shape: Shape; dtype: DType })(
        inputs,
        attrs,
      );
    } catch (e) {
      if (e instanceof GradusError && span && !e.diagnostics[0]?.span) {
        const [first, ...rest] = e.diagnostics;
        const located = new (e.constructor as new (d: typeof first) => GradusError)({ ...first, span });
        if (rest.length === 0) throw located;
        throw new GradusError([{ ...first, span }, ...rest]);
      }
      throw e;
    }
    const node: Node = {
      id: this.nodes.length,
      op,
      inputs,
      attrs,
      dtype: inferred.dtype,
      shape: inferred.shape,
      ...(span ? { span } : {}),
    };
    this.nodes.push(node);
    this.byKey.set(key, node);
    return node;
  }

  /** Runs `fn` with `span` attached to every node it creates (the DSL lowering uses this). */
  withSpan<T>(span: Span | undefined, fn: () => T): T {
    if (!span) return fn();
    this.spanStack.push(span);
    try {
      return fn();
    } finally {
      this.spanStack.pop();
    }
  }

  currentSpan(): Span | undefined {
    return this.spanStack[this.spanStack.length - 1];
  }

  /** A builder handle for a node of this graph. */
  value(node: Node): Value {
    return new Value(this, node);
  }

  /** Declares a data input. Declaring the same name twice with another shape is an error. */
  input(name: string, shape: Shape, dtype: DType = this.floatDtype): Value {
    const prev = this.inputs.get(name);
    if (prev && (!sameShape(prev.shape, shape) || prev.dtype !== dtype)) {
      throw new GradusError(
        diagnostic(
          'E0202',
          `input '${name}' is already declared as ${prev.dtype}${formatShape(prev.shape)}, not ${dtype}${formatShape(shape)}`,
        ),
      );
    }
    const node = this.add('Input', [], { name, shape: [...shape], dtype });
    this.inputs.set(name, node);
    return this.value(node);
  }

  /**
   * Declares a trainable parameter with its initialiser. A `frozen` param is still a param (it
   * is initialised, saved and restored like the others) but training steps leave it as it is.
   */
  param(name: string, shape: Shape, init: InitSpec = { kind: 'zeros' }, opts: ParamOptions = {}): Value {
    return this.variable(name, shape, init, 'param', this.floatDtype, opts.frozen === true);
  }

  /** Declares non-trainable persistent state (running statistics, optimizer moments). */
  state(
    name: string,
    shape: Shape,
    init: InitSpec = { kind: 'zeros' },
    dtype: DType = this.floatDtype,
  ): Value {
    return this.variable(name, shape, init, 'state', dtype);
  }

  private variable(
    name: string,
    shape: Shape,
    init: InitSpec,
    kind: 'param' | 'state',
    dtype: DType = this.floatDtype,
    frozen = false,
  ): Value {
    if (this.variables.has(name) || this.inputs.has(name)) {
      throw new GradusError(diagnostic('E0203', `'${name}' is declared twice`));
    }
    const node = this.add('Variable', [], {
      name,
      shape: [...shape],
      dtype,
      kind,
      init: init as AttrValue,
      // Only when set, so that graphs without frozen params serialise as before.
      ...(frozen ? { frozen } : {}),
    });
    this.variables.set(name, node);
    return this.value(node);
  }

  /** A constant tensor; `value` is a number or a (nested) array. */
  constant(value: number | readonly unknown[], dtype: DType = this.floatDtype, shape?: Shape): Value {
    const flat: number[] = [];
    const dims: number[] = [];
    const walk = (v: unknown, depth: number): void => {
      if (Array.isArray(v)) {
        if (dims.length === depth) dims.push(v.length);
        else if (dims[depth] !== v.length)
          throw new GradusError(diagnostic('E0204', 'ragged constant: rows have different lengths'));
        for (const e of v) walk(e, depth + 1);
      } else flat.push(Number(v));
    };
    walk(value, 0);
    return this.value(this.add('Const', [], { value: flat, shape: [...(shape ?? dims)], dtype }));
  }

  /** Names a result. `loss` must be a scalar. */
  output(name: string, v: Value | Node, kind: OutputKind = 'output'): void {
    const node = v instanceof Value ? v.node : v;
    if (kind === 'loss' && node.shape.length !== 0) {
      throw new GradusError(
        diagnostic('E0205', `the loss must be a scalar, but '${name}' has shape ${formatShape(node.shape)}`),
      );
    }
    this.outputs.set(name, { node, kind });
  }

  /** Sets the value a variable takes after a run of this graph. */
  assign(name: string, v: Value | Node): void {
    const node = v instanceof Value ? v.node : v;
    const target = this.variables.get(name);
    if (!target) throw new GradusError(diagnostic('E0206', `cannot assign to '${name}': no such variable`));
    if (!sameShape(target.shape, node.shape)) {
      throw new GradusError(
        diagnostic(
          'E0207',
          `cannot assign a ${formatShape(node.shape)} value to '${name}' of shape ${formatShape(target.shape)}`,
        ),
      );
    }
    this.updates.set(name, node);
  }

  /** A fresh id for a random stream, so two dropout layers draw different masks. */
  nextStream(): number {
    return this.streams++;
  }

  /** How many random streams have been handed out; graph copies (passes, JSON) carry it over. */
  get streamCount(): number {
    return this.streams;
  }

  /** Makes later `nextStream()` calls return `n` or more, so a rebuilt graph's new streams don't collide. */
  reserveStreams(n: number): void {
    this.streams = Math.max(this.streams, n);
  }

  /** The step counter that random ops read (created on first use). */
  stepInput(): Node {
    return this.inputs.get(STEP_INPUT) ?? this.input(STEP_INPUT, [], 'i32').node;
  }

  /** The nodes that matter: outputs and updates. */
  roots(): Node[] {
    return [...[...this.outputs.values()].map((o) => o.node), ...this.updates.values()];
  }

  /** Nodes reachable from the roots (or from `roots`), in topological order. */
  reachable(roots: Iterable<Node> = this.roots()): Node[] {
    return topoSort(roots);
  }

  loss(): Node | undefined {
    for (const o of this.outputs.values()) if (o.kind === 'loss') return o.node;
    return undefined;
  }

  params(): Node[] {
    return [...this.variables.values()].filter((v) => v.attrs.kind === 'param');
  }

  /** The params a training step updates: all but the frozen ones, in declaration order. */
  trainableParams(): Node[] {
    return this.params().filter((v) => v.attrs.frozen !== true);
  }
}

/** Starts a graph: the builder API's entry point. */
export function graph(opts: GraphOptions = {}): Graph {
  return new Graph(opts);
}
