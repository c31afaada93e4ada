/**
 * `gradus doctor` tells a healthy model from a badly initialised one, from one whose units are all
 * dead, and from learning rates that are too high or too low; the expected initial losses are the
 * lectures' (log C, (C − 1)·margin, the mean squared target).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, repoModel } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'gradus-doctor-'));
const twoLayer = readFileSync(repoModel('two_layer.model'), 'utf8');
/** two_layer.model with one line replaced: a model that differs from a healthy one in one place. */
const variant = (name: string, from: string, to: string) => {
  expect(twoLayer).toContain(from);
  const path = join(tmp, `${name}.model`);
  writeFileSync(path, twoLayer.replace(from, to));
  return path;
};
type Check = {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  message: string;
  details: Record<string, unknown>;
};
const run = (path: string, ...flags: string[]) => {
  const r = cli('doctor', path, '--json', ...flags);
  expect(r.err).toBe('');
  const report = JSON.parse(r.out) as { checks: Check[]; charts: string[] };
  const by = Object.fromEntries(report.checks.map((c) => [c.name, c])) as Record<string, Check>;
  return { code: r.code, by, report };
};
const SMALL = ['--data', 'spiral(classes = 3, points = 40, seed = 1)'];

describe('gradus doctor', () => {
  it('passes a healthy model: every check present, none failing, the initial loss near log 3', () => {
    const { code, by, report } = run(repoModel('two_layer.model'), ...SMALL, '--plot', join(tmp, 'charts'));
    expect(report.checks.map((c) => c.name)).toEqual([
      'initial_loss',
      'overfit_small_subset',
      'lr_range',
      'gradient_flow',
    ]);
    expect(code).toBe(0);
    for (const c of report.checks) expect(c.status, `${c.name}: ${c.message}`).not.toBe('fail');
    expect(by.initial_loss.status).toBe('ok');
    expect(by.initial_loss.details.expected).toBeCloseTo(Math.log(3), 12);
    // Regularisation only adds to the loss.
    expect(by.initial_loss.details.regularised as number).toBeGreaterThan(
      by.initial_loss.details.loss as number,
    );
    expect(by.overfit_small_subset.status).toBe('ok');
    expect(by.lr_range.status).toBe('ok');
    expect(report.charts).toEqual([join(tmp, 'charts', 'lr_range.svg')]);
    expect(readFileSync(report.charts[0], 'utf8')).toMatch(/^<svg/);
  });

  it('fails a badly initialised model on its initial loss, saying to scale the weights down', () => {
    const path = variant(
      'badinit',
      'param W2: [H, C] init glorot_uniform',
      'param W2: [H, C] init normal(std = 10)',
    );
    const { code, by } = run(path, ...SMALL);
    expect(code).toBe(1);
    expect(by.initial_loss.status).toBe('fail');
    expect(by.initial_loss.message).toMatch(/too large; scale them down/);
    expect(by.initial_loss.details.ratio as number).toBeGreaterThan(1.5);
  });

  it('fails a model whose ReLU units are all dead, on gradient flow, naming the line', () => {
    const path = variant('dead', 'param b1: [H]    init zeros', 'param b1: [H]    init constant(-10)');
    const { code, by } = run(path, ...SMALL);
    expect(code).toBe(1);
    expect(by.gradient_flow.status).toBe('fail');
    expect(by.gradient_flow.message).toMatch(/every unit of the relu on line 16 is dead at initialisation/);
    expect(by.gradient_flow.message).toMatch(/'b1' gets no gradient/);
    expect(by.overfit_small_subset.status).toBe('fail');
    expect((by.gradient_flow.details.relus as { dead_at_start: number }[])[0].dead_at_start).toBe(1);
  });

  it('flags a learning rate that is too high (loss exploding) and one that is too low (not going down)', () => {
    const high = variant('high', 'optimizer = adam(lr = 1e-2)', 'optimizer = sgd(lr = 100)');
    const h = run(high, ...SMALL).by.lr_range;
    expect(h.status).toBe('fail');
    expect(h.message).toMatch(/loss exploding \/ NaN: the model's lr 100 is too high/);
    const low = variant('low', 'optimizer = adam(lr = 1e-2)', 'optimizer = sgd(lr = 1e-6)');
    const l = run(low, ...SMALL).by;
    expect(l.lr_range.status).toBe('warn');
    expect(l.lr_range.message).toMatch(/loss not going down: the model's lr 1.00e-6 is too low/);
    expect(l.lr_range.details.suggested_lr as number).toBeGreaterThan(1e-4);
    // The model can fit 20 examples, just not with its own rate: said so, as a warning.
    expect(l.overfit_small_subset.status).toBe('warn');
    expect(l.overfit_small_subset.message).toMatch(/only with another optimiser/);
  });

  it('says that points which cannot be separated cannot be fitted, instead of failing', () => {
    // Ten inputs, each twice, with two different labels.
    const x: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 10; i++) {
      const p = [Math.cos(i), Math.sin(2 * i)];
      x.push(p, p);
      y.push(i % 3, (i + 1) % 3);
    }
    const data = join(tmp, 'clash.json');
    writeFileSync(data, JSON.stringify({ x, y }));
    const { by } = run(repoModel('two_layer.model'), '--data', data);
    expect(by.overfit_small_subset.status).toBe('warn');
    expect(by.overfit_small_subset.message).toMatch(
      /repeat an input with a different label[\s\S]*cannot be separated/,
    );
  });

  it('expects (C − 1)·margin of the hinge and the mean squared target of mse', () => {
    const svm = run(repoModel('spiral_svm.model'), ...SMALL).by.initial_loss;
    expect(svm.details.expected).toBe(2);
    expect(svm.status).toBe('ok');
    const regression = join(tmp, 'regression.model');
    writeFileSync(
      regression,
      [
        'model Regression {',
        '  dim N, D = 2',
        '  input x: float[N, D]',
        '  input y: float[N]',
        '  param w: [D] init normal(std = 0.001)',
        '  loss = mse(x @ w, y) + 1e-2 * l2(w)',
        '  train { data = "regression.json" }',
        '}',
      ].join('\n'),
    );
    const xs = Array.from({ length: 30 }, (_, i) => [Math.sin(i), Math.cos(i)]);
    const ys = xs.map(([a, b], i) => 3 * a - b + (i % 2 ? 0.5 : -0.5));
    writeFileSync(join(tmp, 'regression.json'), JSON.stringify({ x: xs, y: ys }));
    const mse = run(regression).by.initial_loss;
    expect(mse.details.expected).toBeCloseTo(ys.reduce((s, v) => s + v * v, 0) / ys.length, 12);
    expect(mse.status).toBe('ok');
  });

  it('prints one line per check, and a clear error for a bad model file', () => {
    const r = cli('doctor', repoModel('ravine.model'));
    expect(r.out).toMatch(/^doctor Ravine on no data/);
    expect(r.out).toMatch(/initial_loss: .*cannot tell what it should be/);
    expect(r.out).toMatch(/overfit_small_subset: not applicable: the model has no inputs/);
    const missing = cli('doctor', join(tmp, 'none.model'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no such file/);
  });
});
