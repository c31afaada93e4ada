import { emaSmooth } from '@gradus/optim';
import { describe, expect, it } from 'vitest';
import { type ComparedRun, compareCharts, runLabels } from './compare.js';

const run = (dir: string, settings: Record<string, unknown>, losses: number[] = [3, 2, 1]): ComparedRun => ({
  dir,
  settings,
  steps: losses.map((loss, i) => ({ step: i + 1, loss })),
  evals: [{ split: 'validation', values: { step: losses.length, loss: losses.at(-1) as number } }],
});

describe('runLabels', () => {
  it('names what differs: an optimiser argument, a setting, the optimiser', () => {
    const base = { model: 'M', file: '/a.model', optimizer: 'sgd(lr = 0.01)', batch: 32, seed: 0 };
    expect(runLabels([run('r/1', base), run('r/2', { ...base, optimizer: 'sgd(lr = 0.02)' })])).toEqual([
      'lr=0.01',
      'lr=0.02',
    ]);
    expect(runLabels([run('r/1', base), run('r/2', { ...base, batch: 64, file: '/b.model' })])).toEqual([
      'batch=32',
      'batch=64',
    ]);
    expect(
      runLabels([run('r/1', base), run('r/2', { ...base, optimizer: 'momentum(lr = 0.01, rho = 0.9)' })]),
    ).toEqual(['sgd', 'momentum rho=0.9']);
    // Nothing differs: the directories tell them apart.
    expect(runLabels([run('r/1', base), run('r/2', base)])).toEqual(['1', '2']);
  });
});

describe('emaSmooth, as compare draws it', () => {
  it('is debiased (a constant stays constant) and follows a step', () => {
    expect(emaSmooth([5, 5, 5]).map((v) => Number(v.toFixed(12)))).toEqual([5, 5, 5]);
    const s = emaSmooth([0, 0, 0, 10, 10, 10, 10, 10, 10, 10], 0.5);
    for (let i = 4; i < s.length; i++) expect(s[i]).toBeGreaterThan(s[i - 1]);
    expect(s.at(-1)).toBeLessThan(10);
  });
});

describe('compareCharts', () => {
  it('draws one chart per training quantity and per evaluated quantity, every run in each', () => {
    const a = run('r/1', { optimizer: 'sgd(lr = 0.01)' });
    const b = run('r/2', { optimizer: 'sgd(lr = 0.02)' }, [4, 1, 0.5]);
    const charts = compareCharts([a, b], runLabels([a, b]));
    expect(charts.map((c) => c.file)).toEqual(['loss.svg', 'eval_loss.svg']);
    const rows = (charts[0].lite as { data: { values: { run: string }[] } }).data.values;
    expect(new Set(rows.map((r) => r.run))).toEqual(new Set(['lr=0.01', 'lr=0.02']));
  });
});
