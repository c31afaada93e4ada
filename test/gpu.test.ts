import { gpuProblem } from '@gradus/backends';
import { describe, expect, it } from 'vitest';
import { describeGpu } from '../packages/backends/src/gpu/describe-gpu.js';
import { cli, repoModel, repoModels } from './helpers.js';

const models = repoModels();

/**
 * Backend parity is about the model's graph. Coordinate descent runs L-BFGS line searches on a
 * non-smooth |H|₁, where f32 rounding differences between backends change which step the search
 * accepts and the runs part ways; such a model is compared under plain gradient descent.
 */
const parityOptimizer: Readonly<Record<string, readonly string[]>> = {
  'sparse_coding.model': ['--optimizer', 'sgd(lr = 0.01)', '--batch', '40'],
};

const finalLoss = (r: { code: number; out: string; err: string }): number => {
  // Only the warning that the schedule outlasts this short run.
  expect(r.err.replace(/^warning: the schedule .* before the schedule does\n/m, '')).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out.trim().split('\n').pop() as string).loss;
};

describeGpu('gradus train --backend gpu', () => {
  for (const m of models) {
    it(`${m}: 20 steps on gpu end within 1e-3 relative loss of cpu (f32)`, () => {
      const run = (backend: string) =>
        finalLoss(
          cli(
            'train',
            repoModel(m),
            '--backend',
            backend,
            '--dtype',
            'f32',
            '--steps',
            '20',
            ...(parityOptimizer[m] ?? []),
            '--json',
          ),
        );
      const cpu = run('cpu');
      const gpu = run('gpu');
      expect(Number.isFinite(gpu)).toBe(true);
      expect(Math.abs(gpu - cpu)).toBeLessThanOrEqual(1e-3 * Math.abs(cpu));
    }, 120_000);
  }

  it('--backend gpu refuses f64', () => {
    const r = cli(
      'train',
      repoModel('quadratic.model'),
      '--backend',
      'gpu',
      '--dtype',
      'f64',
      '--steps',
      '1',
    );
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/single precision/);
  });

  it('--backend auto takes the gpu when it can, and says which it uses', () => {
    const r = cli('train', repoModel('quadratic.model'), '--backend', 'auto', '--steps', '2');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/gpu f32/);
  });
});

describe('gradus train --backend gpu without a GPU context', () => {
  const problem = gpuProblem();
  it(
    problem === undefined
      ? 'a GPU context is available here'
      : 'fails naming what is missing; auto falls back and says so',
    () => {
      if (problem === undefined) return;
      const r = cli('train', repoModel('quadratic.model'), '--backend', 'gpu', '--steps', '1');
      expect(r.code).not.toBe(0);
      expect(r.err).toContain(problem);
      const auto = cli('train', repoModel('quadratic.model'), '--backend', 'auto', '--steps', '1');
      expect(auto.code).toBe(0);
      expect(auto.err).toMatch(/--backend auto: using the cpu backend \(no GPU: /);
      expect(auto.out).toMatch(/cpu f32/);
    },
  );
});

describe('gradus compile --emit gpu', () => {
  it('prints the gpu.js kernels of the forward and gradient graph (no GPU context needed)', async () => {
    const r = cli('compile', repoModel('two_layer.model'), '--emit', 'gpu', '--dtype', 'f32');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\/\/ MatMul \[32, 100\]\nfunction \(a0, a1\) \{/m);
    await expect(r.out).toMatchFileSnapshot('./__snapshots__/two_layer.gpu.snap');
  });
});
