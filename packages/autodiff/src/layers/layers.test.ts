/**
 * What the op table cannot say about the layers: PyTorch's conventions at ties and edges, the
 * statistics of the stochastic layers, and the diagnostics for arguments a user gets wrong.
 * Expected values are worked out by hand here.
 */
import { describe, expect, it } from 'vitest';
import { dropout } from '../composites.js';
import { GradusError } from '../diagnostic.js';
import { grad } from '../grad.js';
import { graph } from '../graph.js';
import { interpret } from '../interpreter.js';
import type { Value } from '../value.js';
import {
  avgPool,
  conv1d,
  conv2d,
  embedding,
  flatten,
  gaussianNoise,
  layernorm,
  maxout,
  maxPool,
  stochasticDepth,
  unflatten,
} from './index.js';

const run = (vs: readonly Value[], feeds: Record<string, unknown>, step = 0) =>
  interpret(
    vs.map((v) => v.node),
    { feeds: { $step: step, ...feeds } as Record<string, number> },
  ).map((t) => Array.from(t.data));

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof GradusError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a GradusError');
}

describe('max pooling', () => {
  it('sends the gradient of a tied window to its first maximum (row-major), as PyTorch', () => {
    const g = graph();
    const x = g.input('x', [1, 1, 2, 4]);
    const y = maxPool(x, 2);
    const [dx] = grad(y.sum(), [x]);
    // Window 1 is all 3s; window 2 has its maximum 5 twice (second and fourth place).
    const [out, d] = run([y, dx], { x: [3, 3, 1, 5, 3, 3, 2, 5] });
    expect(out).toEqual([3, 5]);
    expect(d).toEqual([1, 0, 0, 1, 0, 0, 0, 0]);
  });

  it('pads with −∞, so a padded window takes the maximum of its real elements', () => {
    const g = graph();
    const x = g.input('x', [1, 3]);
    const y = maxPool(x, [1, 2], { stride: [1, 2], padding: [0, 1] });
    const [dx] = grad(y.sum(), [x]);
    const [out, d] = run([y, dx], { x: [[-4, -1, -7]] });
    expect(out).toEqual([-4, -1]);
    expect(d).toEqual([1, 1, 0]);
  });
});

describe('average pooling', () => {
  it('counts padded zeros in the divisor (count_include_pad, PyTorch’s default)', () => {
    const g = graph();
    const x = g.input('x', [1, 2]);
    const [out] = run([avgPool(x, [1, 2], { stride: 1, padding: [0, 1] })], { x: [[2, 4]] });
    // Windows [0, 2], [2, 4], [4, 0], each divided by 2.
    expect(out).toEqual([1, 3, 2]);
  });
});

describe('convolution', () => {
  it("pads 'same' asymmetrically for an even kernel, the extra zero after (PyTorch)", () => {
    const g = graph();
    const x = g.input('x', [1, 1, 4]);
    const w = g.input('w', [1, 1, 2]);
    // Total padding 1, all of it at the end: outputs x0+x1, x1+x2, x2+x3, x3+0.
    const [out] = run([conv1d(x, w, { padding: 'same' })], { x: [[[1, 2, 3, 4]]], w: [[[1, 1]]] });
    expect(out).toEqual([3, 5, 7, 4]);
  });

  it('adds the bias per output channel and keeps a symbolic batch', () => {
    const g = graph();
    const x = g.input('x', ['N', 1, 2, 2]);
    const w = g.input('w', [2, 1, 1, 1]);
    const b = g.input('b', [2]);
    const y = conv2d(x, w, { bias: b });
    expect(y.shape).toEqual(['N', 2, 2, 2]);
    const [out] = run([y], {
      x: [
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ],
      w: [[[[1]]], [[[-1]]]],
      b: [10, 20],
    });
    expect(out).toEqual([11, 12, 13, 14, 19, 18, 17, 16]);
  });

  it('names the problem: channels, groups, kernel size, padding, stride', () => {
    const g = graph();
    const x = g.input('x', ['N', 3, 5, 5]);
    const w = g.param('w', [8, 2, 3, 3]);
    expect(codeOf(() => conv2d(x, w))).toEqual({
      code: 'E0333',
      message:
        'E0333: conv2d: x has 3 channels, but W [8, 2, 3, 3] with groups = 1 expects 2 (2 per group × 1 group; W is [O, C/groups, KH, KW])',
    });
    const w3 = g.param('w3', [8, 1, 3, 3]);
    expect(codeOf(() => conv2d(x, w3, { groups: 3 })).message).toContain(
      'groups = 3 does not divide the 8 output channels of W [8, 1, 3, 3]',
    );
    expect(conv2d(x, g.param('w9', [9, 1, 3, 3]), { groups: 3 }).shape).toEqual(['N', 9, 3, 3]);
    const big = g.param('big', [4, 3, 7, 7]);
    expect(codeOf(() => conv2d(x, big, { padding: 0 }))).toEqual({
      code: 'E0331',
      message: 'E0331: conv2d: the 7×7 kernel is larger than the padded input 5×5 (5×5 with no padding)',
    });
    expect(codeOf(() => conv2d(x, big, { dilation: 2, padding: 1 })).message).toContain(
      'the 13×13 kernel (7×7 dilated by 2×2) is larger than the padded input 7×7 (5×5 with padding 1, 1)',
    );
    const k3 = g.param('k3', [4, 3, 3, 3]);
    expect(codeOf(() => conv2d(x, k3, { padding: 'full' as never })).message).toContain(
      'padding must be a non-negative integer, a list of 2 of them, "same" or "valid", got "full"',
    );
    expect(codeOf(() => conv2d(x, k3, { padding: [1, 2, 3] })).code).toBe('E0332');
    expect(codeOf(() => conv2d(x, k3, { padding: -1 })).code).toBe('E0332');
    expect(codeOf(() => conv2d(x, k3, { padding: 'same', stride: 2 })).message).toContain(
      'padding = "same" needs stride 1 (as in PyTorch), got stride 2×2',
    );
    expect(codeOf(() => conv2d(x, k3, { stride: 0 })).code).toBe('E0334');
    expect(codeOf(() => conv2d(g.input('flat', ['N', 75]), k3)).message).toContain('x must be [N, C, H, W]');
  });
});

describe('stochastic layers', () => {
  const ones = (n: number) => new Array(n).fill(1);

  it('vanilla dropout keeps units unscaled in training and scales by keep in evaluation', () => {
    const g = graph({ seed: 4 });
    const x = g.input('x', [4000]);
    const [y] = run([dropout(x, 0.7, 'vanilla')], { x: ones(4000) }, 2);
    expect(y.every((v) => v === 0 || v === 1)).toBe(true);
    // 4000 Bernoulli(0.7) draws: sd √(0.21/4000) ≈ 0.0072.
    expect(Math.abs(y.filter((v) => v === 1).length / 4000 - 0.7)).toBeLessThan(0.03);
    const e = graph({ mode: 'eval' });
    expect(run([dropout(e.input('x', [2]), 0.7, 'vanilla')], { x: [1, 2] })[0]).toEqual([0.7, 1.4]);
    expect(() => dropout(x, 0.5, 'other' as never)).toThrow(/mode must be "inverted" or "vanilla"/);
  });

  it('gaussian_noise adds N(0, std²) noise in training and nothing in evaluation', () => {
    const g = graph({ seed: 9 });
    const x = g.input('x', [20000]);
    const [y] = run([gaussianNoise(x, 0.5)], { x: ones(20000) }, 3);
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    const sd = Math.sqrt(y.reduce((a, b) => a + (b - mean) ** 2, 0) / y.length);
    // sd of the mean 0.5/√20000 ≈ 0.0035; of the sd ≈ 0.0025.
    expect(Math.abs(mean - 1)).toBeLessThan(0.02);
    expect(Math.abs(sd - 0.5)).toBeLessThan(0.02);
    const e = graph({ mode: 'eval' });
    const xe = e.input('x', [3]);
    expect(gaussianNoise(xe, 0.5)).toBe(xe);
    expect(codeOf(() => gaussianNoise(x, -1)).code).toBe('E0338');
  });

  it('stochastic_depth keeps or drops whole examples, with probability survive', () => {
    const g = graph({ seed: 2 });
    const x = g.input('x', ['N', 3]);
    const y = stochasticDepth(x, 0.75);
    const [out] = run([y], { x: new Array(2000).fill([1, 2, 3]) }, 1);
    let kept = 0;
    for (let i = 0; i < 2000; i++) {
      const row = out.slice(3 * i, 3 * i + 3);
      expect(row.join() === '1,2,3' || row.join() === '0,0,0').toBe(true);
      if (row[0] === 1) kept++;
    }
    // sd √(0.1875/2000) ≈ 0.0097.
    expect(Math.abs(kept / 2000 - 0.75)).toBeLessThan(0.04);
    const [inv] = run([stochasticDepth(x, 0.75, 'inverted')], { x: [[3, 3, 3]] }, 1);
    expect(inv.every((v) => v === 0 || v === 4)).toBe(true);
    expect(codeOf(() => stochasticDepth(x, 0)).code).toBe('E0338');
  });
});

describe('other layers', () => {
  it('embedding reads rows and scatter-adds its gradient, repeated ids accumulating', () => {
    const g = graph();
    const table = g.input('t', [3, 2]);
    const ids = g.input('ids', [2, 2], 'i32');
    const y = embedding(table, ids);
    const [dt] = grad(y.mul(y).sum(), [table]);
    const [out, d] = run([y, dt], {
      t: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      ids: [
        [2, 0],
        [2, 2],
      ],
    });
    expect(out).toEqual([5, 6, 1, 2, 5, 6, 5, 6]);
    // d/dt of Σ y² is 2·row per use: row 0 once, row 2 three times, row 1 never.
    expect(d).toEqual([2, 4, 0, 0, 30, 36]);
    expect(codeOf(() => embedding(table, g.input('f', [2]))).code).toBe('E0336');
  });

  it('layernorm, maxout, flatten and unflatten check their arguments', () => {
    const g = graph();
    const x = g.input('x', ['N', 6]);
    expect(codeOf(() => layernorm(x, g.param('g', [5]), g.param('b', [5]))).code).toBe('E0335');
    expect(codeOf(() => maxout(x, 4)).message).toContain('has size 6, which is not a multiple of pieces = 4');
    expect(maxout(x, 3, 0).shape).toEqual(['N/3', 6]);
    expect(maxout(x, 3).shape).toEqual(['N', 2]);
    expect(flatten(x, 0).shape).toEqual(['6*N']);
    expect(codeOf(() => flatten(x, 1, 0)).code).toBe('E0339');
    expect(unflatten(x, 1, [2, -1]).shape).toEqual(['N', 2, 3]);
    expect(codeOf(() => unflatten(x, 1, [-1, -1])).code).toBe('E0339');
    expect(flatten(unflatten(x, 1, [3, 2])).shape).toEqual(['N', 6]);
  });
});
