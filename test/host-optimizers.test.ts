import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { minimizeLbfgs } from '@gradus/optim';
import { describe, expect, it } from 'vitest';
import { cli, repoModel } from './helpers.js';

/**
 * `gradus train` with the host-driven optimisers lbfgs, bfgs and newton, end to end: the lecture
 * models through the CLI, the trace and --json formats, and the errors for settings they cannot
 * honour; and L-BFGS against PyTorch's.
 */

const tmp = mkdtempSync(join(tmpdir(), 'gradus-host-'));
let fileCount = 0;
const fresh = (name: string) => join(tmp, `${++fileCount}-${name}`);
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!);
const readLines = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('gradus train with host-driven optimisers', () => {
  it.each([
    ['lbfgs()', 100],
    ['bfgs()', 100],
    ['newton()', 30],
  ])('%s takes Rosenbrock to (1, 1) and stops once converged', (optimizer, most) => {
    const trace = fresh('rosenbrock.jsonl');
    const r = cli(
      'train',
      repoModel('rosenbrock.model'),
      '--optimizer',
      optimizer,
      '--trace',
      trace,
      '--json',
    );
    expect(r.code).toBe(0);
    const summary = lastJson(r.out);
    // The model's train block asks for 5000 steps; convergence ends the run long before.
    expect(summary.steps).toBeLessThan(most);
    expect(summary.stopped).toBe('early_stop');
    expect(summary.message).toMatch(/converged at step \d+/);
    const lines = readLines(trace);
    expect(lines).toHaveLength(summary.steps);
    expect(lines.map((l) => l.step)).toEqual(lines.map((_, i) => i + 1));
    const [x, y] = lines.at(-1).params.p;
    expect(Math.abs(x - 1)).toBeLessThan(1e-6);
    expect(Math.abs(y - 1)).toBeLessThan(1e-6);
    // The trace's first loss is Rosenbrock at (−1.2, 1): (2.2)² + 100·(1 − 1.44)² = 24.2.
    expect(lines[0].loss).toBeCloseTo(24.2, 10);
  });

  it('lbfgs trains the two-layer net on the full spiral, the loss falling every step', () => {
    const trace = fresh('two-layer.jsonl');
    const r = cli(
      'train',
      repoModel('two_layer.model'),
      '--optimizer',
      'lbfgs(history = 5)',
      '--schedule',
      'constant',
      '--steps',
      '6',
      '--trace',
      trace,
      '--json',
    );
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const summary = lastJson(r.out);
    expect(summary.steps).toBe(6);
    const losses = readLines(trace).map((l) => l.loss);
    expect(losses).toHaveLength(6);
    // Every step passed a sufficient-decrease test on the same (full-batch, fixed-mask) loss.
    for (let k = 1; k < losses.length; k++) expect(losses[k]).toBeLessThan(losses[k - 1]);
    expect(summary.metrics.accuracy).toBeGreaterThan(0);
  });

  it('says why a learning-rate schedule does not apply, and how to proceed', () => {
    const r = cli('train', repoModel('two_layer.model'), '--optimizer', 'lbfgs()', '--steps', '2');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/E0914/);
    expect(r.err).toMatch(/line search, so a learning-rate schedule \(warmup\) does not apply/);
    expect(r.err).toMatch(/--schedule constant/);
  });

  it("refuses newton on bn_mlp's thousands of params with a clear error", () => {
    const r = cli(
      'train',
      repoModel('bn_mlp.model'),
      '--optimizer',
      'newton()',
      '--schedule',
      'constant',
      '--json',
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/E0914/);
    expect(r.err).toMatch(/newton forms the full (\d+)×\1 Hessian, and this model has \1 params/);
    expect(r.err).toMatch(/at most 2000/);
    expect(r.err).toMatch(/lbfgs/);
    expect(r.err).not.toMatch(/\n\s+at .+:\d+/);
  });

  it('refuses bfgs beyond 2,000 params: its inverse-Hessian approximation is dense', () => {
    const r = cli('train', repoModel('bn_mlp.model'), '--optimizer', 'bfgs()', '--schedule', 'constant');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/E0914/);
    expect(r.err).toMatch(
      /bfgs keeps a dense (\d+)×\1 inverse-Hessian approximation, and this model has \1 params/,
    );
    expect(r.err).toMatch(/use lbfgs\(\)/);
  });

  it('bfgs carries its inverse Hessian through a checkpoint: a resumed run is the same run', () => {
    const whole = cli(
      'train',
      repoModel('rosenbrock.model'),
      '--optimizer',
      'bfgs()',
      '--steps',
      '20',
      '--json',
    );
    const dir = fresh('bfgs-ckpt');
    const first = cli(
      'train',
      repoModel('rosenbrock.model'),
      '--optimizer',
      'bfgs()',
      '--steps',
      '8',
      '--checkpoint',
      dir,
    );
    expect(first.code).toBe(0);
    const rest = cli(
      'train',
      repoModel('rosenbrock.model'),
      '--optimizer',
      'bfgs()',
      '--steps',
      '20',
      '--resume',
      dir,
      '--json',
    );
    expect(rest.code).toBe(0);
    expect(lastJson(rest.out).loss).toBe(lastJson(whole.out).loss);
  });
});

describe('L-BFGS against torch.optim.LBFGS (strong Wolfe) on Rosenbrock from (−1.2, 1)', () => {
  const fixture = JSON.parse(
    readFileSync(fileURLToPath(new URL('./fixtures/lbfgs/torch_rosenbrock.json', import.meta.url)), 'utf8'),
  ) as {
    runs: { history: number; tolerance: number; iterations: number; evaluations: number; x: number[] }[];
  };
  const rosenbrock = (p: Float64Array) => {
    const [x, y] = p;
    return {
      f: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
      g: Float64Array.of(-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)),
    };
  };

  it.each(fixture.runs.map((r) => [r.history, r.tolerance, r] as const))(
    'history %i, gradient tolerance %s: the same iterations, evaluations and end point',
    (history, tolerance, torch) => {
      const r = minimizeLbfgs(rosenbrock, [-1.2, 1], { history, tolerance });
      expect(r.iterations).toBe(torch.iterations);
      expect(r.evaluations).toBe(torch.evaluations);
      r.x.forEach((v, i) => {
        expect(Math.abs(v - torch.x[i])).toBeLessThan(1e-9);
      });
      // gradus train counts one step per L-BFGS iteration.
      const out = cli(
        'train',
        repoModel('rosenbrock.model'),
        '--optimizer',
        `lbfgs(history = ${history}, tolerance = ${tolerance})`,
        '--json',
      );
      expect(out.code).toBe(0);
      expect(lastJson(out.out).steps).toBe(torch.iterations);
    },
  );
});
