/**
 * The op table: one case per primitive op and per composite, saying how to build it from
 * `Value`s, where its inputs may lie, whether it is differentiable (and twice so) there, its
 * shape rule on a few hand-written examples, and an independent plain-JS reference of its value
 * (`naive.ts`). The autodiff suite runs every case through the same checks (shape rule, gradient
 * by central differences, second order, reference value); backends can rerun the same table
 * against the interpreter.
 */
import fc from 'fast-check';
import * as C from '../composites.js';
import type { DType } from '../dtype.js';
import { type Graph, graph, type Mode } from '../graph.js';
import { init } from '../init.js';
import type { OpName } from '../ops/index.js';
import type { Shape } from '../shape.js';
import { type TensorLike, toTensor } from '../tensor.js';
import type { Value } from '../value.js';
import {
  broadcastShapesArb,
  type Domain,
  domains,
  fixedArg,
  nest,
  shapeArb,
  sizeOfShape,
  tensorArb,
  tensorsArb,
} from './arbitraries.js';
import type { CheckArg, GradcheckOptions } from './gradcheck.js';
import { layerCases } from './layer-cases.js';
import type { Plain } from './naive.js';
import * as N from './naive.js';

/** One concrete case: gradcheck arguments plus the op's attributes (axes, flags, target shapes). */
export interface Sample<P> {
  readonly args: readonly CheckArg[];
  readonly params: P;
}

export interface ShapeExample<P> {
  readonly shapes: readonly Shape[];
  readonly params: P;
  /** dtypes of the inputs (default: the case's `dtypes`). */
  readonly dtypes?: readonly DType[];
  readonly out: Shape;
  readonly dtype?: DType;
}

export interface BadShapeExample<P> {
  readonly shapes: readonly Shape[];
  readonly params: P;
  readonly dtypes?: readonly DType[];
  /** Built instead of the case's `build` (a raw op, bypassing the builder's casts and checks). */
  readonly build?: (xs: readonly Value[], p: P) => Value;
  /** What the ShapeError's message must name: the op and the shapes involved. */
  readonly mentions: readonly string[];
}

/** How an input is drawn: a float domain (differentiated), class labels (i32), or a bool mask. */
export type InputSpec = Domain | { readonly labels: number } | 'mask';

export interface OpCase<P = unknown> {
  readonly name: string;
  readonly kind: 'primitive' | 'composite';
  /** Primitive ops this case is the entry for (the suite checks that every op has one). */
  readonly ops: readonly OpName[];
  /** dtypes of the inputs, for shape examples (default all f64). */
  readonly dtypes?: readonly DType[];
  readonly build: (xs: readonly Value[], p: P) => Value;
  /** Where the inputs lie, in words (the samples draw from it). */
  readonly domain: string;
  readonly samples: fc.Arbitrary<Sample<P>>;
  /** 'check': reverse mode against central differences; 'none': no gradient reaches any input, and asking is no error. */
  readonly gradient: 'check' | 'none';
  /** Twice differentiable wherever the samples lie: second-order checks run. */
  readonly smooth: boolean;
  /** Options for gradcheck/hvpcheck (tolerances, graph mode, variable init seed). */
  readonly check?: GradcheckOptions;
  /** The op's value in plain JS, written independently of the interpreter (undefined for random ops). */
  readonly reference?: (xs: readonly Plain[], p: P) => Plain;
  /** A small fixed example for the reference check. */
  readonly example: Sample<P>;
  /** Closed-form first and second derivatives of a unary elementwise op, valid on `domain`. */
  readonly derivatives?: {
    readonly d1: (x: number) => number;
    readonly d2: (x: number) => number;
    readonly domain: Domain;
  };
  readonly shapeRule: {
    readonly ok: readonly ShapeExample<P>[];
    readonly bad?: BadShapeExample<P>;
  };
}

type NoParams = Record<string, never>;
const none: NoParams = {};

/** Erases a case's params type so cases of different ops share one table. */
function opCase<P>(c: OpCase<P>): OpCase {
  return c as unknown as OpCase;
}

interface Layout<P> {
  readonly shapes: number[][];
  readonly params: P;
}

/**
 * Samples for a layout (input shapes + params): float inputs from their domains (drawn together
 * when `joint`, so separation holds across inputs), labels uniformly among classes, masks at random.
 */
function sampled<P>(
  layout: fc.Arbitrary<Layout<P>>,
  specs: (l: Layout<P>) => readonly InputSpec[],
  opts: { readonly joint?: boolean; readonly filter?: (s: Sample<P>) => boolean } = {},
): fc.Arbitrary<Sample<P>> {
  const arb = layout.chain((l) => {
    const sp = specs(l);
    const floatIdx = sp.map((s, i) => (typeof s === 'object' && 'min' in s ? i : -1)).filter((i) => i >= 0);
    const floats: fc.Arbitrary<TensorLike[]> =
      opts.joint && floatIdx.length > 0
        ? tensorsArb(
            floatIdx.map((i) => l.shapes[i]),
            sp[floatIdx[0]] as Domain,
          )
        : fc.tuple(...floatIdx.map((i) => tensorArb(l.shapes[i], sp[i] as Domain)));
    const others = sp.map((s, i) => {
      const n = sizeOfShape(l.shapes[i]);
      if (s === 'mask')
        return fc
          .array(fc.boolean(), { minLength: n, maxLength: n })
          .map((b) => fixedArg(nest(l.shapes[i], b.map(Number)), 'bool'));
      if ('labels' in s)
        return fc
          .array(fc.integer({ min: 0, max: s.labels - 1 }), { minLength: n, maxLength: n })
          .map((v) => fixedArg(nest(l.shapes[i], v), 'i32'));
      return fc.constant(undefined);
    });
    return fc.tuple(floats, fc.tuple(...others)).map(([fl, ot]) => {
      const args: CheckArg[] = ot.map((o) => o as CheckArg);
      floatIdx.forEach((i, k) => {
        args[i] = fl[k];
      });
      return { args, params: l.params };
    });
  });
  return opts.filter ? arb.filter(opts.filter) : arb;
}

const single = (o: Parameters<typeof shapeArb>[0] = {}) =>
  shapeArb(o).map((s): Layout<NoParams> => ({ shapes: [s], params: none }));

const broadcasting = (count: number) =>
  broadcastShapesArb(count).map(({ shapes }): Layout<NoParams> => ({ shapes, params: none }));

/** A shape of rank ≥ 1 with a nonempty set of axes and a keepdims flag. */
const withAxes = (o: Parameters<typeof shapeArb>[0] = {}) =>
  shapeArb({ minRank: 1, ...o }).chain((s) =>
    fc
      .tuple(
        fc.subarray(
          s.map((_, i) => i),
          { minLength: 1 },
        ),
        fc.boolean(),
      )
      .map(([axes, keepdims]) => ({ shapes: [s], params: { axes, keepdims } })),
  );

/** A shape of rank ≥ 1 and one axis, given as a negative index half the time. */
const withAxis = (o: Parameters<typeof shapeArb>[0] = {}) =>
  shapeArb({ minRank: 1, ...o }).chain((s) =>
    fc
      .tuple(fc.integer({ min: 0, max: s.length - 1 }), fc.boolean())
      .map(([a, neg]) => ({ shapes: [s], params: { axis: neg ? a - s.length : a } })),
  );

const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** A fixed pattern of values for literal tensors (constants, literal inits). */
const pattern = (n: number) => Array.from({ length: n }, (_, i) => 0.25 * ((i % 5) - 2) + 0.125 * i);

const sigm = (x: number) => 1 / (1 + Math.exp(-x));

// ---- leaves ----------------------------------------------------------------------------------

const leafCases: OpCase[] = [
  opCase<NoParams>({
    name: 'Input',
    kind: 'primitive',
    ops: ['Input'],
    build: ([x]) => x,
    domain: 'any',
    samples: sampled(single(), () => [domains.any]),
    gradient: 'check',
    smooth: true,
    reference: ([x]) => x,
    example: { args: [[1, -2, 3.5]], params: none },
    shapeRule: {
      ok: [
        { shapes: [[2, 3]], params: none, out: [2, 3] },
        { shapes: [['N', 2]], params: none, out: ['N', 2] },
      ],
      bad: {
        shapes: [[1]],
        params: none,
        build: ([x]) => x.g.input('bad', [2, -1]),
        mentions: ['Input', '[2, -1]'],
      },
    },
  }),
  opCase<NoParams>({
    name: 'Variable',
    kind: 'primitive',
    ops: ['Variable'],
    build: ([x]) => x.add(x.g.param('p', x.shape, init.literal(pattern(sizeOfShape(x.shape as number[]))))),
    domain: 'any',
    samples: sampled(single(), () => [domains.any]),
    gradient: 'check',
    smooth: true,
    check: { initSeed: 0 },
    reference: ([x]) => N.zip((a, b) => a + b, x, N.plain(x.shape, pattern(x.data.length))),
    example: {
      args: [
        [
          [1, 2],
          [3, 4],
        ],
      ],
      params: none,
    },
    shapeRule: {
      ok: [{ shapes: [[2, 3]], params: none, out: [2, 3] }],
      bad: {
        shapes: [[1]],
        params: none,
        build: ([x]) => x.g.param('q', [2, 1.5]),
        mentions: ['Variable', '[2, 1.5]'],
      },
    },
  }),
  opCase<NoParams>({
    name: 'Const',
    kind: 'primitive',
    ops: ['Const'],
    build: ([x]) => x.mul(x.g.constant(pattern(sizeOfShape(x.shape as number[])), 'f64', x.shape)),
    domain: 'any',
    samples: sampled(single(), () => [domains.any]),
    gradient: 'check',
    smooth: true,
    reference: ([x]) => N.zip((a, b) => a * b, x, N.plain(x.shape, pattern(x.data.length))),
    example: { args: [[1, 2, 3, 4, 5, 6]], params: none },
    shapeRule: {
      ok: [{ shapes: [[2, 3]], params: none, out: [2, 3] }],
      bad: {
        shapes: [[1]],
        params: none,
        build: ([x]) => x.g.constant([1, 2, 3], 'f64', [2, 2]),
        mentions: ['Const', '[2, 2]'],
      },
    },
  }),
  opCase<NoParams>({
    name: 'Size',
    kind: 'primitive',
    ops: ['Size'],
    build: ([x]) => x.mul(x.g.value(x.g.add('Size', [], { dims: [...x.shape], dtype: 'f64' }))),
    domain: 'any',
    samples: sampled(single(), () => [domains.any]),
    gradient: 'check',
    smooth: true,
    reference: ([x]) => N.map(x, (v) => v * x.data.length),
    example: {
      args: [
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
      ],
      params: none,
    },
    shapeRule: {
      ok: [
        { shapes: [['N', 3]], params: none, out: ['N', 3] },
        { shapes: [[]], params: none, out: [] },
      ],
    },
  }),
];

// ---- elementwise unary -----------------------------------------------------------------------

const unaryShapes: ShapeExample<NoParams>[] = [
  { shapes: [[]], params: none, out: [] },
  { shapes: [[2, 3]], params: none, out: [2, 3] },
  { shapes: [['N', 4]], params: none, out: ['N', 4] },
];

function unary(
  name: OpName,
  build: (x: Value) => Value,
  f: (v: number) => number,
  domain: Domain,
  domainName: string,
  d1: (x: number) => number,
  d2: (x: number) => number,
  example: number[],
): OpCase {
  return opCase<NoParams>({
    name,
    kind: 'primitive',
    ops: [name],
    build: ([x]) => build(x),
    domain: domainName,
    samples: sampled(single(), () => [domain]),
    gradient: 'check',
    smooth: true,
    reference: ([x]) => N.map(x, f),
    derivatives: { d1, d2, domain },
    example: { args: [example], params: none },
    shapeRule: {
      ok: unaryShapes,
      bad: {
        shapes: [[2]],
        params: none,
        dtypes: ['bool'],
        build: ([x]) => x.op(name),
        mentions: [name, 'bool[2]'],
      },
    },
  });
}

const unaryCases: OpCase[] = [
  unary(
    'Neg',
    (x) => x.neg(),
    (v) => -v,
    domains.any,
    'any',
    () => -1,
    () => 0,
    [1, -2, 0],
  ),
  unary('Exp', (x) => x.exp(), Math.exp, domains.any, 'any', Math.exp, Math.exp, [0, 1, -1]),
  unary(
    'Log',
    (x) => x.log(),
    Math.log,
    domains.positive,
    'x ≥ 0.1',
    (x) => 1 / x,
    (x) => -1 / (x * x),
    [1, Math.E, 0.5],
  ),
  unary(
    'Sqrt',
    (x) => x.sqrt(),
    Math.sqrt,
    domains.positive,
    'x ≥ 0.1',
    (x) => 0.5 / Math.sqrt(x),
    (x) => -0.25 * x ** -1.5,
    [4, 0.25, 2],
  ),
  unary(
    'Abs',
    (x) => x.abs(),
    Math.abs,
    domains.awayFromZero,
    '|x| ≥ 0.05',
    (x) => (x > 0 ? 1 : -1),
    () => 0,
    [-3, 2, -0.5],
  ),
  unary(
    'Sin',
    (x) => x.sin(),
    Math.sin,
    domains.any,
    'any',
    Math.cos,
    (x) => -Math.sin(x),
    [0, Math.PI / 2, 1],
  ),
  unary(
    'Cos',
    (x) => x.cos(),
    Math.cos,
    domains.any,
    'any',
    (x) => -Math.sin(x),
    (x) => -Math.cos(x),
    [0, Math.PI, 1],
  ),
  unary(
    'Tanh',
    (x) => x.tanh(),
    Math.tanh,
    domains.any,
    'any',
    (x) => 1 - Math.tanh(x) ** 2,
    (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2),
    [0, 0.5, -1.5],
  ),
  opCase<NoParams>({
    name: 'Sign',
    kind: 'primitive',
    ops: ['Sign'],
    build: ([x]) => x.sign(),
    domain: '|x| ≥ 0.05 (the step at 0 is not differentiable)',
    samples: sampled(single(), () => [domains.awayFromZero]),
    gradient: 'check',
    smooth: true,
    reference: ([x]) => N.map(x, (v) => (v > 0 ? 1 : v < 0 ? -1 : 0)),
    example: { args: [[-2, 0, 3]], params: none },
    shapeRule: {
      ok: unaryShapes,
      bad: {
        shapes: [[2]],
        params: none,
        dtypes: ['bool'],
        build: ([x]) => x.op('Sign'),
        mentions: ['Sign', 'bool[2]'],
      },
    },
  }),
  opCase<NoParams>({
    name: 'StopGradient',
    kind: 'primitive',
    ops: ['StopGradient'],
    build: ([x]) => x.stopGradient(),
    domain: 'any',
    samples: sampled(single(), () => [domains.any]),
    gradient: 'none',
    smooth: false,
    reference: ([x]) => x,
    example: { args: [[1, -2]], params: none },
    shapeRule: { ok: unaryShapes },
  }),
  opCase<NoParams>({
    name: 'Cast (f64 → f32 → f64)',
    kind: 'primitive',
    ops: ['Cast'],
    build: ([x]) => x.castTo('f32').castTo('f64'),
    domain: 'any',
    samples: sampled(single(), () => [domains.any]),
    gradient: 'check',
    smooth: true,
    // f32 rounding moves each value by at most 2^-24 relatively: a wide step keeps the numeric slope accurate.
    check: { eps: 1e-2, rtol: 2e-5 },
    reference: ([x]) => N.map(x, Math.fround),
    example: { args: [[0.1, 1 / 3, -2]], params: none },
    shapeRule: {
      ok: [{ shapes: [[2, 3]], params: none, out: [2, 3], dtype: 'f64' }],
    },
  }),
  opCase<NoParams>({
    name: 'Cast (f64 → i32)',
    kind: 'primitive',
    ops: ['Cast'],
    build: ([x]) => x.castTo('i32'),
    domain: 'any',
    samples: sampled(single(), () => [domains.any]),
    gradient: 'none',
    smooth: false,
    reference: ([x]) => N.map(x, (v) => (v < 0 ? Math.ceil(v) : Math.floor(v)) + 0),
    example: { args: [[1.7, -1.7, 0.2, -0.2]], params: none },
    shapeRule: { ok: [{ shapes: [[2, 3]], params: none, out: [2, 3], dtype: 'i32' }] },
  }),
  opCase<NoParams>({
    name: 'Cast (f64 → bool)',
    kind: 'primitive',
    ops: ['Cast'],
    build: ([x]) => x.castTo('bool'),
    domain: 'any',
    samples: sampled(single(), () => [domains.any]),
    gradient: 'none',
    smooth: false,
    reference: ([x]) => N.map(x, (v) => (v === 0 ? 0 : 1)),
    example: { args: [[0, 2, -0.5]], params: none },
    shapeRule: { ok: [{ shapes: [[3]], params: none, out: [3], dtype: 'bool' }] },
  }),
];

// ---- elementwise binary ----------------------------------------------------------------------

function binaryShapeRule(name: string) {
  return {
    ok: [
      { shapes: [[2, 3], [3]], params: none, out: [2, 3] },
      {
        shapes: [
          [2, 1],
          [1, 4],
        ],
        params: none,
        out: [2, 4],
      },
      { shapes: [[], [2]], params: none, out: [2] },
      { shapes: [['N', 1], [3]], params: none, out: ['N', 3] },
    ],
    bad: { shapes: [[2, 3], [4]], params: none, mentions: [name, '[2, 3]', '[4]'] },
  };
}

function binary(
  name: OpName,
  build: (a: Value, b: Value) => Value,
  f: (a: number, b: number) => number,
  specs: readonly [Domain, Domain],
  domainName: string,
  example: [number[], number[]],
  joint = false,
): OpCase {
  return opCase<NoParams>({
    name,
    kind: 'primitive',
    ops: [name],
    build: ([a, b]) => build(a, b),
    domain: domainName,
    samples: sampled(broadcasting(2), () => specs, { joint }),
    gradient: 'check',
    smooth: true,
    reference: ([a, b]) => N.zip(f, a, b),
    example: { args: example, params: none },
    shapeRule: binaryShapeRule(name),
  });
}

const binaryCases: OpCase[] = [
  binary(
    'Add',
    (a, b) => a.add(b),
    (a, b) => a + b,
    [domains.any, domains.any],
    'any',
    [
      [1, 2],
      [10, 20],
    ],
  ),
  binary(
    'Sub',
    (a, b) => a.sub(b),
    (a, b) => a - b,
    [domains.any, domains.any],
    'any',
    [
      [1, 2],
      [10, 20],
    ],
  ),
  binary(
    'Mul',
    (a, b) => a.mul(b),
    (a, b) => a * b,
    [domains.any, domains.any],
    'any',
    [
      [1, 2],
      [10, 20],
    ],
  ),
  binary(
    'Div',
    (a, b) => a.div(b),
    (a, b) => a / b,
    [domains.any, domains.nonSmall],
    'divisor |b| ≥ 0.2',
    [
      [1, 2],
      [4, -8],
    ],
  ),
  binary(
    'Pow',
    (a, b) => a.pow(b),
    (a, b) => a ** b,
    [domains.positive, domains.any],
    'base ≥ 0.1',
    [
      [4, 2],
      [0.5, 3],
    ],
  ),
  binary(
    'Maximum',
    (a, b) => a.maximum(b),
    Math.max,
    [domains.distinct, domains.distinct],
    'no two values within 0.05',
    [
      [1, 5],
      [3, 2],
    ],
    true,
  ),
  binary(
    'Minimum',
    (a, b) => a.minimum(b),
    Math.min,
    [domains.distinct, domains.distinct],
    'no two values within 0.05',
    [
      [1, 5],
      [3, 2],
    ],
    true,
  ),
];

function comparison(
  name: OpName,
  build: (a: Value, b: Value) => Value,
  f: (a: number, b: number) => boolean,
): OpCase {
  const rule = binaryShapeRule(name);
  return opCase<NoParams>({
    name,
    kind: 'primitive',
    ops: [name],
    build: ([a, b]) => build(a, b),
    domain: 'no two values within 0.05',
    samples: sampled(broadcasting(2), () => [domains.distinct, domains.distinct], { joint: true }),
    gradient: 'none',
    smooth: false,
    reference: ([a, b]) => N.zip((x, y) => (f(x, y) ? 1 : 0), a, b),
    example: {
      args: [
        [1, 2, 3],
        [2, 2, 2],
      ],
      params: none,
    },
    shapeRule: { ok: rule.ok.map((e) => ({ ...e, dtype: 'bool' as const })), bad: rule.bad },
  });
}

const comparisonCases: OpCase[] = [
  comparison(
    'Equal',
    (a, b) => a.eq(b),
    (a, b) => a === b,
  ),
  comparison(
    'NotEqual',
    (a, b) => a.ne(b),
    (a, b) => a !== b,
  ),
  comparison(
    'Less',
    (a, b) => a.lt(b),
    (a, b) => a < b,
  ),
  comparison(
    'LessEqual',
    (a, b) => a.le(b),
    (a, b) => a <= b,
  ),
  comparison(
    'Greater',
    (a, b) => a.gt(b),
    (a, b) => a > b,
  ),
  comparison(
    'GreaterEqual',
    (a, b) => a.ge(b),
    (a, b) => a >= b,
  ),
  opCase<NoParams>({
    name: 'Where',
    kind: 'primitive',
    ops: ['Where'],
    dtypes: ['bool', 'f64', 'f64'],
    build: ([c, a, b]) => c.where(a, b),
    domain: 'any (the mask is held fixed)',
    samples: sampled(broadcasting(3), () => ['mask', domains.any, domains.any]),
    gradient: 'check',
    smooth: true,
    reference: ([c, a, b]) => N.zip((m, x, y) => (m ? x : y), c, a, b),
    example: { args: [fixedArg([1, 0, 1], 'bool'), [1, 2, 3], [10, 20, 30]], params: none },
    shapeRule: {
      ok: [
        { shapes: [[2, 1], [3], [1]], params: none, out: [2, 3] },
        { shapes: [['N'], ['N'], []], params: none, out: ['N'] },
      ],
      bad: { shapes: [[2], [3], [1]], params: none, mentions: ['Where', '[2]', '[3]'] },
    },
  }),
];

// ---- reductions --------------------------------------------------------------------------------

interface AxesParams {
  readonly axes: number[];
  readonly keepdims: boolean;
}

function reduction(
  name: 'Sum' | 'Max' | 'Min',
  build: (x: Value, p: AxesParams) => Value,
  f: (vs: number[]) => number,
  domain: Domain,
  domainName: string,
): OpCase {
  return opCase<AxesParams>({
    name,
    kind: 'primitive',
    ops: [name],
    build: ([x], p) => build(x, p),
    domain: domainName,
    samples: sampled(withAxes(), () => [domain]),
    gradient: 'check',
    smooth: true,
    reference: ([x], p) => N.reduceAxes(x, p.axes, p.keepdims, f),
    example: {
      args: [
        [
          [1, 5, 2],
          [7, 0, 3],
        ],
      ],
      params: { axes: [1], keepdims: false },
    },
    shapeRule: {
      ok: [
        { shapes: [[2, 3]], params: { axes: [1], keepdims: false }, out: [2] },
        { shapes: [[2, 3]], params: { axes: [1], keepdims: true }, out: [2, 1] },
        { shapes: [[2, 3, 4]], params: { axes: [0, 2], keepdims: false }, out: [3] },
        { shapes: [['N', 3]], params: { axes: [0], keepdims: false }, out: [3] },
      ],
      bad: {
        shapes: [[2, 3]],
        params: { axes: [2], keepdims: false },
        build: ([x], p) => x.op(name, [], { axes: p.axes, keepdims: p.keepdims }),
        mentions: [name, '[2, 3]'],
      },
    },
  });
}

const reductionCases: OpCase[] = [
  reduction('Sum', (x, p) => x.sum({ axis: p.axes, keepdims: p.keepdims }), N.total, domains.any, 'any'),
  reduction(
    'Max',
    (x, p) => x.max({ axis: p.axes, keepdims: p.keepdims }),
    (vs) => Math.max(...vs),
    domains.distinct,
    'no two values within 0.05',
  ),
  reduction(
    'Min',
    (x, p) => x.min({ axis: p.axes, keepdims: p.keepdims }),
    (vs) => Math.min(...vs),
    domains.distinct,
    'no two values within 0.05',
  ),
  opCase<{ axis: number; keepdims: boolean }>({
    name: 'ArgMax',
    kind: 'primitive',
    ops: ['ArgMax'],
    build: ([x], p) => x.op('ArgMax', [], { axis: norm(p.axis, x.rank), keepdims: p.keepdims }),
    domain: 'no two values within 0.05',
    samples: sampled(
      withAxis().chain((l) => fc.boolean().map((keepdims) => ({ ...l, params: { ...l.params, keepdims } }))),
      () => [domains.distinct],
    ),
    gradient: 'none',
    smooth: false,
    reference: ([x], p) => N.argmax(x, norm(p.axis, x.shape.length), p.keepdims),
    example: {
      args: [
        [
          [1, 5, 2],
          [7, 0, 3],
        ],
      ],
      params: { axis: 1, keepdims: false },
    },
    shapeRule: {
      ok: [
        { shapes: [[2, 3]], params: { axis: 1, keepdims: false }, out: [2], dtype: 'i32' },
        { shapes: [[2, 3]], params: { axis: 0, keepdims: true }, out: [1, 3], dtype: 'i32' },
      ],
      bad: {
        shapes: [[2, 3]],
        params: { axis: 2, keepdims: false },
        build: ([x], p) => x.op('ArgMax', [], { axis: p.axis, keepdims: p.keepdims }),
        mentions: ['ArgMax', '[2, 3]'],
      },
    },
  }),
];

// ---- linear algebra ----------------------------------------------------------------------------

interface MatMulParams {
  readonly transA: boolean;
  readonly transB: boolean;
}

const dim = fc.integer({ min: 1, max: 3 });

const matMulLayout: fc.Arbitrary<Layout<MatMulParams>> = fc
  .tuple(broadcastShapesArb(2, { maxRank: 1, maxDim: 2 }), dim, dim, dim, fc.boolean(), fc.boolean())
  .map(
    ([
      {
        shapes: [ba, bb],
      },
      m,
      k,
      n,
      transA,
      transB,
    ]) => ({
      shapes: [
        [...ba, ...(transA ? [k, m] : [m, k])],
        [...bb, ...(transB ? [n, k] : [k, n])],
      ],
      params: { transA, transB },
    }),
  );

const linalgCases: OpCase[] = [
  opCase<MatMulParams>({
    name: 'MatMul',
    kind: 'primitive',
    ops: ['MatMul'],
    build: ([a, b], p) => a.matMul(b, p),
    domain: 'any',
    samples: sampled(matMulLayout, () => [domains.any, domains.any]),
    gradient: 'check',
    smooth: true,
    reference: ([a, b], p) => N.matmul(a, b, p.transA, p.transB),
    example: {
      args: [
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        [
          [1, 0],
          [0, 1],
          [2, -1],
        ],
      ],
      params: { transA: false, transB: false },
    },
    shapeRule: {
      ok: [
        {
          shapes: [
            [2, 3],
            [3, 4],
          ],
          params: { transA: false, transB: false },
          out: [2, 4],
        },
        {
          shapes: [
            [5, 2, 3],
            [3, 4],
          ],
          params: { transA: false, transB: false },
          out: [5, 2, 4],
        },
        {
          shapes: [
            ['N', 3],
            [3, 2],
          ],
          params: { transA: false, transB: false },
          out: ['N', 2],
        },
        {
          shapes: [
            [3, 2],
            [3, 4],
          ],
          params: { transA: true, transB: false },
          out: [2, 4],
        },
        {
          shapes: [
            [2, 3],
            [4, 3],
          ],
          params: { transA: false, transB: true },
          out: [2, 4],
        },
      ],
      bad: {
        shapes: [
          [2, 3],
          [4, 5],
        ],
        params: { transA: false, transB: false },
        mentions: ['MatMul', '[2, 3]', '[4, 5]'],
      },
    },
  }),
];

// ---- shape ops ---------------------------------------------------------------------------------

/** A target shape with the same number of elements: the dims shuffled, two neighbours possibly merged. */
const reshapeLayout = shapeArb({ minRank: 0, maxRank: 3 }).chain((s) =>
  fc.tuple(fc.shuffledSubarray(s, { minLength: s.length, maxLength: s.length }), fc.nat()).map(([t, k]) => {
    const target = [...t];
    if (target.length >= 2 && k % 2 === 1) {
      const i = k % (target.length - 1);
      target.splice(i, 2, target[i] * target[i + 1]);
    }
    if (k % 3 === 0) target.push(1);
    return { shapes: [s], params: { shape: target } };
  }),
);

const permLayout = shapeArb({ minRank: 1, maxRank: 3 }).chain((s) =>
  fc
    .shuffledSubarray(
      s.map((_, i) => i),
      { minLength: s.length, maxLength: s.length },
    )
    .map((perm) => ({ shapes: [s], params: { perm } })),
);

const broadcastToLayout = broadcastShapesArb(1).map(({ shapes, full }) => ({
  shapes,
  params: { shape: full },
}));

interface SliceParams {
  readonly starts: number[];
  readonly ends: (number | null)[];
}

const sliceLayout: fc.Arbitrary<Layout<SliceParams>> = shapeArb({ minRank: 1, maxRank: 3, maxDim: 4 }).chain(
  (s) =>
    fc
      .tuple(
        ...s.map((d) =>
          fc.tuple(fc.integer({ min: 0, max: d - 1 }), fc.integer({ min: 1, max: d }), fc.boolean()),
        ),
      )
      .map((rs) => ({
        shapes: [s],
        params: {
          starts: rs.map(([a]) => a),
          ends: rs.map(([a, len, toEnd], i) => (toEnd ? null : Math.min(s[i], a + len))),
        },
      })),
);

interface PadParams {
  readonly before: number[];
  readonly shape: number[];
}

const padLayout: fc.Arbitrary<Layout<PadParams>> = shapeArb({ minRank: 1, maxRank: 3 }).chain((s) =>
  fc
    .tuple(...s.map(() => fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }))))
    .map((pads) => ({
      shapes: [s],
      params: { before: pads.map(([b]) => b), shape: s.map((d, i) => d + pads[i][0] + pads[i][1]) },
    })),
);

const concatLayout = fc
  .tuple(
    shapeArb({ minRank: 1, maxRank: 3 }),
    fc.integer({ min: 2, max: 3 }),
    fc.nat(),
    fc.array(dim, { minLength: 3, maxLength: 3 }),
  )
  .map(([s, count, a, lens]) => {
    const axis = a % s.length;
    return {
      shapes: Array.from({ length: count }, (_, i) => s.map((d, ax) => (ax === axis ? lens[i] : d))),
      params: { axis },
    };
  });

const gatherLayout = fc
  .tuple(shapeArb({ minRank: 1, maxRank: 3 }), fc.nat(), fc.integer({ min: 2, max: 4 }))
  .map(([s, a, classes]) => {
    const axis = a % s.length;
    const x = s.map((d, i) => (i === axis ? classes : d));
    return { shapes: [x, x.filter((_, i) => i !== axis)], params: { axis, classes } };
  });

const oneHotLayout = fc
  .tuple(shapeArb({ minRank: 0, maxRank: 2 }), fc.nat(), fc.integer({ min: 1, max: 4 }))
  .map(([s, a, depth]) => {
    const axis = a % (s.length + 1);
    const out = [...s.slice(0, axis), depth, ...s.slice(axis)];
    return { shapes: [out, s], params: { axis, depth } };
  });

function randomCase(name: 'RandomUniform' | 'RandomNormal'): OpCase {
  const draw = (x: Value) => {
    const g = x.g;
    return g.value(g.add(name, [g.stepInput()], { shape: [...x.shape], dtype: 'f64', seed: 7, stream: 0 }));
  };
  return opCase<NoParams>({
    name,
    kind: 'primitive',
    ops: [name],
    build: ([x]) => x.mul(draw(x)),
    domain: 'any (the step is held fixed, so the samples are too)',
    samples: sampled(single(), () => [domains.any]),
    gradient: 'check',
    smooth: true,
    // Samples are checked statistically (op-suite tests), not against a formula.
    example: { args: [[1, 2, 3]], params: none },
    shapeRule: {
      ok: [{ shapes: [[2, 3]], params: none, out: [2, 3] }],
      bad: {
        shapes: [[2]],
        params: none,
        build: ([x]) => x.g.value(x.g.add(name, [x.node], { shape: [2], dtype: 'f64', seed: 7, stream: 0 })),
        mentions: [name, 'f64[2]'],
      },
    },
  });
}

const shapeCases: OpCase[] = [
  opCase<{ shape: number[] }>({
    name: 'Reshape',
    kind: 'primitive',
    ops: ['Reshape'],
    build: ([x], p) => x.op('Reshape', [], { shape: p.shape }),
    domain: 'any',
    samples: sampled(reshapeLayout, () => [domains.any]),
    gradient: 'check',
    smooth: true,
    reference: ([x], p) => N.plain(p.shape, x.data),
    example: {
      args: [
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
      ],
      params: { shape: [3, 2] },
    },
    shapeRule: {
      ok: [
        { shapes: [[2, 3]], params: { shape: [3, 2] }, out: [3, 2] },
        { shapes: [[2, 3]], params: { shape: [6] }, out: [6] },
      ],
      bad: { shapes: [[2, 3]], params: { shape: [4] }, mentions: ['Reshape', '[2, 3]', '[4]'] },
    },
  }),
  opCase<{ perm: number[] }>({
    name: 'Transpose',
    kind: 'primitive',
    ops: ['Transpose'],
    build: ([x], p) => x.op('Transpose', [], { perm: p.perm }),
    domain: 'any',
    samples: sampled(permLayout, () => [domains.any]),
    gradient: 'check',
    smooth: true,
    reference: ([x], p) => N.transpose(x, p.perm),
    example: {
      args: [
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
      ],
      params: { perm: [1, 0] },
    },
    shapeRule: {
      ok: [
        { shapes: [[2, 3, 4]], params: { perm: [2, 0, 1] }, out: [4, 2, 3] },
        { shapes: [['N', 3]], params: { perm: [1, 0] }, out: [3, 'N'] },
      ],
      bad: { shapes: [[2, 3]], params: { perm: [0, 0] }, mentions: ['Transpose', '[0, 0]', '[2, 3]'] },
    },
  }),
  opCase<{ shape: number[] }>({
    name: 'BroadcastTo',
    kind: 'primitive',
    ops: ['BroadcastTo'],
    build: ([x], p) => x.op('BroadcastTo', [], { shape: p.shape }),
    domain: 'any',
    samples: sampled(broadcastToLayout, () => [domains.any]),
    gradient: 'check',
    smooth: true,
    reference: ([x], p) => N.zip((v) => v, x, N.plain(p.shape, new Array(sizeOfShape(p.shape)).fill(0))),
    example: { args: [[[1], [2]]], params: { shape: [2, 2, 3] } },
    shapeRule: {
      ok: [
        { shapes: [[3]], params: { shape: [2, 3] }, out: [2, 3] },
        { shapes: [[2, 1]], params: { shape: [4, 2, 5] }, out: [4, 2, 5] },
      ],
      bad: { shapes: [[2, 3]], params: { shape: [4, 3] }, mentions: ['BroadcastTo', '[2, 3]', '[4, 3]'] },
    },
  }),
  opCase<SliceParams>({
    name: 'Slice',
    kind: 'primitive',
    ops: ['Slice'],
    build: ([x], p) => x.op('Slice', [], { starts: p.starts, ends: p.ends }),
    domain: 'any',
    samples: sampled(sliceLayout, () => [domains.any]),
    gradient: 'check',
    smooth: true,
    reference: ([x], p) => N.slice(x, p.starts, p.ends),
    example: {
      args: [
        [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9],
        ],
      ],
      params: { starts: [1, 0], ends: [null, 2] },
    },
    shapeRule: {
      ok: [
        { shapes: [[4, 3]], params: { starts: [1, 0], ends: [3, null] }, out: [2, 3] },
        { shapes: [['N', 3]], params: { starts: [0, 1], ends: [null, 3] }, out: ['N', 2] },
      ],
      bad: {
        shapes: [[4, 3]],
        params: { starts: [1, 0], ends: [5, null] },
        mentions: ['Slice', '1:5', 'size 4'],
      },
    },
  }),
  opCase<PadParams>({
    name: 'Pad',
    kind: 'primitive',
    ops: ['Pad'],
    build: ([x], p) => x.op('Pad', [], { before: p.before, shape: p.shape }),
    domain: 'any',
    samples: sampled(padLayout, () => [domains.any]),
    gradient: 'check',
    smooth: true,
    reference: ([x], p) => N.pad(x, p.before, p.shape),
    example: { args: [[[1, 2]]], params: { before: [1, 0], shape: [3, 3] } },
    shapeRule: {
      ok: [{ shapes: [[2, 3]], params: { before: [1, 0], shape: [4, 3] }, out: [4, 3] }],
      bad: {
        shapes: [[2, 3]],
        params: { before: [3, 0], shape: [4, 3] },
        mentions: ['Pad', '[2, 3]', '[4, 3]'],
      },
    },
  }),
  opCase<{ axis: number }>({
    name: 'Concat',
    kind: 'primitive',
    ops: ['Concat'],
    build: ([x, ...rest], p) => x.op('Concat', rest, { axis: p.axis }),
    domain: 'any',
    samples: sampled(concatLayout, (l) => l.shapes.map(() => domains.any)),
    gradient: 'check',
    smooth: true,
    reference: (xs, p) => N.concat(xs, p.axis),
    example: {
      args: [
        [[1, 2]],
        [
          [3, 4],
          [5, 6],
        ],
      ],
      params: { axis: 0 },
    },
    shapeRule: {
      ok: [
        {
          shapes: [
            [2, 3],
            [1, 3],
          ],
          params: { axis: 0 },
          out: [3, 3],
        },
        {
          shapes: [
            ['N', 1],
            ['N', 2],
            ['N', 3],
          ],
          params: { axis: 1 },
          out: ['N', 6],
        },
      ],
      bad: {
        shapes: [
          [2, 3],
          [2, 4],
        ],
        params: { axis: 0 },
        mentions: ['Concat', '[2, 3]', '[2, 4]'],
      },
    },
  }),
  opCase<{ axis: number; classes: number }>({
    name: 'Gather',
    kind: 'primitive',
    ops: ['Gather'],
    dtypes: ['f64', 'i32'],
    build: ([x, idx], p) => x.gather(idx, p.axis),
    domain: 'any; indices in range',
    samples: sampled(gatherLayout, (l) => [domains.any, { labels: l.params.classes }]),
    gradient: 'check',
    smooth: true,
    reference: ([x, idx], p) => N.gather(x, idx, p.axis),
    example: {
      args: [
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        fixedArg([2, 0], 'i32'),
      ],
      params: { axis: 1, classes: 3 },
    },
    shapeRule: {
      ok: [
        { shapes: [[2, 4], [2]], params: { axis: 1, classes: 4 }, out: [2] },
        { shapes: [[4, 2], [2]], params: { axis: 0, classes: 4 }, out: [2] },
      ],
      bad: { shapes: [[2, 4], [3]], params: { axis: 1, classes: 4 }, mentions: ['Gather', '[3]', '[2, 4]'] },
    },
  }),
  opCase<{ axis: number; depth: number }>({
    name: 'OneHot',
    kind: 'primitive',
    ops: ['OneHot'],
    dtypes: ['f64', 'i32'],
    // Labels get no gradient; the float factor makes the case differentiable elsewhere.
    build: ([x, labels], p) => labels.oneHot(p.depth, p.axis).mul(x),
    domain: 'any; labels in range',
    samples: sampled(oneHotLayout, (l) => [domains.any, { labels: l.params.depth }]),
    gradient: 'check',
    smooth: true,
    reference: ([x, labels], p) => N.zip((a, b) => a * b, N.oneHot(labels, p.depth, p.axis), x),
    example: {
      args: [
        [
          [1, 1, 1],
          [2, 2, 2],
        ],
        fixedArg([2, 0], 'i32'),
      ],
      params: { axis: 1, depth: 3 },
    },
    shapeRule: {
      ok: [
        { shapes: [[2, 3], [2]], params: { axis: 1, depth: 3 }, out: [2, 3] },
        { shapes: [[3, 2], [2]], params: { axis: 0, depth: 3 }, out: [3, 2] },
      ],
      bad: {
        shapes: [[3], [2]],
        params: { axis: 1, depth: 3 },
        dtypes: ['f64', 'f64'],
        build: ([, labels], p) => labels.op('OneHot', [], { depth: p.depth, axis: p.axis, dtype: 'f64' }),
        mentions: ['OneHot', 'f64[2]'],
      },
    },
  }),
  randomCase('RandomUniform'),
  randomCase('RandomNormal'),
];

// ---- composites --------------------------------------------------------------------------------

function unaryComposite(
  name: string,
  build: (x: Value) => Value,
  f: (v: number) => number,
  domain: Domain,
  domainName: string,
  d1: (x: number) => number,
  d2: (x: number) => number,
  example: number[],
): OpCase {
  return opCase<NoParams>({
    name,
    kind: 'composite',
    ops: [],
    build: ([x]) => build(x),
    domain: domainName,
    samples: sampled(single(), () => [domain]),
    gradient: 'check',
    smooth: true,
    reference: ([x]) => N.map(x, f),
    derivatives: { d1, d2, domain },
    example: { args: [example], params: none },
    shapeRule: { ok: unaryShapes },
  });
}

const lse = (vs: number[]) => Math.log(N.total(vs.map(Math.exp)));

/** Scores [..., C] with labels [...]. */
const classLayout = fc
  .tuple(shapeArb({ minRank: 0, maxRank: 2 }), fc.integer({ min: 2, max: 4 }))
  .map(([batch, classes]) => ({ shapes: [[...batch, classes], batch], params: { classes } }));

/** Per-row rows of scores and labels, for the classification losses' references. */
function rowsOf(s: Plain, y: Plain): { row: number[]; label: number }[] {
  const c = s.shape[s.shape.length - 1];
  return y.data.map((label, r) => ({ row: s.data.slice(r * c, (r + 1) * c), label }));
}

const hingeRef = (row: number[], label: number) =>
  N.total(row.map((sj, j) => (j === label ? 0 : Math.max(0, sj - row[label] + 1))));

/** Hinge margins s_j − s_y + 1 stay at least 0.05 from the kink at 0. */
function marginsClear(sample: Sample<{ classes: number }>): boolean {
  const [s, y] = sample.args.map((a) => N.plainOf(a));
  return rowsOf(s, y).every(({ row, label }) =>
    row.every((sj, j) => j === label || Math.abs(sj - row[label] + 1) >= 0.05),
  );
}

/** 1–2 tensors of random shapes, for the regularisers. */
const tensorsLayout = fc
  .array(shapeArb({ maxRank: 2 }), { minLength: 1, maxLength: 2 })
  .map((shapes) => ({ shapes, params: none }));

/** x [..., N, F] with N ≥ 2, and gamma, beta [F]. */
const batchnormLayout = fc
  .tuple(shapeArb({ maxRank: 1, maxDim: 2 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 3 }))
  .map(([lead, n, f]) => ({ shapes: [[...lead, n, f], [f], [f]], params: none }));

const BN_EPS = 1e-5;

/** Batchnorm by hand: per feature (last axis), the mean and biased variance over every other axis. */
function batchnormRef(
  x: Plain,
  gamma: Plain,
  beta: Plain,
  stats?: { mean: number[]; variance: number[] },
): Plain {
  const f = x.shape[x.shape.length - 1];
  const out = new Array<number>(x.data.length);
  for (let j = 0; j < f; j++) {
    const col: number[] = [];
    for (let i = j; i < x.data.length; i += f) col.push(x.data[i]);
    const mu = stats ? stats.mean[j] : N.total(col) / col.length;
    const variance = stats ? stats.variance[j] : N.total(col.map((v) => (v - mu) ** 2)) / col.length;
    for (let i = j; i < x.data.length; i += f) {
      out[i] = ((x.data[i] - mu) / Math.sqrt(variance + BN_EPS)) * gamma.data[j] + beta.data[j];
    }
  }
  return N.plain(x.shape, out);
}

const compositeCases: OpCase[] = [
  unaryComposite(
    'relu',
    (x) => x.relu(),
    (v) => Math.max(0, v),
    domains.awayFromZero,
    '|x| ≥ 0.05',
    (x) => (x > 0 ? 1 : 0),
    () => 0,
    [-1, 0.5, 2],
  ),
  unaryComposite(
    'leaky_relu',
    (x) => x.leakyRelu(0.1),
    (v) => (v > 0 ? v : 0.1 * v),
    domains.awayFromZero,
    '|x| ≥ 0.05',
    (x) => (x > 0 ? 1 : 0.1),
    () => 0,
    [-1, 0.5, 2],
  ),
  unaryComposite(
    'sigmoid',
    (x) => x.sigmoid(),
    sigm,
    domains.any,
    'any',
    (x) => sigm(x) * (1 - sigm(x)),
    (x) => sigm(x) * (1 - sigm(x)) * (1 - 2 * sigm(x)),
    [0, 2, -2],
  ),
  unaryComposite(
    'softplus',
    (x) => x.softplus(),
    (v) => Math.log(1 + Math.exp(v)),
    domains.any,
    'any (smooth everywhere, 0 included)',
    sigm,
    (x) => sigm(x) * (1 - sigm(x)),
    [0, 2, -2],
  ),
  unaryComposite(
    'square',
    (x) => x.square(),
    (v) => v * v,
    domains.any,
    'any',
    (x) => 2 * x,
    () => 2,
    [3, -0.5],
  ),
  opCase<{ axis: number }>({
    name: 'softmax',
    kind: 'composite',
    ops: [],
    build: ([x], p) => x.softmax(p.axis),
    domain: 'any',
    samples: sampled(withAxis(), () => [domains.any]),
    gradient: 'check',
    smooth: true,
    reference: ([x], p) => N.softmax(x, norm(p.axis, x.shape.length)),
    example: {
      args: [
        [
          [1, 2, 3],
          [0, 0, 0],
        ],
      ],
      params: { axis: -1 },
    },
    shapeRule: {
      ok: [
        { shapes: [[2, 3]], params: { axis: -1 }, out: [2, 3] },
        { shapes: [['N', 3]], params: { axis: 0 }, out: ['N', 3] },
      ],
    },
  }),
  opCase<{ axis: number }>({
    name: 'log_softmax',
    kind: 'composite',
    ops: [],
    build: ([x], p) => x.logSoftmax(p.axis),
    domain: 'any',
    samples: sampled(withAxis(), () => [domains.any]),
    gradient: 'check',
    smooth: true,
    reference: ([x], p) => N.map(N.softmax(x, norm(p.axis, x.shape.length)), Math.log),
    example: {
      args: [
        [
          [1, 2, 3],
          [0, 0, 0],
        ],
      ],
      params: { axis: -1 },
    },
    shapeRule: { ok: [{ shapes: [[2, 3]], params: { axis: -1 }, out: [2, 3] }] },
  }),
  opCase<AxesParams>({
    name: 'logsumexp',
    kind: 'composite',
    ops: [],
    build: ([x], p) => x.logsumexp({ axis: p.axes, keepdims: p.keepdims }),
    domain: 'any',
    samples: sampled(withAxes(), () => [domains.any]),
    gradient: 'check',
    smooth: true,
    reference: ([x], p) => N.reduceAxes(x, p.axes, p.keepdims, lse),
    example: {
      args: [
        [
          [1, 2, 3],
          [0, 0, 0],
        ],
      ],
      params: { axes: [1], keepdims: false },
    },
    shapeRule: {
      ok: [
        { shapes: [[2, 3]], params: { axes: [1], keepdims: false }, out: [2] },
        { shapes: [[2, 3]], params: { axes: [0, 1], keepdims: true }, out: [1, 1] },
      ],
    },
  }),
  opCase<{ classes: number }>({
    name: 'cross_entropy',
    kind: 'composite',
    ops: [],
    dtypes: ['f64', 'i32'],
    build: ([s, y]) => C.crossEntropy(s, y),
    domain: 'any logits; labels in range',
    samples: sampled(classLayout, (l) => [domains.any, { labels: l.params.classes }]),
    gradient: 'check',
    smooth: true,
    reference: ([s, y]) =>
      N.plain(
        y.shape,
        rowsOf(s, y).map(({ row, label }) => -Math.log(Math.exp(row[label]) / N.total(row.map(Math.exp)))),
      ),
    example: {
      args: [
        [
          [2, 1, 0.1],
          [0.5, 2.5, 0.3],
        ],
        fixedArg([0, 2], 'i32'),
      ],
      params: { classes: 3 },
    },
    shapeRule: {
      ok: [
        { shapes: [[4, 3], [4]], params: { classes: 3 }, out: [4] },
        { shapes: [['N', 3], ['N']], params: { classes: 3 }, out: ['N'] },
      ],
      bad: { shapes: [[4, 3], [3]], params: { classes: 3 }, mentions: ['Gather', '[3]', '[4, 3]'] },
    },
  }),
  opCase<{ classes: number }>({
    name: 'hinge',
    kind: 'composite',
    ops: [],
    dtypes: ['f64', 'i32'],
    build: ([s, y]) => C.hinge(s, y),
    domain: 'margins s_j − s_y + 1 at least 0.05 from 0',
    samples: sampled(classLayout, (l) => [domains.any, { labels: l.params.classes }], {
      filter: marginsClear,
    }),
    gradient: 'check',
    smooth: true,
    reference: ([s, y]) =>
      N.plain(
        y.shape,
        rowsOf(s, y).map(({ row, label }) => hingeRef(row, label)),
      ),
    example: {
      args: [
        [
          [3.2, 5.1, -1.7],
          [1.3, 4.9, 2.0],
        ],
        fixedArg([0, 1], 'i32'),
      ],
      params: { classes: 3 },
    },
    shapeRule: {
      ok: [{ shapes: [[4, 3], [4]], params: { classes: 3 }, out: [4] }],
      bad: { shapes: [[4, 3], [3]], params: { classes: 3 }, mentions: ['Gather', '[3]', '[4, 3]'] },
    },
  }),
  opCase<NoParams>({
    name: 'mse',
    kind: 'composite',
    ops: [],
    build: ([p, t]) => C.mse(p, t),
    domain: 'any',
    samples: sampled(
      shapeArb().map((s) => ({ shapes: [s, s], params: none })),
      () => [domains.any, domains.any],
    ),
    gradient: 'check',
    smooth: true,
    reference: ([p, t]) => N.scalar(N.total(p.data.map((v, i) => (v - t.data[i]) ** 2)) / p.data.length),
    example: {
      args: [
        [1, 2, 3],
        [1, 0, 0],
      ],
      params: none,
    },
    shapeRule: {
      ok: [
        {
          shapes: [
            [2, 3],
            [2, 3],
          ],
          params: none,
          out: [],
        },
      ],
      bad: { shapes: [[2, 3], [4]], params: none, mentions: ['Sub', '[2, 3]', '[4]'] },
    },
  }),
  opCase<NoParams>({
    name: 'l1',
    kind: 'composite',
    ops: [],
    build: (ws) => C.l1(...ws),
    domain: '|w| ≥ 0.05',
    samples: sampled(tensorsLayout, (l) => l.shapes.map(() => domains.awayFromZero)),
    gradient: 'check',
    smooth: true,
    reference: (ws) => N.scalar(N.total(ws.flatMap((w) => w.data.map(Math.abs)))),
    example: { args: [[1, -2], [[-3]]], params: none },
    shapeRule: { ok: [{ shapes: [[2, 3], [4]], params: none, out: [] }] },
  }),
  opCase<NoParams>({
    name: 'l2',
    kind: 'composite',
    ops: [],
    build: (ws) => C.l2(...ws),
    domain: 'any',
    samples: sampled(tensorsLayout, (l) => l.shapes.map(() => domains.any)),
    gradient: 'check',
    smooth: true,
    reference: (ws) => N.scalar(N.total(ws.flatMap((w) => w.data.map((v) => v * v)))),
    example: { args: [[1, -2], [[-3]]], params: none },
    shapeRule: { ok: [{ shapes: [[2, 3], [4]], params: none, out: [] }] },
  }),
  opCase<NoParams>({
    name: 'elastic_net',
    kind: 'composite',
    ops: [],
    build: (ws) => C.elasticNet(ws, 0.7),
    domain: '|w| ≥ 0.05',
    samples: sampled(tensorsLayout, (l) => l.shapes.map(() => domains.awayFromZero)),
    gradient: 'check',
    smooth: true,
    reference: (ws) => N.scalar(N.total(ws.flatMap((w) => w.data.map((v) => 0.7 * v * v + Math.abs(v))))),
    example: { args: [[1, -2], [[-3]]], params: none },
    shapeRule: { ok: [{ shapes: [[2, 3], [4]], params: none, out: [] }] },
  }),
  opCase<NoParams>({
    name: 'dropout (train)',
    kind: 'composite',
    ops: [],
    build: ([x]) => C.dropout(x, 0.7),
    domain: 'any (the step, hence the mask, is held fixed)',
    samples: sampled(single(), () => [domains.any]),
    gradient: 'check',
    smooth: true,
    // The mask is random: checked by its statistics in the op suite, not by a formula.
    example: { args: [[1, 2, 3]], params: none },
    shapeRule: { ok: unaryShapes },
  }),
  opCase<NoParams>({
    name: 'dropout (eval)',
    kind: 'composite',
    ops: [],
    build: ([x]) => C.dropout(x, 0.7),
    domain: 'any',
    samples: sampled(single(), () => [domains.any]),
    gradient: 'check',
    smooth: true,
    check: { mode: 'eval' },
    reference: ([x]) => x,
    example: { args: [[1, 2, 3]], params: none },
    shapeRule: { ok: unaryShapes },
  }),
  opCase<NoParams>({
    name: 'batchnorm (train)',
    kind: 'composite',
    ops: [],
    build: ([x, gamma, beta]) => C.batchnorm(x, gamma, beta, { eps: BN_EPS }),
    domain: 'x: no two values within 0.05 (the batch variance stays away from 0); gamma, beta: any',
    samples: sampled(batchnormLayout, () => [domains.distinct, domains.any, domains.any]),
    gradient: 'check',
    smooth: true,
    reference: ([x, gamma, beta]) => batchnormRef(x, gamma, beta),
    example: {
      args: [
        [
          [1, 10],
          [2, 20],
          [6, 60],
        ],
        [1, 0.5],
        [0, 1],
      ],
      params: none,
    },
    shapeRule: {
      ok: [
        { shapes: [[4, 3], [3], [3]], params: none, out: [4, 3] },
        { shapes: [['N', 3], [3], [3]], params: none, out: ['N', 3] },
      ],
      bad: { shapes: [[4, 3], [2], [3]], params: none, mentions: ['Mul', '[4, 3]', '[2]'] },
    },
  }),
  opCase<NoParams>({
    name: 'batchnorm (eval)',
    kind: 'composite',
    ops: [],
    build: ([x, gamma, beta]) => C.batchnorm(x, gamma, beta, { eps: BN_EPS }),
    domain: 'any; running statistics at their initial values (mean 0, variance 1)',
    samples: sampled(batchnormLayout, () => [domains.any, domains.any, domains.any]),
    gradient: 'check',
    smooth: true,
    check: { mode: 'eval', initSeed: 0 },
    reference: ([x, gamma, beta]) => {
      const f = x.shape[x.shape.length - 1];
      return batchnormRef(x, gamma, beta, { mean: new Array(f).fill(0), variance: new Array(f).fill(1) });
    },
    example: {
      args: [
        [
          [1, 10],
          [2, 20],
        ],
        [1, 0.5],
        [0, 1],
      ],
      params: none,
    },
    shapeRule: {
      ok: [{ shapes: [[4, 3], [3], [3]], params: none, out: [4, 3] }],
      bad: { shapes: [[4, 3], [3], [2]], params: none, mentions: ['Add', '[4, 3]', '[2]'] },
    },
  }),
  opCase<{ axis: number }>({
    name: 'argmax',
    kind: 'composite',
    ops: [],
    build: ([x], p) => x.argmax({ axis: p.axis }),
    domain: 'no two values within 0.05',
    samples: sampled(withAxis(), () => [domains.distinct]),
    gradient: 'none',
    smooth: false,
    reference: ([x], p) => N.argmax(x, norm(p.axis, x.shape.length), false),
    example: {
      args: [
        [
          [1, 5, 2],
          [7, 0, 3],
        ],
      ],
      params: { axis: -1 },
    },
    shapeRule: {
      ok: [{ shapes: [['N', 3]], params: { axis: -1 }, out: ['N'], dtype: 'i32' }],
      bad: { shapes: [[2, 3]], params: { axis: 2 }, mentions: ['argmax', 'axis 2', 'rank 2'] },
    },
  }),
  opCase<AxesParams>({
    name: 'mean',
    kind: 'composite',
    ops: [],
    build: ([x], p) => x.mean({ axis: p.axes, keepdims: p.keepdims }),
    domain: 'any',
    samples: sampled(withAxes(), () => [domains.any]),
    gradient: 'check',
    smooth: true,
    reference: ([x], p) => N.reduceAxes(x, p.axes, p.keepdims, (vs) => N.total(vs) / vs.length),
    example: {
      args: [
        [
          [1, 2, 3],
          [4, 5, 9],
        ],
      ],
      params: { axes: [0], keepdims: false },
    },
    shapeRule: {
      ok: [
        { shapes: [['N', 3]], params: { axes: [0], keepdims: false }, out: [3] },
        { shapes: [[2, 3]], params: { axes: [0, 1], keepdims: true }, out: [1, 1] },
      ],
    },
  }),
  opCase<{ axis: number }>({
    name: 'concat',
    kind: 'composite',
    ops: [],
    build: (xs, p) => C.concat(xs, p.axis - xs[0].rank),
    domain: 'any',
    samples: sampled(concatLayout, (l) => l.shapes.map(() => domains.any)),
    gradient: 'check',
    smooth: true,
    reference: (xs, p) => N.concat(xs, p.axis),
    example: {
      args: [
        [[1], [2]],
        [
          [3, 4],
          [5, 6],
        ],
      ],
      params: { axis: 1 },
    },
    shapeRule: {
      ok: [
        {
          shapes: [
            [2, 1],
            [2, 2],
          ],
          params: { axis: 1 },
          out: [2, 3],
        },
      ],
      bad: {
        shapes: [
          [2, 1],
          [3, 2],
        ],
        params: { axis: 1 },
        mentions: ['Concat', '[2, 1]', '[3, 2]'],
      },
    },
  }),
];

/** Every case of the op table: primitives first, then composites. */
export const opTable: readonly OpCase[] = [
  ...leafCases,
  ...unaryCases,
  ...binaryCases,
  ...comparisonCases,
  ...reductionCases,
  ...linalgCases,
  ...shapeCases,
  ...compositeCases,
  ...layerCases({ sampled }),
];

/** The graph of one sample: inputs `arg0`, `arg1`, ... and the case's output. */
export interface CaseGraph {
  readonly g: Graph;
  readonly inputs: readonly Value[];
  readonly out: Value;
  /** Feeds for the interpreter or a backend, including the step counter random ops read. */
  readonly feeds: Record<string, TensorLike>;
}

/** The dtype and value of a gradcheck argument. */
export function argTensor(a: CheckArg): { value: TensorLike; dtype: DType } {
  return typeof a === 'object' && a !== null && 'value' in a && !('shape' in a)
    ? { value: a.value, dtype: a.dtype }
    : { value: a as TensorLike, dtype: 'f64' };
}

/** Builds a case on a sample, in a fresh graph of the case's mode (seed 1234, step 1, like gradcheck). */
export function caseGraph(c: OpCase, s: Sample<unknown>, mode: Mode = c.check?.mode ?? 'train'): CaseGraph {
  const g = graph({ floatDtype: 'f64', seed: 1234, mode });
  const feeds: Record<string, TensorLike> = { $step: c.check?.step ?? 1 };
  const inputs = s.args.map((a, i) => {
    const { value, dtype } = argTensor(a);
    const t = toTensor(value, dtype);
    feeds[`arg${i}`] = t;
    return g.input(`arg${i}`, t.shape, dtype);
  });
  return { g, inputs, out: c.build(inputs, s.params), feeds };
}
