import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliAsync, repoModel } from './helpers.js';

/**
 * `gradus search` end to end on the lectures' ravine f(x) = x1² + 50 x2² (λmax = 100, so plain
 * gradient descent converges only for lr < 2/λmax = 0.02): every trial above it is marked
 * diverged, the best lr is below it, and the search is the same whatever the number of workers.
 */

const tmp = mkdtempSync(join(tmpdir(), 'gradus-search-'));
let n = 0;
const fresh = (name: string) => join(tmp, `${++n}-${name}`);

const gradus = cliAsync;

const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1) as string);
const ravine = repoModel('ravine.model');
const LR_SPACE = 'lr=loguniform(1e-4, 1e-1)';

interface Trial {
  params: { lr: number };
  loss: number | null;
  status: string;
  run: string;
  message?: string;
}

describe('gradus search', () => {
  it('on the ravine marks every lr above 2/λmax diverged and picks one below it, whatever the workers', async () => {
    const dir = fresh('ravine');
    const two = await gradus(
      'search',
      ravine,
      '--space',
      LR_SPACE,
      '--trials',
      '16',
      '--seed',
      '5',
      '--workers',
      '2',
      '--dir',
      dir,
      '--json',
    );
    expect(two.err).toBe('');
    expect(two.code).toBe(0);
    const result = lastJson(two.out) as { trials: Trial[]; best: { params: { lr: number }; flags: string } };
    expect(result.trials).toHaveLength(16);
    const above = result.trials.filter((t) => t.params.lr > 0.02);
    const below = result.trials.filter((t) => t.params.lr < 0.02);
    expect(above.length).toBeGreaterThan(0);
    expect(below.length).toBeGreaterThan(0);
    for (const t of above) expect(t.status, `lr ${t.params.lr}`).toBe('diverged');
    for (const t of below) expect(t.status, `lr ${t.params.lr}`).toBe('ok');
    expect(result.best.params.lr).toBeLessThan(0.02);
    // Sorted best first; the best settings are flags ready to paste.
    const losses = result.trials.filter((t) => t.loss !== null).map((t) => t.loss as number);
    expect(losses).toEqual([...losses].sort((a, b) => a - b));
    expect(result.best.flags).toBe(`--optimizer 'sgd(lr = ${result.best.params.lr})'`);
    // Each trial is a whole run directory; the search keeps one JSON line per trial and the charts.
    for (const t of result.trials)
      for (const f of ['checkpoint.json', 'log.jsonl']) expect(existsSync(join(t.run, f)), t.run).toBe(true);
    expect(readFileSync(join(dir, 'trials.jsonl'), 'utf8').trim().split('\n')).toHaveLength(16);
    for (const f of ['objective_vs_lr.svg', 'parallel.svg'])
      expect(readFileSync(join(dir, f), 'utf8')).toMatch(/^<svg/);

    const one = await gradus(
      'search',
      ravine,
      '--space',
      LR_SPACE,
      '--trials',
      '16',
      '--seed',
      '5',
      '--workers',
      '1',
      '--dir',
      fresh('ravine1'),
      '--json',
    );
    const again = lastJson(one.out) as { trials: Trial[] };
    const strip = (ts: Trial[]) => ts.map((t) => ({ params: t.params, loss: t.loss, status: t.status }));
    expect(strip(again.trials)).toEqual(strip(result.trials));
  });

  it('resumes an interrupted search with only the trials it had not run', async () => {
    const dir = fresh('resume');
    const args = [
      'search',
      ravine,
      '--space',
      LR_SPACE,
      '--trials',
      '4',
      '--seed',
      '2',
      '--workers',
      '2',
      '--dir',
      dir,
      '--json',
    ];
    const full = lastJson((await gradus(...args)).out) as { trials: Trial[] };
    // As if the search had been stopped after two trials.
    const lines = readFileSync(join(dir, 'trials.jsonl'), 'utf8').trim().split('\n');
    writeFileSync(join(dir, 'trials.jsonl'), `${lines.slice(0, 2).join('\n')}\n`);
    const resumed = await gradus(...args, '--resume');
    expect(resumed.code).toBe(0);
    const again = lastJson(resumed.out) as { trials: Trial[] };
    expect(again.trials.map((t) => [t.params.lr, t.loss])).toEqual(
      full.trials.map((t) => [t.params.lr, t.loss]),
    );
    expect(readFileSync(join(dir, 'trials.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4);
    // A resumed search must be the same search.
    const other = await gradus(
      'search',
      ravine,
      '--space',
      LR_SPACE,
      '--trials',
      '5',
      '--seed',
      '2',
      '--dir',
      dir,
      '--resume',
    );
    expect(other.code).toBe(1);
    expect(other.err).toMatch(/trials differs from the search/);
  });

  it('refines around the best trials of a coarse round', async () => {
    const dir = fresh('refine');
    const r = await gradus(
      'search',
      ravine,
      '--space',
      LR_SPACE,
      '--trials',
      '6',
      '--seed',
      '1',
      '--refine',
      '--dir',
      dir,
      '--json',
    );
    expect(r.code).toBe(0);
    const lines = readFileSync(join(dir, 'trials.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { round: number; params: { lr: number } });
    const fine = lines.filter((t) => t.round === 1).map((t) => t.params.lr);
    const coarse = lines.filter((t) => t.round === 0).map((t) => t.params.lr);
    expect(fine).toHaveLength(6);
    expect(Math.log(Math.max(...fine) / Math.min(...fine))).toBeLessThan(Math.log(1e-1 / 1e-4));
    expect(coarse).toHaveLength(6);
  });

  it('names the problem with a bad space, a bad name or an existing directory, before running anything', async () => {
    const cases: [string[], RegExp][] = [
      [['--space', 'lr=loguniform(0, 1)'], /loguniform needs positive bounds/],
      [['--space', 'lamda=uniform(0, 1)'], /no hyper-parameter 'lamda'/],
      [['--space', 'lr'], /expected NAME=DIST/],
      [[], /--space/],
      [['--space', LR_SPACE, '--trials', '0'], /--trials/],
    ];
    for (const [flags, message] of cases) {
      const dir = fresh('bad');
      const r = await gradus('search', ravine, ...flags, '--dir', dir);
      expect(r.code, flags.join(' ')).toBe(1);
      expect(r.err, flags.join(' ')).toMatch(message);
      expect(existsSync(join(dir, 'search.json'))).toBe(false);
    }
    const used = fresh('used');
    await gradus('search', ravine, '--space', LR_SPACE, '--trials', '1', '--dir', used);
    const r = await gradus('search', ravine, '--space', LR_SPACE, '--trials', '1', '--dir', used);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/already exists/);
  });
});
