import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SPLIT_COLOURS, spiral } from '@gradus/optim';
import { describe, expect, it } from 'vitest';
import { cli, repoModel } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'gradus-extras-'));
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!);

describe('Polyak averaging', () => {
  it('evaluates the debiased moving average of the iterates', () => {
    const model = join(tmp, 'polyak.model');
    writeFileSync(
      model,
      readFileSync(repoModel('quadratic.model'), 'utf8').replace(
        'steps = 300',
        'steps = 40\n    polyak = 0.9',
      ),
    );
    const trace = join(tmp, 'polyak.trace.jsonl');
    const r = cli('train', model, '--trace', trace, '--json');
    // Only the warning that the schedule outlasts this short run.
    expect(r.err.replace(/^warning: the schedule .* before the schedule does\n/m, '')).toBe('');
    expect(r.code).toBe(0);
    // Independently: the zero-started EMA of the traced iterates, debiased by 1 − 0.9^t, then the loss there.
    const steps = readFileSync(trace, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    let ema = [0, 0];
    for (const s of steps) ema = ema.map((a, i) => 0.9 * a + 0.1 * s.params.x[i]);
    const avg = ema.map((a) => a / (1 - 0.9 ** steps.length));
    const expected = 0.5 * (2 * avg[0] ** 2 + 100 * avg[1] ** 2);
    const log = join(tmp, 'polyak.log.jsonl');
    cli('train', model, '--log', log, '--overwrite');
    const evals = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.eval);
    expect(evals.at(-1).loss).toBeCloseTo(expected, 12);
  });

  it('rejects a decay outside (0, 1)', () => {
    const model = join(tmp, 'polyak-bad.model');
    writeFileSync(
      model,
      readFileSync(repoModel('ravine.model'), 'utf8').replace('steps = 200', 'steps = 5\n    polyak = 1.5'),
    );
    const r = cli('train', model);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/'polyak' must be in \(0, 1\), got 1.5/);
  });
});

describe('LSUV', () => {
  it('scales a layer to unit output variance on the first batch before training', () => {
    const model = join(tmp, 'lsuv.model');
    writeFileSync(
      model,
      `model Lsuv {
  dim N, D = 2, H = 16, C = 3
  input x: float[N, D]
  input y: int[N]
  param W1: [D, H] init lsuv(tolerance = 0.001)
  param W2: [H, C] init glorot_uniform
  loss = mean(cross_entropy(tanh(x @ W1) @ W2, y))
  train {
    data = spiral(classes = 3, points = 20, seed = 0)
    optimizer = sgd(lr = 1e-12)
    batch = 60
    shuffle = false
    steps = 1
  }
}
`,
    );
    const dir = join(tmp, 'lsuv-ck');
    expect(cli('train', model, '--checkpoint', dir).code).toBe(0);
    const W1 = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).variables.W1.data as number[];
    // The first batch is the whole spiral (no shuffle): the variance of x @ W1 must be ≈ 1.
    const d = spiral(3, 20, 0);
    const z: number[] = [];
    for (let i = 0; i < d.n; i++)
      for (let j = 0; j < 16; j++) z.push(d.x[2 * i] * W1[j] + d.x[2 * i + 1] * W1[16 + j]);
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length;
    expect(Math.abs(variance - 1)).toBeLessThan(0.002);
    expect(lastJson(cli('train', model, '--json').out).steps).toBe(1);
  });
});

describe('an unusable chart directory', () => {
  it('is a clear error before any training', () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'not a directory');
    const r = cli('train', repoModel('ravine.model'), '--plot', join(file, 'charts'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot use .*charts for charts: ENOTDIR/);
    expect(r.out).toBe('');
  });
});

describe('gradus train --plot DIR', () => {
  it('writes smoothed loss and metric charts, learning rate, gradient norm and an index of them all', () => {
    const dir = join(tmp, 'charts-e2e');
    const r = cli(
      'train',
      repoModel('two_layer.model'),
      '--set',
      'validation=0.2',
      '--set',
      'epochs=5',
      '--plot',
      dir,
    );
    // Only the warning that the schedule outlasts this short run.
    expect(r.err.replace(/^warning: the schedule .* before the schedule does\n/m, '')).toBe('');
    expect(r.code).toBe(0);
    const files = ['loss.svg', 'accuracy.svg', 'lr.svg', 'grad_norm.svg'];
    expect(readdirSync(dir).sort()).toEqual([...files, 'index.html'].sort());
    expect(r.out).toContain(`charts: ${[...files, 'index.html'].map((f) => join(dir, f)).join(', ')}`);
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    expect([...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1])).toEqual(files);
    // One colour per split in every chart: the training batches blue, the validation split orange.
    for (const f of ['loss.svg', 'accuracy.svg']) {
      const svg = readFileSync(join(dir, f), 'utf8');
      const strokes = (split: string) =>
        new Set(
          [
            ...svg.matchAll(
              new RegExp(
                `split: ${split}" role="graphics-symbol" aria-roledescription="line mark"[^>]*stroke="([^"]+)"`,
                'g',
              ),
            ),
          ].map((m) => m[1]),
        );
      expect(strokes('train')).toEqual(new Set([SPLIT_COLOURS.train]));
      expect(strokes('validation')).toEqual(new Set([SPLIT_COLOURS.validation]));
      expect(svg).toMatch(/stroke-width="1" opacity="0.25"/);
    }
    expect(readFileSync(join(dir, 'lr.svg'), 'utf8')).toContain('TwoLayerNet: learning rate');
    expect(readFileSync(join(dir, 'grad_norm.svg'), 'utf8')).toContain('TwoLayerNet: gradient norm');
  });

  it('refuses a path under /proc at once, naming it', () => {
    const t = Date.now();
    const r = cli('train', repoModel('ravine.model'), '--plot', '/proc/gradus-charts');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /cannot use \/proc\/gradus-charts for charts: ENOENT: cannot make \/proc\/gradus-charts/,
    );
    expect(r.out).toBe('');
    expect(Date.now() - t).toBeLessThan(10_000);
  });
});
