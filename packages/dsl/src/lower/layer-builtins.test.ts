import { interpret, type Mode } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../model-file.js';

/**
 * The layer built-ins as a `.model` file uses them: positional and named arguments, defaults,
 * shapes through a symbolic batch, train/eval behaviour, and where a mistake is reported.
 * (Their numbers are checked against PyTorch in the top-level torch-parity suite.)
 */

const MODEL = `
model Layers {
  dim N, T = 5, V = 10, D = 6
  input img: float[N, 784]
  input ids: int[N, T]
  input y: int[N]
  param W1: [4, 1, 3, 3]
  param b1: [4]
  param W2: [8, 2, 3, 3]
  param Wc: [6, 6, 3]
  param table: [V, D]
  param g: [D]
  param be: [D]
  param gi: [8]
  param bi: [8]
  param Wo: [84, 10]
  let x   = unflatten(img, 1, [1, 28, 28])                                      # [N, 1, 28, 28]
  let h1  = max_pool(relu(conv2d(x, W1, 1, "same", bias = b1)), 2)               # [N, 4, 14, 14]
  let h2  = conv2d(h1, W2, stride = 2, padding = [1, 0], groups = 2, dilation = 1) # [N, 8, 7, 6]
  let h3  = avg_pool(instancenorm(h2, gi, bi), size = [2, 3], stride = 1)          # [N, 8, 6, 4]
  let img_features = global_avg_pool(stochastic_depth(h3, 0.8, mode = "inverted")) # [N, 8]
  let e   = layernorm(embedding(table, ids), g, be)                              # [N, T, D]
  let s   = conv1d(transpose(e, [0, 2, 1]), Wc, padding = "same")                 # [N, 6, T]
  let seq = flatten(maxout(gaussian_noise(s, 0.1), pieces = 2, axis = 1))       # [N, 15]
  let z   = concat(img_features, seq, stop_gradient(seq), img_features * 0, axis = 1) # [N, 46]
  let logits = concat(dropout(z, keep = 0.9, mode = "vanilla"), reshape(seq, [-1]) * 0 + 1, axis = 0)
  metric acc = mean(argmax(logits, axis = 1) == y)
  loss = mean(cross_entropy(logits @ Wo, y))
}`;

describe('layer built-ins in a .model file', () => {
  it('reports a mistake after the layers as one diagnostic, at its line', () => {
    const text = MODEL;
    const checked = checkSource({ name: 'layers.model', text });
    // Only the last line is wrong (a rank-1 [N*15] joined to an [N, 46] along axis 0); every layer lowers.
    expect(checked.diagnostics.map((d) => d.code)).toEqual(['E0308']);
  });

  const good = MODEL.replace(
    /let logits = .*\n/,
    'let logits = concat(dropout(z, keep = 0.9, mode = "vanilla"), seq, seq, img_features, axis = 1)\n',
  );

  for (const mode of ['train', 'eval'] as Mode[]) {
    it(`lowers every layer with its shapes (${mode})`, () => {
      const checked = checkSource({ name: 'layers.model', text: good }, { mode });
      expect(checked.diagnostics).toEqual([]);
      const g = checked.lowered!.graph;
      const probe = (name: string) => g.outputs.get(name)?.node;
      expect(probe('acc')?.shape).toEqual([]);
      const ops = new Set(g.reachable().map((n) => n.op));
      for (const op of ['Im2Col', 'MatMul', 'ArgMax', 'Gather', 'Take', 'StopGradient'])
        expect(ops.has(op as never), op).toBe(true);
      // Training draws noise, masks and survival; evaluation draws nothing.
      expect(ops.has('RandomUniform')).toBe(mode === 'train');
      expect(ops.has('RandomNormal')).toBe(mode === 'train');
    });
  }

  it('evaluates: vanilla dropout scales by keep in evaluation', () => {
    const text = `model M {
      dim N
      input x: float[N, 3]
      param w: [3] init ones
      output o = dropout(x * w, keep = 0.25, mode = "vanilla")
      loss = sum(o)
    }`;
    const g = checkSource({ name: 'm.model', text }, { mode: 'eval' }).lowered!.graph;
    const [o] = interpret([g.outputs.get('o')!.node], { feeds: { x: [[4, 8, -12]] }, initSeed: 0 });
    expect(Array.from(o.data)).toEqual([1, 2, -3]);
  });

  it('checks named arguments and value kinds', () => {
    const codes = (body: string) =>
      checkSource({
        name: 'm.model',
        text: `model M {
          dim N
          input x: float[N, 2, 8, 8]
          param W: [4, 2, 3, 3]
          loss = sum(${body})
        }`,
      }).diagnostics.map((d) => [d.code, d.message, d.hint]);
    expect(codes('conv2d(x, W, pading = 1)')).toEqual([
      ['E0104', "conv2d has no argument 'pading'", 'did you mean padding?'],
    ]);
    expect(codes('conv2d(x, W, groups = 1.5)')[0][0]).toBe('E0105');
    expect(codes('conv2d(x, W, padding = x)')[0][1]).toContain("'padding' must be an integer or a list");
    expect(codes('max_pool(x)')[0][0]).toBe('E0103');
    expect(codes('max_pool(x, 2, 2, 1, 5)')[0][1]).toBe('max_pool takes at most 4 arguments, got 5');
    expect(codes('dropout(x, keep = 0.5, mode = 1)')[0][1]).toBe(
      "dropout: 'mode' must be a string, got the number 1",
    );
    expect(codes('gaussian_noise(x, std = -1)')[0][1]).toBe(
      'gaussian_noise: std must be a finite number ≥ 0, got -1',
    );
    expect(codes('stochastic_depth(x, survive = 2)')[0][0]).toBe('E0338');
  });
});
