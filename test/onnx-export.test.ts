/**
 * ONNX export against onnxruntime: every shipped model and every composite with an ONNX op of
 * its own, exported in f32 and run by onnxruntime-node, gives the reference interpreter's
 * outputs (f32 rounding after every op) on the same rows, to a relative 1e-5.
 */
import {
  avgPool,
  conv1d,
  conv2d,
  embedding,
  type Graph,
  globalAvgPool,
  graph,
  initVariables,
  instancenorm,
  interpret,
  isFloat,
  layernorm,
  leakyRelu,
  logSoftmax,
  maxPool,
  sigmoid,
  softplus,
  type Tensor,
  type Value,
} from '@gradus/autodiff';
import { emitOnnx, loadModel } from '@gradus/dsl';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compareTensors, data } from '../packages/backends/src/testing/parity.js';
import { summariseOnnx } from '../packages/dsl/src/emit/onnx/read-proto.js';
import { repoModel, repoModels } from './helpers.js';

/**
 * The f32 tolerance of the backend parity suite: relative 1e-5, plus 1e-6 absolute for sums that
 * cancel to near zero (onnxruntime accumulates in f32, the interpreter in f64 rounded per op).
 */
const TOL = { f32: { rtol: 1e-5, atol: 1e-6 }, f64: { rtol: 1e-12, atol: 1e-14 } } as const;

/** Runs the exported bytes in onnxruntime and compares every output with the interpreter's. */
async function agree(
  g: Graph,
  bytes: Uint8Array,
  feeds: Record<string, Tensor>,
  variables: Record<string, Tensor>,
  precision: 'f32' | 'f64' = 'f32',
): Promise<void> {
  const session = await ort.InferenceSession.create(bytes);
  const ortFeeds = Object.fromEntries(
    session.inputNames.map((n) => {
      const t = feeds[n];
      if (!t) throw new Error(`the export asks for an input '${n}' the model does not have`);
      if (!isFloat(t.dtype)) return [n, new ort.Tensor('int32', Int32Array.from(t.data), [...t.shape])];
      return precision === 'f32'
        ? [n, new ort.Tensor('float32', Float32Array.from(t.data), [...t.shape])]
        : [n, new ort.Tensor('float64', Float64Array.from(t.data), [...t.shape])];
    }),
  );
  const got = await session.run(ortFeeds);
  const names = session.outputNames;
  const want = interpret(
    names.map((n) => (g.outputs.get(n) as { node: Parameters<typeof interpret>[0][0] }).node),
    { feeds: { ...feeds, ...variables }, precision },
  );
  names.forEach((n, i) => {
    const o = got[n];
    const t: Tensor = {
      shape: o.dims.map(Number),
      dtype: want[i].dtype,
      data: Float64Array.from(o.data as ArrayLike<number>, (v) => Number(v)),
    };
    expect(compareTensors(n, t, want[i], TOL[precision].rtol, TOL[precision].atol)).toEqual([]);
  });
}

/** Rows for the model's inputs: the first symbolic dim is `size`, the next `size + 2`, … (labels 0 and 1). */
function rowsFor(g: Graph, size: number, seed: number): Record<string, Tensor> {
  const sizes = new Map<string, number>();
  const sizeOf = (d: number | string) => {
    if (typeof d === 'number') return d;
    if (!sizes.has(d)) sizes.set(d, size + 2 * sizes.size);
    return sizes.get(d) as number;
  };
  const feeds: Record<string, Tensor> = {};
  [...g.inputs.values()].forEach((x, i) => {
    const name = x.attrs.name as string;
    const t = data(x.shape.map(sizeOf), seed + i);
    feeds[name] = isFloat(x.dtype)
      ? { ...t, dtype: x.dtype }
      : { ...t, dtype: x.dtype, data: t.data.map((v) => (v > 0 ? 1 : 0)) };
  });
  return feeds;
}

/** Initial params, and state (running statistics) set away from its zeros and ones, so it is really read. */
function someVariables(g: Graph): Record<string, Tensor> {
  const vars = initVariables(g, 3);
  let k = 0;
  for (const [name, node] of g.variables) {
    if (node.attrs.kind !== 'state') continue;
    const t = data(vars[name].shape, 100 + k++, 0.5, 1.5);
    vars[name] = { ...t, dtype: node.dtype };
  }
  return vars;
}

const shipped = [
  ...repoModels().map((m) => ({ name: `models/${m}`, path: repoModel(m) })),
  ...['mnist_mlp.model', 'mnist_cnn.model'].map((m) => ({
    name: `examples/${m}`,
    path: new URL(`../examples/${m}`, import.meta.url).pathname,
  })),
];

/** ONNX ops each model's export must use (its composites), beyond the primitives. */
const expectedOps: Record<string, string[]> = {
  'models/two_layer.model': ['Gemm', 'Relu', 'Softmax', 'LogSoftmax', 'ReduceMean'],
  'models/bn_mlp.model': ['BatchNormalization', 'Relu', 'Gemm'],
  'models/maxout_mlp.model': ['Gemm', 'ReduceMax', 'Softmax'],
  'models/arm_segments.model': ['Concat', 'Relu', 'Softmax'],
  'examples/mnist_cnn.model': ['Conv', 'Relu', 'MaxPool', 'Gemm', 'Softmax'],
};

describe('every shipped model exported to ONNX runs in onnxruntime as in Gradus', () => {
  for (const m of shipped) {
    it(m.name, async () => {
      const g = loadModel(m.path, { floatDtype: 'f32', mode: 'eval' }).lowered.graph;
      const variables = someVariables(g);
      // Every named result (outputs, metrics and the loss), so every op of the model is exported.
      const bytes = emitOnnx(g, { variables, outputs: [...g.outputs.keys()] });
      const summary = summariseOnnx(bytes);
      expect(summary.opset).toBe(17);
      for (const op of expectedOps[m.name] ?? []) expect(summary.ops, op).toContain(op);
      expect(summary.ops).not.toContain('Im2Col');
      // Inputs by their model names, the batch kept symbolic.
      const declared = [...g.inputs.values()].filter((i) => !(i.attrs.name as string).startsWith('$'));
      expect(summary.inputs.map((i) => i.name).sort()).toEqual(
        declared.map((i) => i.attrs.name as string).sort(),
      );
      for (const i of summary.inputs) {
        const node = g.inputs.get(i.name);
        expect(i.dims).toEqual(node?.shape);
      }
      // Two batch sizes through one file: the symbolic dims really are symbolic.
      await agree(g, bytes, rowsFor(g, 5, 1), variables);
      await agree(g, bytes, rowsFor(g, 2, 7), variables);
    });
  }
});

describe('f64 export', () => {
  // onnxruntime's CPU runtime has no float64 Conv ("Could not find an implementation for Conv(11)"), so the MLPs.
  for (const m of ['two_layer.model', 'bn_mlp.model', 'arm_segments.model']) {
    it(`${m} in double precision, to 1e-12`, async () => {
      const g = loadModel(repoModel(m), { floatDtype: 'f64', mode: 'eval' }).lowered.graph;
      const variables = someVariables(g);
      const bytes = emitOnnx(g, { variables, outputs: [...g.outputs.keys()], metadata: { note: 'f64' } });
      const summary = summariseOnnx(bytes);
      expect(summary.inputs.find((i) => i.name === 'x')?.elemType).toBe(11);
      expect(summary.metadata).toEqual({ note: 'f64' });
      await agree(g, bytes, rowsFor(g, 4, 3), variables, 'f64');
    });
  }
});

describe('composites with an ONNX op of their own', () => {
  const x4 = (g: Graph, shape: (number | string)[], name = 'x') => g.input(name, shape);
  const table: { name: string; op: string; build: (g: Graph) => Value }[] = [
    // Inputs in [-2, 2): in saturation the f32 composites lose the relative precision that ONNX's
    // own Sigmoid and Softplus keep, so there the two would differ by more than rounding.
    { name: 'sigmoid', op: 'Sigmoid', build: (g) => sigmoid(x4(g, ['N', 4])) },
    { name: 'softplus', op: 'Softplus', build: (g) => softplus(x4(g, ['N', 4])) },
    { name: 'leaky_relu', op: 'LeakyRelu', build: (g) => leakyRelu(x4(g, ['N', 4]), 0.2) },
    { name: 'tanh', op: 'Tanh', build: (g) => x4(g, ['N', 4]).tanh() },
    { name: 'log_softmax over axis 0', op: 'LogSoftmax', build: (g) => logSoftmax(x4(g, ['N', 4]), 0) },
    {
      name: 'conv1d, stride 2, dilation 2, padding',
      op: 'Conv',
      build: (g) =>
        conv1d(x4(g, ['N', 2, 9]), g.param('w', [3, 2, 3]), {
          stride: 2,
          dilation: 2,
          padding: 1,
          bias: g.param('b', [3]),
        }),
    },
    {
      name: 'conv2d in two groups, "same" padding',
      op: 'Conv',
      build: (g) => conv2d(x4(g, ['N', 4, 5, 5]), g.param('w', [6, 2, 2, 2]), { groups: 2, padding: 'same' }),
    },
    {
      name: 'pointwise conv2d',
      op: 'Conv',
      build: (g) => conv2d(x4(g, ['N', 3, 2, 2]), g.param('w', [2, 3, 1, 1])),
    },
    {
      name: 'max_pool with padding on a rank-3 tensor',
      op: 'MaxPool',
      build: (g) => maxPool(x4(g, ['N', 5, 6]), 3, { stride: 2, padding: 1 }),
    },
    { name: 'avg_pool', op: 'AveragePool', build: (g) => avgPool(x4(g, ['N', 2, 6, 6]), 2, { padding: 1 }) },
    { name: 'global_avg_pool', op: 'GlobalAveragePool', build: (g) => globalAvgPool(x4(g, ['N', 3, 4, 4])) },
    {
      name: 'layernorm over the last two axes',
      op: 'LayerNormalization',
      build: (g) =>
        layernorm(x4(g, ['N', 3, 4]), g.param('g', [3, 4], { kind: 'ones' }), g.param('b', [3, 4]), {
          axis: 1,
        }),
    },
    {
      name: 'instancenorm',
      op: 'InstanceNormalization',
      build: (g) =>
        instancenorm(x4(g, ['N', 3, 4, 4]), g.param('g', [3], { kind: 'ones' }), g.param('b', [3])),
    },
    {
      name: 'embedding',
      op: 'Gather',
      build: (g) => embedding(g.param('table', [5, 3]), g.input('ids', ['N', 2], 'i32')),
    },
  ];
  for (const c of table) {
    it(`${c.name} → ${c.op}`, async () => {
      const g = graph({ floatDtype: 'f32', mode: 'eval' });
      g.output('y', c.build(g));
      const variables = someVariables(g);
      for (const [name, t] of Object.entries(variables))
        variables[name] = { ...data(t.shape, 9, -1, 1), dtype: t.dtype };
      const bytes = emitOnnx(g, { variables });
      expect(summariseOnnx(bytes).ops).toContain(c.op);
      const rows = rowsFor(g, 3, 2);
      if (rows.ids) rows.ids = { ...rows.ids, data: rows.ids.data.map((_, i) => (i * 3) % 5) };
      await agree(g, bytes, rows, variables);
    });
  }
});
