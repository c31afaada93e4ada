/**
 * The backend parity suite: a table of small graphs covering every primitive (and the composites
 * and gradients built from them), each run on a backend and on the reference interpreter. The
 * GPU backend plugs in with `describeParity(gpu, ...)`.
 */
import {
  batchnorm,
  concat,
  countOf,
  crossEntropy,
  dropout,
  type Graph,
  grad,
  graph,
  hinge,
  hvp,
  logsumexp,
  mse,
  type Node,
  run,
  sigmoid,
  softplus,
  type Tensor,
  type TensorLike,
  type Value,
} from '@gradus/autodiff';
import { type ExprGraph, exprGraphArb } from '@gradus/autodiff/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Backend, CompileOptions } from '../backend.js';
import { layerParityCases } from './layer-parity.js';

export interface ParityCase {
  readonly name: string;
  /** A fresh graph with named outputs (and maybe updates) plus feeds for its inputs and variables. */
  build(): { readonly g: Graph; readonly feeds: Record<string, TensorLike> };
}

/** Deterministic test data: values in [lo, hi) from a small LCG. */
export function data(shape: readonly number[], seed: number, lo = -2, hi = 2): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const out = new Float64Array(n);
  let s = (seed * 2654435761 + 12345) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  }
  return { shape: [...shape], dtype: 'f64', data: out };
}

function ints(shape: readonly number[], seed: number, hi: number): Tensor {
  const t = data(shape, seed, 0, hi);
  return { shape: t.shape, dtype: 'i32', data: t.data.map(Math.floor) };
}

type Build = (g: Graph) => Record<string, Value> | Value;

/** Integer inputs of a case, with their values (indices, labels). */
export type IntInputs = Record<string, { readonly shape: readonly number[]; readonly value: TensorLike }>;

/** A case from inputs declared by shape (f64 data), integer inputs with values, and a body producing outputs. */
function c(
  name: string,
  inputs: Record<string, readonly number[]>,
  body: (g: Graph, x: Record<string, Value>) => Record<string, Value> | Value,
  range: [number, number] = [-2, 2],
  ints: IntInputs = {},
): ParityCase {
  return {
    name,
    build() {
      const g = graph();
      const feeds: Record<string, TensorLike> = {};
      const xs: Record<string, Value> = {};
      Object.entries(inputs).forEach(([k, shape], i) => {
        xs[k] = g.input(k, shape);
        feeds[k] = data(shape, i + 1, range[0], range[1]);
      });
      for (const [k, { shape, value }] of Object.entries(ints)) {
        xs[k] = g.input(k, shape, 'i32');
        feeds[k] = value;
      }
      const out = body(g, xs);
      if ('node' in out && 'g' in out) g.output('out', out as Value);
      else for (const [k, v] of Object.entries(out)) g.output(k, v);
      return { g, feeds };
    },
  };
}

/** The case builder, for the cases defined in other files. */
export type CaseBuilder = typeof c;

const unary = (name: string, f: (x: Value) => Value, range: [number, number] = [-2, 2]): ParityCase =>
  c(name, { x: [3, 4] }, (_, { x }) => f(x), range);

const binary = (name: string, f: (a: Value, b: Value) => Value, range: [number, number] = [-2, 2]) =>
  c(
    name,
    { a: [2, 3, 4], b: [3, 4], s: [], r: [2, 1, 4] },
    (_, { a, b, s, r }) => ({
      same: f(a, a.mul(0.5).add(0.25)),
      row: f(a, b),
      rowLeft: f(b, a),
      scalar: f(a, s),
      outer: f(r, b),
    }),
    range,
  );

/** Graph-building cases, one or more per primitive and per composite. */
export function parityCases(): ParityCase[] {
  const build: ParityCase[] = [
    unary('Neg', (x) => x.neg()),
    unary('Exp', (x) => x.exp()),
    unary('Log', (x) => x.log(), [0.1, 3]),
    unary('Sqrt', (x) => x.sqrt(), [0, 3]),
    unary('Abs', (x) => x.abs()),
    unary('Sign', (x) => x.sign().add(x.mul(0).sign())),
    unary('Sin', (x) => x.sin()),
    unary('Cos', (x) => x.cos()),
    unary('Tanh', (x) => x.tanh()),
    unary('StopGradient', (x) => x.stopGradient().mul(x)),
    c('Cast', { x: [3, 4] }, (g, { x }) => ({
      toInt: x.mul(3).castTo('i32'),
      toBool: x.gt(0).castTo('i32').castTo('bool'),
      boolToFloat: x.gt(0).castTo('f64').add(x),
      intToFloat: x.mul(3).castTo('i32').castTo('f64').mul(0.5),
      toF32: x.castTo('f32').castTo('f64').sub(x),
      f32Graph: g.constant(1 / 3, 'f32').mul(x.castTo('f32')),
    })),
    binary('Add', (a, b) => a.add(b)),
    binary('Sub', (a, b) => a.sub(b)),
    binary('Mul', (a, b) => a.mul(b)),
    binary('Div', (a, b) => a.div(b)),
    binary('Pow', (a, b) => a.pow(b), [0.2, 2]),
    binary('Maximum', (a, b) => a.maximum(b).add(a.maximum(a))),
    binary('Minimum', (a, b) => a.minimum(b).add(b.minimum(b))),
    binary('Equal', (a, b) => a.eq(b).castTo('f64').add(a.eq(a).castTo('f64'))),
    binary('NotEqual', (a, b) => a.ne(b).castTo('f64')),
    binary('Less', (a, b) => a.lt(b).castTo('f64')),
    binary('LessEqual', (a, b) => a.le(b).castTo('f64').add(a.le(a).castTo('f64'))),
    binary('Greater', (a, b) => a.gt(b).castTo('f64')),
    binary('GreaterEqual', (a, b) => a.ge(b).castTo('f64')),
    binary('Where', (a, b) => a.gt(b).where(a, b.mul(2))),
    c('int arithmetic', { x: [3, 4] }, (_, { x }) => {
      const i = x.mul(5).castTo('i32');
      return {
        sum: i.add(i).mul(i).sub(3),
        neg: i.neg().abs(),
        max: i.maximum(2),
        sign: i.sign(),
        red: i.sum({ axis: 0 }),
      };
    }),
    c('Sum', { x: [2, 3, 4] }, (_, { x }) => ({
      all: x.sum(),
      first: x.sum({ axis: 0 }),
      middle: x.sum({ axis: 1, keepdims: true }),
      last: x.sum({ axis: -1 }),
      outer: x.sum({ axis: [0, 2] }),
      fused: x
        .tanh()
        .mul(x)
        .sum({ axis: [1, 2] }),
    })),
    c('Max', { x: [2, 3, 4] }, (_, { x }) => ({
      all: x.max(),
      first: x.max({ axis: 0 }),
      last: x.max({ axis: -1, keepdims: true }),
      fused: x.mul(x).neg().max({ axis: 1 }),
    })),
    c('Min', { x: [2, 3, 4] }, (_, { x }) => ({ all: x.min(), mid: x.min({ axis: 1 }) })),
    c('ArgMax', { x: [3, 4, 5] }, (_, { x }) => ({
      a0: x.argmax({ axis: 0 }),
      a1: x.argmax({ axis: 1, keepdims: true }),
      a2: x.argmax({ axis: 2 }),
      ties: x.gt(0).castTo('f64').argmax({ axis: 1 }),
    })),
    c('MatMul', { a: [5, 7], b: [7, 6], bt: [6, 7], at: [7, 5] }, (_, { a, b, bt, at }) => ({
      nn: a.matMul(b),
      nt: a.matMul(bt, { transB: true }),
      tn: at.matMul(b, { transA: true }),
      tt: at.matMul(bt, { transA: true, transB: true }),
    })),
    c('MatMul wide', { a: [9, 5], b: [5, 300] }, (_, { a, b }) => ({
      nn: a.matMul(b),
      nt: b.matMul(b, { transB: true }),
      tn: b.matMul(b, { transA: true }),
    })),
    c(
      'MatMul batched',
      { a: [2, 3, 4], b: [4, 5], c: [2, 5, 4], d: [3, 1, 3, 4] },
      (_, { a, b, c: cc, d }) => ({
        bcastB: a.matMul(b),
        batched: a.matMul(cc, { transB: true }),
        bcastBatch: d.matMul(cc, { transB: true }),
      }),
    ),
    c('Reshape', { x: [2, 3, 4] }, (_, { x }) => ({ r: x.reshape([6, 4]).mul(2), flat: x.reshape([24]) })),
    c('Transpose', { x: [2, 3, 4] }, (_, { x }) => ({
      t: x.transpose(),
      p: x.transpose([1, 0, 2]),
      q: x.transpose([0, 2, 1]).add(1),
    })),
    c('BroadcastTo', { x: [3, 1], s: [] }, (_, { x, s }) => ({
      b: x.broadcastTo([2, 3, 4]),
      s: s.broadcastTo([2, 2]),
      used: x.broadcastTo([3, 5]).mul(x),
    })),
    c('Slice', { x: [4, 5, 3] }, (_, { x }) => ({
      s: x.slice([1, 0, 1], [3, null, 3]),
      idx: x.index([2]),
      col: x.index(['all', 3, 'all']),
    })),
    c('Pad', { x: [2, 3] }, (_, { x }) => ({ p: x.pad([1, 2], [4, 6]), q: x.pad([0, 1], [2, 5]) })),
    c('Concat', { a: [2, 3], b: [1, 3], d: [2, 2] }, (_, { a, b, d }) => ({
      rows: concat([a, b, a], 0),
      cols: concat([a, d], 1),
    })),
    {
      name: 'Gather',
      build() {
        const g = graph();
        const x = g.input('x', [4, 5]);
        const y = g.input('y', [4], 'i32');
        const z = g.input('z', [5], 'i32');
        g.output('rows', x.gather(y, -1));
        g.output('cols', x.gather(z, 0));
        return { g, feeds: { x: data([4, 5], 1), y: [0, 4, 2, 7], z: ints([5], 3, 4) } };
      },
    },
    {
      name: 'OneHot',
      build() {
        const g = graph();
        const y = g.input('y', [2, 3], 'i32');
        g.output('last', y.oneHot(4));
        g.output('first', y.oneHot(3, 0, 'i32'));
        g.output('mid', y.oneHot(5, 1, 'bool'));
        return {
          g,
          feeds: {
            y: [
              [0, 1, 3],
              [2, 9, -1],
            ],
          },
        };
      },
    },
    {
      name: 'Random',
      build() {
        const g = graph({ seed: 7 });
        const step = g.stepInput();
        const u = g.value(
          g.add('RandomUniform', [step], { shape: [3, 4], dtype: 'f64', seed: 7, stream: 1 }),
        );
        const n = g.value(g.add('RandomNormal', [step], { shape: [5], dtype: 'f64', seed: 7, stream: 2 }));
        g.output('u', u);
        g.output('n', n.mul(2));
        return { g, feeds: { $step: 3 } };
      },
    },
    {
      name: 'Random (step defaults to 0)',
      build() {
        const g = graph({ seed: 3 });
        const x = g.input('x', [4, 4]);
        g.output('d', dropout(x, 0.7));
        return { g, feeds: { x: data([4, 4], 2) } };
      },
    },
    {
      name: 'Size and mean over a symbolic dim',
      build() {
        const g = graph();
        const x = g.input('x', ['N', 3]);
        g.output('m', x.mean({ axis: 0 }));
        g.output('all', x.mean());
        return { g, feeds: { x: data([5, 3], 4) } };
      },
    },
    {
      // Compound dims are bound by the shared binder; a backend only ever sees sizes.
      name: 'compound dims: -1 reshapes (N*T), symbolic slices (T - 1), quotients (N*T/2)',
      build() {
        const g = graph();
        const x = g.input('x', ['N', 'T', 2]);
        const t = g.input('t', ['T']);
        const flat = x.reshape([-1, 2]);
        const back = flat.reshape([-1, 'T', 2]);
        const step = back.index(['all', { start: 1 }]).sub(back.index(['all', { end: -1 }]));
        g.output('step', step.pad([0, 1, 0], back.shape).add(t.reshape([1, -1, 1])));
        g.output('pairs', flat.reshape([-1, 4]).max({ axis: 1 }));
        g.output('size', countOf(step, [0, 1]).add(countOf(flat, [0])));
        return { g, feeds: { x: data([3, 4, 2], 5), t: data([4], 6) } };
      },
    },
    {
      name: 'Const tensors',
      build() {
        const g = graph();
        const x = g.input('x', [2, 3]);
        const k = g.constant([
          [1, 2, 3],
          [4, 5, 6],
        ]);
        g.output('k', k);
        g.output('xk', x.mul(k).add(g.constant([0.5, -1, 2])));
        return { g, feeds: { x: data([2, 3], 5) } };
      },
    },
    // ---- composites ----
    c(
      'softmax',
      { x: [4, 6] },
      (_, { x }) => ({ s: x.softmax(), l: x.logSoftmax(0), lse: logsumexp(x, { axis: 1 }) }),
      [-5, 5],
    ),
    c('sigmoid/softplus/relu', { x: [3, 5] }, (_, { x }) => ({
      sig: sigmoid(x.mul(10)),
      sp: softplus(x.mul(20)),
      relu: x.relu(),
      leaky: x.leakyRelu(0.1),
    })),
    {
      name: 'crossEntropy and hinge',
      build() {
        const g = graph();
        const z = g.input('z', ['N', 5]);
        const y = g.input('y', ['N'], 'i32');
        g.output('ce', crossEntropy(z, y).mean(), 'loss');
        g.output('hinge', hinge(z, y));
        g.output('acc', z.argmax({ axis: -1 }).eq(y).castTo('f64').mean(), 'metric');
        return { g, feeds: { z: data([6, 5], 1, -3, 3), y: ints([6], 2, 5) } };
      },
    },
    c('mse', { p: [4, 3], t: [4, 3] }, (_, { p, t }) => mse(p, t)),
    {
      name: 'batchnorm (train, with state updates)',
      build() {
        const g = graph();
        const x = g.input('x', ['N', 4]);
        const gamma = g.param('gamma', [4], { kind: 'ones' });
        const beta = g.param('beta', [4], { kind: 'zeros' });
        g.output('y', batchnorm(x, gamma, beta, { name: 'bn' }));
        return {
          g,
          feeds: {
            x: data([6, 4], 1),
            gamma: data([4], 2, 0.5, 1.5),
            beta: data([4], 3),
            'bn.running_mean': data([4], 4),
            'bn.running_var': data([4], 5, 0.5, 2),
          },
        };
      },
    },
    {
      name: 'batchnorm (eval)',
      build() {
        const g = graph({ mode: 'eval' });
        const x = g.input('x', [3, 4]);
        const gamma = g.param('gamma', [4], { kind: 'ones' });
        const beta = g.param('beta', [4], { kind: 'zeros' });
        g.output('y', batchnorm(x, gamma, beta, { name: 'bn' }));
        return {
          g,
          feeds: {
            x: data([3, 4], 1),
            gamma: data([4], 2),
            beta: data([4], 3),
            'bn.running_mean': data([4], 4),
            'bn.running_var': data([4], 5, 0.5, 2),
          },
        };
      },
    },
    // ---- gradient graphs ----
    {
      name: 'grad of an MLP with softmax cross-entropy',
      build() {
        const g = graph();
        const x = g.input('x', ['N', 4]);
        const y = g.input('y', ['N'], 'i32');
        const W1 = g.param('W1', [4, 8]);
        const b1 = g.param('b1', [8]);
        const W2 = g.param('W2', [8, 3]);
        const b2 = g.param('b2', [3]);
        const h = x.matMul(W1).add(b1).relu();
        const loss = crossEntropy(h.matMul(W2).add(b2), y).mean();
        const grads = grad(loss, [W1, b1, W2, b2]);
        g.output('loss', loss, 'loss');
        grads.forEach((gr, i) => {
          g.output(`g${i}`, gr);
        });
        return {
          g,
          feeds: {
            x: data([5, 4], 1),
            y: ints([5], 2, 3),
            W1: data([4, 8], 3),
            b1: data([8], 4),
            W2: data([8, 3], 5),
            b2: data([3], 6),
          },
        };
      },
    },
    {
      name: 'grad through every differentiable elementwise op',
      build() {
        const g = graph();
        const x = g.input('x', [3, 4]);
        const w = g.input('w', [4]);
        const e = x
          .mul(w)
          .sin()
          .add(x.cos())
          .mul(x.tanh())
          .add(x.exp().mul(0.1))
          .add(x.abs().add(1).log())
          .add(x.abs().add(0.5).sqrt())
          .add(x.maximum(w))
          .sub(x.minimum(0.3))
          .div(w.abs().add(1))
          .add(x.abs().add(0.5).pow(w.abs().add(0.5)))
          .add(
            x
              .square()
              .sum({ axis: 1, keepdims: true })
              .mul(x.max({ axis: 0 })),
          );
        const loss = e
          .sum()
          .add(x.transpose().slice([1, 0], [3, null]).sum())
          .add(concat([x, x], 0).max());
        const [gx, gw] = grad(loss, [x, w]);
        g.output('gx', gx);
        g.output('gw', gw);
        return { g, feeds: { x: data([3, 4], 1), w: data([4], 2) } };
      },
    },
    {
      name: 'Hessian-vector product',
      build() {
        const g = graph();
        const x = g.input('x', [3]);
        const v = g.input('v', [3]);
        const f = x.mul(x).sum().mul(x.sin().sum()).add(x.exp().sum());
        g.output('hv', hvp(f, x, v));
        return { g, feeds: { x: data([3], 1), v: data([3], 2) } };
      },
    },
    {
      name: 'SGD update (variables assigned)',
      build() {
        const g = graph();
        const x = g.input('x', [5, 3]);
        const W = g.param('W', [3, 2]);
        const loss = x.matMul(W).tanh().sum();
        const [gW] = grad(loss, [W]);
        g.output('loss', loss, 'loss');
        g.assign('W', W.sub(gW.mul(0.1)));
        return { g, feeds: { x: data([5, 3], 1), W: data([3, 2], 2) } };
      },
    },
    {
      name: 'swapped variables (updates see old values)',
      build() {
        const g = graph();
        const a = g.param('a', [2]);
        const b = g.param('b', [2]);
        g.output('s', a.sub(b));
        g.assign('a', b);
        g.assign('b', a);
        return { g, feeds: { a: [1, 2], b: [3, 4] } };
      },
    },
    ...layerParityCases(c),
  ];
  return build;
}

export interface Tolerance {
  /**
   * Relative tolerance when compiled in f64 (vs the interpreter in f64); a backend without f64
   * (the single-precision gpu backend) leaves it out and runs only the f32 cases.
   */
  readonly f64?: number;
  /** Relative tolerance when compiled in f32 (vs the interpreter with `precision: 'f32'`). */
  readonly f32: number;
  /**
   * Absolute tolerance added to the relative one (default 0): results that cancel to near zero
   * keep the absolute rounding error of their (larger) terms, which a backend that sums in another
   * order or contracts `a * b + c` into one rounding (GPUs do) does not reproduce bit for bit.
   */
  readonly atol?: number;
  /**
   * An absolute tolerance for f32 only (instead of `atol`): a backend whose f32 matrix products
   * accumulate in f32, as every SIMD BLAS does, keeps the absolute rounding error of the terms in
   * a dot product that cancels to near zero, where a double accumulator (the reference's) has none.
   */
  readonly f32Atol?: number;
}

/** Relative closeness (plus `atol`); NaNs match NaNs, infinities match themselves. */
export function close(a: number, b: number, tol: number, atol = 0): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b), 1e-6) + atol;
}

/** Mismatches between `got` and `want` (shape, dtype or values), as readable lines. */
export function compareTensors(what: string, got: Tensor, want: Tensor, tol: number, atol = 0): string[] {
  if (got.shape.join() !== want.shape.join()) return [`${what}: shape [${got.shape}] vs [${want.shape}]`];
  if (got.dtype !== want.dtype) return [`${what}: dtype ${got.dtype} vs ${want.dtype}`];
  const bad: string[] = [];
  for (let i = 0; i < want.data.length; i++) {
    if (!close(got.data[i], want.data[i], tol, atol) && bad.length < 5) {
      bad.push(`${what}[${i}]: ${got.data[i]} vs ${want.data[i]}`);
    }
  }
  return bad;
}

/**
 * Runs a graph on `backend` and on the interpreter (twice, so state left behind by one run cannot
 * hide), returning every mismatch of outputs and of updated variables.
 */
export function checkParity(
  backend: Backend,
  g: Graph,
  feeds: Record<string, TensorLike>,
  dtype: 'f32' | 'f64',
  tol: number,
  extra: Partial<CompileOptions> = {},
  atol = 0,
): string[] {
  const ex = backend.compile(g, { dtype, ...extra });
  const want = run(g, { feeds, precision: dtype });
  const bad: string[] = [];
  for (let round = 0; round < 2; round++) {
    const got = ex.run(feeds);
    for (const [name, t] of Object.entries(want.outputs))
      bad.push(...compareTensors(name, got[name], t, tol, atol));
    for (const [name, t] of Object.entries(want.updates)) {
      bad.push(...compareTensors(`${name} (updated)`, ex.read(name), t, tol, atol));
    }
  }
  return bad;
}

/** Every primitive op that appears in the graphs of `cases`. */
export function opsCovered(cases: readonly ParityCase[]): Set<string> {
  const ops = new Set<string>();
  for (const pc of cases) {
    const { g } = pc.build();
    const roots: Node[] = g.roots();
    for (const n of g.reachable(roots)) ops.add(n.op);
  }
  return ops;
}

/** Registers the parity suite for `backend` (one test per case and precision). */
export function describeParity(
  backend: Backend,
  tol: Tolerance,
  extra: Partial<CompileOptions> & Record<string, unknown> = {},
  label = '',
): void {
  describe(`parity: ${backend.name}${label ? ` (${label})` : ''} vs the interpreter`, () => {
    for (const pc of parityCases()) {
      for (const dtype of tol.f64 === undefined ? (['f32'] as const) : (['f64', 'f32'] as const)) {
        it(`${pc.name} [${dtype}]`, () => {
          const { g, feeds } = pc.build();
          const atol = dtype === 'f32' ? (tol.f32Atol ?? tol.atol) : tol.atol;
          expect(checkParity(backend, g, feeds, dtype, tol[dtype] as number, extra, atol)).toEqual([]);
        });
      }
    }
  });
}

export type { Build };

// ---- random graphs ----------------------------------------------------------------------------

/** One instruction of a random program: an op index and operand picks (taken modulo the pool). */
export interface Instr {
  readonly op: number;
  readonly a: number;
  readonly b: number;
}

const RANDOM_OPS: ((a: Value, b: Value, w: Value) => Value)[] = [
  (a, b) => a.add(b),
  (a, b) => a.sub(b),
  (a, b) => a.mul(b),
  (a, b) => a.div(b.abs().add(1)),
  (a, b) => a.maximum(b),
  (a, b) => a.minimum(b),
  (a, b) => a.gt(b).where(a, b),
  (a) => a.tanh(),
  (a) => a.sin(),
  (a) => a.tanh().exp(),
  (a) => a.abs().add(0.1).sqrt(),
  (a) => a.neg(),
  (a) => a.abs(),
  (a) => (a.rank === 0 ? a.cos() : a.sum({ axis: -1, keepdims: true })),
  (a) => (a.rank === 2 ? a.max({ axis: 0, keepdims: true }) : a.mul(a)),
  (a, _b, w) => (a.rank === 2 && a.shape[1] === 3 ? a.matMul(w) : a.add(1)),
  (a, _b, w) => (a.rank === 2 && a.shape[1] === 3 ? a.matMul(w, { transB: true }) : a.sub(1)),
  (a) => (a.rank >= 1 ? a.softmax() : a.sigmoid()),
  (a) => a.abs().add(1).log(),
  (a) => a.abs().add(0.5).pow(1.5),
  (a) => a.mul(3).castTo('i32').castTo('f64'),
  (a) => (a.rank === 2 ? a.transpose().transpose() : a.mul(0.5)),
];

export const RANDOM_OP_COUNT = RANDOM_OPS.length;

/**
 * A graph from a random program over a pool of values whose shapes all broadcast to [2, 3]; its
 * outputs are the last value, a scalar loss over the pool, and the loss's gradients.
 */
export function randomGraph(
  prog: readonly Instr[],
  seed: number,
): { g: Graph; feeds: Record<string, TensorLike> } {
  const g = graph();
  const x = g.input('x', [2, 3]);
  const y = g.input('y', [3]);
  const s = g.input('s', []);
  const w = g.input('w', [3, 3]);
  const pool: Value[] = [x, y, s, x.mul(y)];
  for (const ins of prog) {
    const f = RANDOM_OPS[ins.op % RANDOM_OPS.length];
    pool.push(f(pool[ins.a % pool.length], pool[ins.b % pool.length], w));
  }
  const last = pool[pool.length - 1];
  const loss = pool.slice(3).reduce((acc, v) => acc.add(v.sum()), s.mul(0));
  const [gx, gy, gw] = grad(loss, [x, y, w]);
  g.output('last', last);
  g.output('loss', loss);
  g.output('gx', gx);
  g.output('gy', gy);
  g.output('gw', gw);
  return {
    g,
    feeds: {
      x: data([2, 3], seed),
      y: data([3], seed + 1),
      s: data([], seed + 2),
      w: data([3, 3], seed + 3),
    },
  };
}

/**
 * A graph from one of `@gradus/autodiff/testing`'s random expression graphs: its value and the
 * gradient of the value's sum with respect to every input.
 */
export function exprParityGraph(e: ExprGraph): { g: Graph; feeds: Record<string, TensorLike> } {
  const g = graph();
  const xs = e.shapes.map((s, i) => g.input(`x${i}`, s));
  const out = e.build(...xs);
  g.output('out', out);
  const grads = grad(out.sum(), xs);
  grads.forEach((gr, i) => {
    g.output(`d${i}`, gr);
  });
  return { g, feeds: Object.fromEntries(e.inputs.map((v, i) => [`x${i}`, v])) };
}

const program = fc.array(fc.record({ op: fc.nat({ max: RANDOM_OP_COUNT - 1 }), a: fc.nat(), b: fc.nat() }), {
  minLength: 1,
  maxLength: 10,
});

/**
 * Registers the random-graph parity properties for `backend`: random programs (with their
 * gradients) in each of `variants`, and `exprGraphArb` graphs, in f64 and f32.
 */
export function describeRandomParity(
  backend: Backend,
  tol: Tolerance & { readonly f64: number },
  variants: readonly { readonly label: string; readonly extra: Record<string, unknown> }[],
  base: Record<string, unknown> = {},
): void {
  const atolOf = (dtype: 'f32' | 'f64') => (dtype === 'f32' ? (tol.f32Atol ?? tol.atol) : tol.atol);
  describe(`parity on random graphs (fast-check): ${backend.name}`, () => {
    for (const dtype of ['f64', 'f32'] as const) {
      for (const { label, extra } of variants) {
        it(`${dtype}${label}`, () => {
          fc.assert(
            fc.property(program, fc.nat({ max: 1000 }), (prog: Instr[], seed) => {
              const { g, feeds } = randomGraph(prog, seed);
              const bad = checkParity(
                backend,
                g,
                feeds,
                dtype,
                tol[dtype],
                { ...base, ...extra },
                atolOf(dtype),
              );
              expect(bad).toEqual([]);
            }),
            { numRuns: 60 },
          );
        });
      }
      it(`exprGraphArb graphs and their gradients, ${dtype}`, () => {
        fc.assert(
          fc.property(exprGraphArb({ maxOps: 8 }), (e) => {
            const { g, feeds } = exprParityGraph(e);
            expect(checkParity(backend, g, feeds, dtype, tol[dtype], base, atolOf(dtype))).toEqual([]);
          }),
          { numRuns: 100 },
        );
      });
    }
  });
}
