import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mnist } from '@gradus/optim';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

/**
 * The MNIST convnet example, gradient-checked on a small batch: its CPU-backend gradients against
 * central differences of the interpreter on two MNIST training images. Its biases start at zero,
 * and on an image's blank background a zero bias puts every ReLU exactly on its kink (and every
 * max-pooling window into a tie), where central differences say nothing; so the check runs at
 * small nonzero biases, where no element may sit at a kink.
 */
const model = fileURLToPath(new URL('../examples/mnist_cnn.model', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'gradus-cnn-'));

describe('examples/mnist_cnn.model', () => {
  it('gradient-checks on two MNIST images: every bias element and 30 elements of every weight', () => {
    const { train } = mnist({ train: 2, test: 0 });
    const data = join(tmp, 'two-images.json');
    const x = train.x;
    writeFileSync(
      data,
      JSON.stringify({
        x: [Array.from(x.data.subarray(0, 784)), Array.from(x.data.subarray(784, 1568))],
        y: Array.from(train.y.data),
      }),
    );
    const params = join(tmp, 'biases.json');
    const wave = (n: number, scale: number) => Array.from({ length: n }, (_, i) => scale * Math.sin(i + 1));
    writeFileSync(params, JSON.stringify({ b1: wave(8, 0.05), b2: wave(16, 0.05), b3: wave(64, 0.05) }));
    const r = cli('gradcheck', model, '--data', data, '--params', params, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out.trim().split('\n').at(-1)!);
    expect(report.ok).toBe(true);
    expect(Object.keys(report.params)).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3', 'W4', 'b4']);
    for (const [name, p] of Object.entries(report.params) as [
      string,
      { maxRelError: number; kinks: number },
    ][]) {
      expect(p.kinks, name).toBe(0);
      expect(p.maxRelError, name).toBeLessThan(1e-5);
    }
  }, 180_000);
});
