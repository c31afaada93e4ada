import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initVariables } from '@gradus/autodiff';
import { loadModel } from '@gradus/dsl';
import { describe, expect, it } from 'vitest';
import { cli, repoModel } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'gradus-coordinate-'));
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!);
const steps = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => !l.eval);

describe('coordinate descent', () => {
  it('sparse coding: sweeps over H then W lower J every time until it settles', () => {
    const log = join(tmp, 'sc.jsonl');
    const r = cli('train', repoModel('sparse_coding.model'), '--log', log, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const losses = steps(log).map((s) => s.loss as number);
    expect(losses.length).toBeGreaterThan(10);
    for (let k = 1; k < losses.length; k++) expect(losses[k]).toBeLessThanOrEqual(losses[k - 1]);
    expect(losses.at(-1)!).toBeLessThan(0.25 * losses[0]);
    const res = lastJson(r.out);
    expect(res.metrics.fit).toBeLessThan(0.02);
    expect(res.metrics.sparsity).toBeGreaterThan(0.5);
  });

  it('one block at a time: with H alone, W stays where it started, and the reverse', () => {
    const model = readFileSync(repoModel('sparse_coding.model'), 'utf8');
    const only = (group: string, frozen: string) => {
      const file = join(tmp, `only-${group}.model`);
      writeFileSync(
        file,
        model
          .replace('groups = [[H], [W]]', `groups = [[${group}]]`)
          .replace(`init normal(std = ${frozen === 'H' ? '0.1' : '0.5'})`, (m) => `${m} frozen`)
          .replace('sweeps = 100', 'sweeps = 3')
          .replace('"data/', `"${repoModel('data/')}`),
      );
      const dir = join(tmp, `ck-${group}`);
      const r = cli('train', file, '--checkpoint', dir);
      expect(r.err).toBe('');
      return JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).variables;
    };
    const start = initVariables(loadModel(repoModel('sparse_coding.model')).lowered.graph, 0);
    const a = only('H', 'W');
    const b = only('W', 'H');
    expect(a.W.data).toEqual(Array.from(start.W.data));
    expect(a.H.data).not.toEqual(Array.from(start.H.data));
    expect(b.H.data).toEqual(Array.from(start.H.data));
    expect(b.W.data).not.toEqual(Array.from(start.W.data));
  });

  it('plain coordinate descent (one number at a time) on Rosenbrock: slow along the curved valley', () => {
    const r = cli(
      'train',
      repoModel('rosenbrock.model'),
      '--optimizer',
      'coordinate(inner = newton())',
      '--json',
    );
    expect(r.code).toBe(0);
    const res = lastJson(r.out);
    expect(res.loss).toBeLessThan(1e-5);
    // L-BFGS needs 38 iterations here; one coordinate at a time needs hundreds of sweeps.
    expect(res.steps).toBeGreaterThan(200);
  });

  it('names what is wrong with the groups or the inner optimiser', () => {
    const run = (opt: string) =>
      cli('train', repoModel('sparse_coding.model'), '--optimizer', opt, '--steps', '1');
    const cases: [string, RegExp][] = [
      [
        'coordinate(groups = [[H], [V]])',
        /group 2 names 'V', which is not a trained param.*\n.*did you mean/,
      ],
      ['coordinate(groups = [[H]])', /'W' is in no group/],
      ['coordinate(groups = [[H, W], [W]])', /'W' is in group 1 and again in group 2/],
      ['coordinate(groups = [[H], [W]], inner = adam())', /inner = adam\(\.\.\.\) cannot minimise a block/],
      ['coordinate()', /without groups takes one number at a time, and this model has 288/],
      ['coordinate(groups = [H, W])', /must be a list of groups of param names/],
    ];
    for (const [opt, message] of cases) {
      const r = run(opt);
      expect(r.code, opt).toBe(1);
      expect(r.err, opt).toMatch(message);
    }
  });
});
