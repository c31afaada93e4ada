import { readFileSync } from 'node:fs';
import {
  avgPool,
  conv1d,
  conv2d,
  crossEntropy,
  embedding,
  flatten,
  type Graph,
  grad,
  graph,
  instancenorm,
  interpret,
  layernorm,
  maxPool,
  type Tensor,
  type Value,
} from '@gradus/autodiff';
import { cpu } from '@gradus/backends';
import { checkSource } from '@gradus/dsl';
import { describe, expect, it } from 'vitest';

/**
 * Layers against PyTorch: `fixtures/torch/layers.json` holds small networks' inputs, loss and
 * every gradient as `torch.nn.functional` computes them in float64 (written by
 * `fixtures/torch/make-torch-fixtures.py`, which the test never runs). Gradus builds the same
 * networks and must agree to 1e-8, on the reference interpreter and on the CPU backend, through
 * the builder API and (for the convnet) through a `.model` file.
 */

interface Stored {
  readonly shape: number[];
  readonly data: number[];
}

interface Fixture {
  readonly inputs: Record<string, Stored>;
  readonly ints: Record<string, Stored>;
  readonly loss: number;
  readonly grads: Record<string, Stored>;
}

/** Every input of a fixture as a feed: floats as f64, indices and labels as i32. */
function feedsOf(f: Fixture): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(f.inputs))
    feeds[k] = { shape: t.shape, dtype: 'f64', data: Float64Array.from(t.data) };
  for (const [k, t] of Object.entries(f.ints))
    feeds[k] = { shape: t.shape, dtype: 'i32', data: Float64Array.from(t.data) };
  return feeds;
}

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/torch/layers.json', import.meta.url), 'utf8'))
  .cases as Record<string, Fixture>;

const TOL = 1e-8;

/** Relative error (against max(|a|, |b|, 1)): every element within TOL. */
function expectClose(got: ArrayLike<number>, want: readonly number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), 1));
  }
  expect(worst, what).toBeLessThanOrEqual(TOL);
}

type Build = (x: Record<string, Value>, g: Graph) => Value;

/** The four networks, written as the Python script writes them. */
const networks: Record<string, Build> = {
  convnet: ({ x, W1, b1, W2, b2, W3, b3, y }) => {
    const h1 = maxPool(conv2d(x, W1, { padding: 1, bias: b1 }).relu(), 2);
    const h2 = avgPool(conv2d(h1, W2, { padding: 'same', dilation: 2, groups: 2, bias: b2 }).relu(), 3, {
      stride: 2,
      padding: 1,
    });
    return crossEntropy(flatten(h2).matMul(W3).add(b3), y).mean();
  },
  conv_forms: ({ x, W, Wc, s, r1, r2, r3, r4, r5, r6, r7 }) => {
    const row = (w: Value) => w.index(['all', 'all', 0, 'all']);
    return [
      conv2d(x, W, { stride: 2, padding: [1, 2] }).mul(r1),
      conv2d(x, W, { dilation: 2, padding: 1 }).mul(r2),
      conv2d(x, Wc, { padding: 'same' }).mul(r3),
      conv2d(x, W, { padding: 'valid' }).mul(r4),
      conv1d(s, row(W), { stride: 2, padding: 1 }).mul(r5),
      conv1d(s, row(Wc), { padding: 'same', dilation: 3 }).mul(r6),
      conv2d(x.index([0]), W, { padding: 1 }).mul(r7),
    ]
      .map((t) => t.sum())
      .reduce((a, b) => a.add(b));
  },
  pools_with_ties: ({ x, r1, r2, r3, r4 }) =>
    [
      maxPool(x, 2).mul(r1),
      maxPool(x, [3, 2], { stride: [2, 1], padding: 1 }).mul(r2),
      avgPool(x, 3, { stride: 2, padding: 1 }).mul(r3),
      avgPool(x, [2, 3]).mul(r4),
    ]
      .map((t) => t.sum())
      .reduce((a, b) => a.add(b)),
  norms_and_embedding: ({ table, g2, b2, g1, b1, gi, bi, z, r1, r2, ids }) => {
    const e = embedding(table, ids);
    const a = layernorm(e, g2, b2, { axis: -2 });
    const b = layernorm(e.mul(e), g1, b1);
    const c = instancenorm(z, gi, bi);
    return a.mul(r1).sum().add(b.mul(r2).sum()).add(c.mul(c).mul(c).sum());
  },
};

/** The graph of a fixture: its inputs, its loss and the gradient of the loss by every float input. */
function build(name: string) {
  const f = fixtures[name];
  const g = graph({ floatDtype: 'f64' });
  const xs: Record<string, Value> = {};
  for (const [k, t] of Object.entries(f.inputs)) xs[k] = g.input(k, t.shape);
  for (const [k, t] of Object.entries(f.ints)) xs[k] = g.input(k, t.shape, 'i32');
  const loss = networks[name](xs, g);
  const names = Object.keys(f.grads);
  const grads = grad(
    loss,
    names.map((k) => xs[k]),
  );
  g.output('loss', loss, 'loss');
  grads.forEach((v, i) => {
    g.output(`d_${names[i]}`, v);
  });
  return { g, loss, grads, names, feeds: feedsOf(f), f };
}

describe('layers match PyTorch (torch.nn.functional, float64)', () => {
  it('has the fixtures', () => {
    expect(Object.keys(fixtures).sort()).toEqual(Object.keys(networks).sort());
  });

  for (const name of Object.keys(networks)) {
    it(`${name}: loss and gradients on the reference interpreter`, () => {
      const { loss, grads, names, feeds, f } = build(name);
      const [l, ...gs] = interpret([loss.node, ...grads.map((v) => v.node)], { feeds });
      expectClose(l.data, [f.loss], 'loss');
      names.forEach((k, i) => {
        expect(gs[i].shape, k).toEqual(f.grads[k].shape);
        expectClose(gs[i].data, f.grads[k].data, `d ${k}`);
      });
    });

    it(`${name}: loss and gradients on the cpu backend`, () => {
      const { g, names, feeds, f } = build(name);
      const out = cpu.compile(g, { dtype: 'f64' }).run(feeds);
      expectClose(out.loss.data, [f.loss], 'loss');
      for (const k of names) expectClose(out[`d_${k}`].data, f.grads[k].data, `d ${k}`);
    });
  }

  it('convnet written as a .model file: the same loss and parameter gradients', () => {
    const f = fixtures.convnet;
    const source = `
      model Convnet {
        dim N
        input x: float[N, 3, 9, 8]
        input y: int[N]
        param W1: [4, 3, 3, 3]
        param b1: [4]
        param W2: [6, 2, 3, 3]
        param b2: [6]
        param W3: [24, 5]
        param b3: [5]
        let h1 = max_pool(relu(conv2d(x, W1, padding = 1, bias = b1)), 2)
        let h2 = avg_pool(relu(conv2d(h1, W2, padding = "same", dilation = 2, groups = 2, bias = b2)), 3, stride = 2, padding = 1)
        loss = mean(cross_entropy(flatten(h2) @ W3 + b3, y))
      }`;
    const checked = checkSource({ name: 'convnet.model', text: source });
    expect(checked.diagnostics).toEqual([]);
    const g = checked.lowered!.graph;
    const params = ['W1', 'b1', 'W2', 'b2', 'W3', 'b3'];
    const loss = g.value(g.loss()!);
    const grads = grad(
      loss,
      params.map((p) => g.value(g.variables.get(p)!)),
    );
    const [l, ...gs] = interpret([loss.node, ...grads.map((v) => v.node)], { feeds: feedsOf(f) });
    expectClose(l.data, [f.loss], 'loss');
    params.forEach((p, i) => {
      expectClose(gs[i].data, f.grads[p].data, `d ${p}`);
    });
  });
});
