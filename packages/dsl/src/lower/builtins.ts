import {
  batchnorm,
  concat,
  crossEntropy,
  type Dim,
  dropout,
  elasticNet,
  GradusError,
  type Graph,
  hinge,
  l1,
  l2,
  mse,
  outOfRange,
  type Range,
  type Span,
  type Value,
} from '@gradus/autodiff';
import { dimOfVal, dimsTensor, floatHyperAsDim } from './dims.js';
import { fail, fromCore } from './errors.js';
import { LAYER_BUILTINS } from './layer-builtins.js';
import { describeVal, type Located, type Val } from './values.js';

/**
 * How an argument is read: a tensor, a number, an integer, an axis (or list of axes), a shape, a
 * flag, integer labels, a string, or a padding (an integer, a list of them, or a string).
 */
export type ArgKind =
  | 'tensor'
  | 'number'
  | 'int'
  | 'axes'
  | 'shape'
  | 'bool'
  | 'labels'
  | 'string'
  | 'padding';

export interface ParamSpec {
  readonly name: string;
  readonly kind: ArgKind;
  /** Optional parameters may be omitted; required ones may not. */
  readonly optional?: boolean;
}

/** Arguments after binding: by parameter name, plus the tensors a variadic built-in collected. */
export class Args {
  constructor(
    readonly g: Graph,
    readonly callSpan: Span,
    readonly callee: string,
    private readonly named: ReadonlyMap<string, Located<Val>>,
    readonly rest: readonly Located<Val>[],
  ) {}

  has(name: string): boolean {
    return this.named.has(name);
  }

  tensor(name: string): Value {
    const a = this.named.get(name);
    if (!a) return fail('E0103', `${this.callee}: missing argument '${name}'`, this.callSpan);
    return asTensorValue(this.g, a, `${this.callee}: argument '${name}'`);
  }

  labels(name: string): Value {
    const a = this.named.get(name);
    const t = this.tensor(name);
    if (t.dtype !== 'i32') {
      fail(
        'E0131',
        `${this.callee}: labels must be int, but '${name}' is ${describeVal({ kind: 'tensor', v: t })}`,
        a?.span ?? this.callSpan,
        {
          hint: 'declare the labels as `input y: int[N]`',
        },
      );
    }
    return t;
  }

  number(name: string, fallback?: number): number {
    const a = this.named.get(name);
    if (!a) {
      if (fallback === undefined)
        return fail('E0103', `${this.callee}: missing argument '${name}'`, this.callSpan);
      return fallback;
    }
    if (a.val.kind !== 'number')
      return fail('E0105', `${this.callee}: '${name}' must be a number, got ${describeVal(a.val)}`, a.span);
    return a.val.n;
  }

  /** A number that must lie in `range`: E0106 at the argument, naming the range. */
  numberIn(name: string, range: Range, fallback?: number): number {
    const n = this.number(name, fallback);
    const problem = outOfRange(`${this.callee}: '${name}'`, n, range);
    if (problem) fail('E0106', problem, this.named.get(name)?.span ?? this.callSpan);
    return n;
  }

  int(name: string, fallback?: number): number {
    const n = this.number(name, fallback);
    if (!Number.isInteger(n))
      fail(
        'E0105',
        `${this.callee}: '${name}' must be an integer, got ${n}`,
        this.named.get(name)?.span ?? this.callSpan,
      );
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const a = this.named.get(name);
    if (!a) return fallback;
    if (a.val.kind === 'symbol' && (a.val.name === 'true' || a.val.name === 'false'))
      return a.val.name === 'true';
    if (a.val.kind === 'number' && (a.val.n === 0 || a.val.n === 1)) return a.val.n === 1;
    return fail(
      'E0105',
      `${this.callee}: '${name}' must be true or false, got ${describeVal(a.val)}`,
      a.span,
    );
  }

  /** An axis or a list of axes (`axis = 1`, `axis = [0, 1]`); undefined when omitted. */
  axes(name: string): number | number[] | undefined {
    const a = this.named.get(name);
    if (!a) return undefined;
    if (a.val.kind === 'number' && a.val.integer) return a.val.n;
    if (a.val.kind === 'array' && a.val.shape.length === 1 && a.val.values.every(Number.isInteger))
      return [...a.val.values];
    return fail(
      'E0105',
      `${this.callee}: '${name}' must be an integer or a list of integers, got ${describeVal(a.val)}`,
      a.span,
    );
  }

  /**
   * A shape: a list of dims and whole numbers (`[N * T, D]`, `[-1, D]`), or one dim; undefined
   * when omitted.
   */
  shape(name: string): Dim[] | undefined {
    const a = this.named.get(name);
    if (!a) return undefined;
    const v = a.val;
    if (v.kind === 'dims') return [...v.dims];
    if (v.kind === 'array' && v.floatHyper)
      floatHyperAsDim(v.floatHyper.name, v.floatHyper.at, v.floatHyper.span);
    if (v.kind === 'array' && v.shape.length === 1 && v.values.every(Number.isInteger)) return [...v.values];
    const one = v.kind === 'number' || v.kind === 'size' ? dimOfVal(a) : undefined;
    if (one !== undefined) return [one];
    return fail(
      'E0105',
      `${this.callee}: '${name}' must be a shape, a list of dims and whole numbers such as [N * T, D], got ${describeVal(v)}`,
      a.span,
    );
  }

  /** A tensor argument that may be omitted. */
  optionalTensor(name: string): Value | undefined {
    return this.named.has(name) ? this.tensor(name) : undefined;
  }

  /** A string argument (`mode = "vanilla"`), or `fallback` when omitted. */
  string(name: string, fallback: string): string {
    const a = this.named.get(name);
    if (!a) return fallback;
    if (a.val.kind !== 'string')
      return fail('E0105', `${this.callee}: '${name}' must be a string, got ${describeVal(a.val)}`, a.span);
    return a.val.s;
  }

  /** An integer, a list of integers, or a string (`padding = 1`, `[1, 2]`, `"same"`); undefined when omitted. */
  padding(name: string): number | number[] | string | undefined {
    const a = this.named.get(name);
    if (a?.val.kind === 'string') return a.val.s;
    return this.axes(name);
  }

  /**
   * Runs `fn`, reporting a library error of `code` that names the argument (`padding must be …`)
   * at that argument, when it was given, rather than at the whole call: the argument is what the
   * user has to change.
   */
  blame<T>(name: string, code: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      const a = this.named.get(name);
      const about = e instanceof GradusError && e.code === code && e.message.includes(`${name} `);
      if (a && about) throw fromCore(e as GradusError, a.span);
      throw e;
    }
  }

  restTensors(): Value[] {
    return this.rest.map((r, i) => asTensorValue(this.g, r, `${this.callee}: argument ${i + 1}`));
  }
}

/** A value used as a tensor: numbers and literals become constants. */
export function asTensorValue(g: Graph, a: Located<Val>, what: string): Value {
  const v = a.val;
  switch (v.kind) {
    case 'tensor':
      return v.v;
    case 'number':
      return g.withSpan(a.span, () => g.constant(v.n));
    case 'array':
      return g.withSpan(a.span, () => g.constant(v.values as number[], g.floatDtype, v.shape));
    case 'size':
      return g.withSpan(a.span, v.tensor);
    case 'dims':
      return g.withSpan(a.span, () => dimsTensor(g, v.dims));
    default:
      return fail('E0105', `${what} must be a tensor, got ${describeVal(v)}`, a.span);
  }
}

export interface Builtin {
  readonly doc: string;
  readonly params: readonly ParamSpec[];
  /** Collects any number of leading positional tensors (`l2(W1, W2)`); params then bind by name only. */
  readonly variadic?: boolean;
  readonly call: (a: Args) => Val;
}

const t = (v: Value): Val => ({ kind: 'tensor', v });
const X: ParamSpec = { name: 'x', kind: 'tensor' };
const reduction = (
  doc: string,
  f: (x: Value, axis: number | number[] | undefined, keepdims: boolean) => Value,
): Builtin => ({
  doc,
  params: [
    X,
    { name: 'axis', kind: 'axes', optional: true },
    { name: 'keepdims', kind: 'bool', optional: true },
  ],
  call: (a) => t(f(a.tensor('x'), a.axes('axis'), a.bool('keepdims', false))),
});
const unary = (doc: string, f: (x: Value) => Value): Builtin => ({
  doc,
  params: [X],
  call: (a) => t(f(a.tensor('x'))),
});

/** Every function a `.model` file can call, by name. */
export const BUILTINS: Readonly<Record<string, Builtin>> = {
  exp: unary('e^x', (x) => x.exp()),
  log: unary('natural logarithm', (x) => x.log()),
  sqrt: unary('square root', (x) => x.sqrt()),
  abs: unary('absolute value', (x) => x.abs()),
  square: unary('x²', (x) => x.square()),
  sign: unary('sign of x', (x) => x.sign()),
  sin: unary('sine', (x) => x.sin()),
  cos: unary('cosine', (x) => x.cos()),
  tanh: unary('hyperbolic tangent', (x) => x.tanh()),
  sigmoid: unary('logistic function', (x) => x.sigmoid()),
  relu: unary('max(x, 0)', (x) => x.relu()),
  softplus: unary('log(1 + e^x)', (x) => x.softplus()),
  leaky_relu: {
    doc: 'x if x > 0 else alpha·x',
    params: [X, { name: 'alpha', kind: 'number', optional: true }],
    call: (a) => t(a.tensor('x').leakyRelu(a.number('alpha', 0.01))),
  },
  maximum: {
    doc: 'elementwise maximum',
    params: [
      { name: 'a', kind: 'tensor' },
      { name: 'b', kind: 'tensor' },
    ],
    call: (a) => t(a.tensor('a').maximum(a.tensor('b'))),
  },
  minimum: {
    doc: 'elementwise minimum',
    params: [
      { name: 'a', kind: 'tensor' },
      { name: 'b', kind: 'tensor' },
    ],
    call: (a) => t(a.tensor('a').minimum(a.tensor('b'))),
  },
  where: {
    doc: 'cond ? a : b',
    params: [
      { name: 'cond', kind: 'tensor' },
      { name: 'a', kind: 'tensor' },
      { name: 'b', kind: 'tensor' },
    ],
    call: (a) => t(a.tensor('cond').where(a.tensor('a'), a.tensor('b'))),
  },
  sum: reduction('sum over axes', (x, axis, keepdims) => x.sum({ axis, keepdims })),
  mean: reduction('mean over axes', (x, axis, keepdims) => x.mean({ axis, keepdims })),
  max: reduction('maximum over axes', (x, axis, keepdims) => x.max({ axis, keepdims })),
  min: reduction('minimum over axes', (x, axis, keepdims) => x.min({ axis, keepdims })),
  logsumexp: reduction('log Σ e^x over axes', (x, axis, keepdims) => x.logsumexp({ axis, keepdims })),
  argmax: {
    doc: 'index of the largest element along an axis (default: the last)',
    params: [
      X,
      { name: 'axis', kind: 'int', optional: true },
      { name: 'keepdims', kind: 'bool', optional: true },
    ],
    call: (a) => t(a.tensor('x').argmax({ axis: a.int('axis', -1), keepdims: a.bool('keepdims', false) })),
  },
  transpose: {
    doc: 'reverse the axes, or permute them with perm',
    params: [X, { name: 'perm', kind: 'axes', optional: true }],
    call: (a) => {
      const perm = a.axes('perm');
      return t(
        a.tensor('x').transpose(perm === undefined ? undefined : typeof perm === 'number' ? [perm] : perm),
      );
    },
  },
  reshape: {
    doc: 'same elements in a new shape (dims may be arithmetic such as N * T); one dim may be -1',
    params: [X, { name: 'shape', kind: 'shape' }],
    call: (a) => {
      const s = a.shape('shape');
      if (s === undefined) return fail('E0103', 'reshape: missing argument shape', a.callSpan);
      return t(a.tensor('x').reshape(s));
    },
  },
  concat: {
    doc: 'join tensors along an axis',
    params: [{ name: 'axis', kind: 'int', optional: true }],
    variadic: true,
    call: (a) => t(concat(a.restTensors(), a.int('axis', 0))),
  },
  one_hot: {
    doc: 'one-hot encoding of integer labels',
    params: [
      { name: 'labels', kind: 'labels' },
      { name: 'depth', kind: 'int' },
    ],
    call: (a) => t(a.labels('labels').oneHot(a.int('depth'))),
  },
  softmax: {
    doc: 'softmax along an axis (default: the last)',
    params: [X, { name: 'axis', kind: 'int', optional: true }],
    call: (a) => t(a.tensor('x').softmax(a.int('axis', -1))),
  },
  log_softmax: {
    doc: 'log-softmax along an axis (default: the last)',
    params: [X, { name: 'axis', kind: 'int', optional: true }],
    call: (a) => t(a.tensor('x').logSoftmax(a.int('axis', -1))),
  },
  cross_entropy: {
    doc: 'per-example cross-entropy of logits against integer labels',
    params: [
      { name: 'logits', kind: 'tensor' },
      { name: 'labels', kind: 'labels' },
    ],
    call: (a) => t(crossEntropy(a.tensor('logits'), a.labels('labels'))),
  },
  hinge: {
    doc: 'multiclass SVM loss per example: Σ_{j≠y} max(0, s_j − s_y + margin)',
    params: [
      { name: 'scores', kind: 'tensor' },
      { name: 'labels', kind: 'labels' },
      { name: 'margin', kind: 'number', optional: true },
    ],
    call: (a) => t(hinge(a.tensor('scores'), a.labels('labels'), a.number('margin', 1))),
  },
  mse: {
    doc: 'mean squared error',
    params: [
      { name: 'pred', kind: 'tensor' },
      { name: 'target', kind: 'tensor' },
    ],
    call: (a) => t(mse(a.tensor('pred'), a.tensor('target'))),
  },
  l2: {
    doc: 'Σ W² over the given tensors',
    params: [],
    variadic: true,
    call: (a) => t(l2(...a.restTensors())),
  },
  l1: {
    doc: 'Σ |W| over the given tensors',
    params: [],
    variadic: true,
    call: (a) => t(l1(...a.restTensors())),
  },
  elastic_net: {
    doc: 'Σ βW² + |W| over the given tensors',
    params: [{ name: 'beta', kind: 'number' }],
    variadic: true,
    call: (a) => t(elasticNet(a.restTensors(), a.number('beta'))),
  },
  dropout: {
    doc: 'dropout: keep units with probability keep; "inverted" (default) scales them by 1/keep in training, "vanilla" scales by keep in evaluation',
    params: [X, { name: 'keep', kind: 'number' }, { name: 'mode', kind: 'string', optional: true }],
    call: (a) => {
      const keep = a.number('keep');
      if (!(keep > 0 && keep <= 1)) fail('E0106', `dropout: keep must be in (0, 1], got ${keep}`, a.callSpan);
      const x = a.tensor('x');
      const mode = a.string('mode', 'inverted');
      return t(a.blame('mode', 'E0338', () => dropout(x, keep, mode as 'inverted')));
    },
  },
  batchnorm: {
    doc: 'batch normalisation (batch statistics in training, running statistics in evaluation)',
    params: [
      X,
      { name: 'gamma', kind: 'tensor' },
      { name: 'beta', kind: 'tensor' },
      { name: 'momentum', kind: 'number', optional: true },
      { name: 'eps', kind: 'number', optional: true },
    ],
    call: (a) => {
      const gamma = a.tensor('gamma');
      const name =
        (gamma.node.op === 'Variable' ? (gamma.node.attrs.name as string) : undefined) ?? undefined;
      return t(
        batchnorm(a.tensor('x'), gamma, a.tensor('beta'), {
          momentum: a.numberIn('momentum', { min: 0, max: 1, maxOpen: true }, 0.9),
          eps: a.numberIn('eps', { min: 0, minOpen: true }, 1e-5),
          ...(name ? { name } : {}),
        }),
      );
    },
  },
  ...LAYER_BUILTINS,
};
