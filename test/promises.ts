import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initVariables, interpret, type Tensor, toNested } from '@gradus/autodiff';
import { loadModel, randomInputs } from '@gradus/dsl';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

/**
 * The promise every lecture model makes: it checks, gradient-checks (the CPU backend against
 * central differences of the interpreter, and `gradus grad` against an independent finite
 * difference), agrees between the CPU backend and the interpreter, and trains to what its comment
 * says. One suite, run on the repository's own `models/` and, when it is there, on the promise
 * folder beside the repository (`test/promise.test.ts`), so the two cannot drift apart.
 */

const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!);

/** What training each model must reach, from its comment; a model not listed must train cleanly. */
const TRAINING_PROMISES: Record<string, { readonly says: string; readonly check: (file: string) => void }> = {
  'two_layer.model': {
    says: 'separates the spiral (≥ 95% accuracy)',
    check: (file) => {
      const r = cli('train', file, '--json');
      expect(r.code).toBe(0);
      const res = lastJson(r.out);
      expect(res.steps).toBe(2000);
      expect(res.metrics.accuracy).toBeGreaterThanOrEqual(0.95);
    },
  },
  'spiral_softmax.model': { says: 'a linear classifier cannot (accuracy near 50%)', check: nearChance },
  'spiral_svm.model': { says: 'a linear classifier cannot (accuracy near 50%)', check: nearChance },
  'bn_mlp.model': {
    says: 'separates the spiral (≥ 95% accuracy)',
    check: (file) => {
      const r = cli('train', file, '--json');
      expect(r.code).toBe(0);
      expect(lastJson(r.out).metrics.accuracy).toBeGreaterThanOrEqual(0.95);
    },
  },
  'rosenbrock.model': {
    says: 'ends within 1e-3 of its minimum (1, 1)',
    check: (file) => {
      const dir = join(mkdtempSync(join(tmpdir(), 'gradus-promise-')), 'ckpt');
      const r = cli('train', file, '--checkpoint', dir, '--json');
      expect(r.code).toBe(0);
      const { variables } = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
      const [p0, p1] = variables.p.data as number[];
      expect(Math.hypot(p0 - 1, p1 - 1)).toBeLessThan(1e-3);
    },
  },
  'ravine.model': {
    says: 'gradient descent at lr 0.015 < 2/100 converges, at 0.021 > 2/100 diverges',
    check: (file) => {
      const r = cli('train', file, '--json');
      expect(r.code).toBe(0);
      const res = lastJson(r.out);
      expect(res.steps).toBe(200);
      expect(res.loss).toBeLessThan(1e-3);
      const fast = cli('train', file, '--optimizer', 'sgd(lr = 0.021)', '--json');
      expect(fast.code).toBe(1);
      expect(fast.err).toMatch(/diverged/);
    },
  },
  'quadratic.model': {
    says: 'heavy-ball momentum converges, along the iterates computed independently',
    check: (file) => {
      const trace = join(mkdtempSync(join(tmpdir(), 'gradus-promise-')), 'trace.jsonl');
      const r = cli('train', file, '--trace', trace, '--json');
      expect(r.code).toBe(0);
      expect(lastJson(r.out).loss).toBeLessThan(1e-10);
      // PyTorch's momentum: v ← ρv + g, x ← x − lr·v, with g = λ ⊙ x for f = ½ Σ λ x².
      const lambda = [2, 100];
      let x = [4, 0.5];
      let v = [0, 0];
      const lines = readFileSync(trace, 'utf8').trim().split('\n');
      lines.forEach((text, k) => {
        const line = JSON.parse(text);
        const loss = 0.5 * (lambda[0] * x[0] ** 2 + lambda[1] * x[1] ** 2);
        v = v.map((vi, i) => 0.9 * vi + lambda[i] * x[i]);
        x = x.map((xi, i) => xi - 0.01 * v[i]);
        expect(line.step).toBe(k + 1);
        expect(Math.abs(line.loss - loss)).toBeLessThan(1e-12 * Math.max(1, loss));
        expect(Math.abs(line.params.x[0] - x[0])).toBeLessThan(1e-12);
        expect(Math.abs(line.params.x[1] - x[1])).toBeLessThan(1e-12);
      });
      expect(Math.hypot(x[0], x[1])).toBeLessThan(1e-5);
    },
  },
};

/** Models of this repository beyond the lectures', with what their comments promise. */
const REPOSITORY_PROMISES: Record<string, { readonly says: string; readonly check: (file: string) => void }> =
  {
    'maxout_mlp.model': {
      says: 'separates the spiral with maxout units (≥ 95% accuracy)',
      check: accurate(0.95),
    },
    'arm_segments.model': {
      says: 'tells the arms from walks along them (≥ 95% accuracy)',
      check: accurate(0.95),
    },
    'sparse_coding.model': {
      says: 'coordinate descent lowers J every sweep; fit < 2% with over half the codes (near) zero',
      check: (file) => {
        const log = join(mkdtempSync(join(tmpdir(), 'gradus-promise-')), 'log.jsonl');
        const r = cli('train', file, '--log', log, '--json');
        expect(r.code).toBe(0);
        const losses = readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
          .filter((l) => !l.eval)
          .map((l) => l.loss as number);
        for (let k = 1; k < losses.length; k++) expect(losses[k]).toBeLessThanOrEqual(losses[k - 1]);
        const { metrics } = lastJson(r.out);
        expect(metrics.fit).toBeLessThan(0.02);
        expect(metrics.sparsity).toBeGreaterThan(0.5);
      },
    },
  };

function accurate(least: number): (file: string) => void {
  return (file) => {
    const r = cli('train', file, '--json');
    expect(r.code).toBe(0);
    expect(lastJson(r.out).metrics.accuracy).toBeGreaterThanOrEqual(least);
  };
}

function nearChance(file: string): void {
  const r = cli('train', file, '--json');
  expect(r.code).toBe(0);
  const { metrics } = lastJson(r.out);
  expect(metrics.accuracy).toBeGreaterThan(0.4);
  expect(metrics.accuracy).toBeLessThan(0.6);
}

/** The lecture models the repository keeps; a promise folder must hold at least these. */
export const LECTURE_MODELS = Object.keys(TRAINING_PROMISES).sort();

/** Registers the promise suite for every `.model` file of `dir`. */
export function describePromises(dir: string, title: string): void {
  const models = readdirSync(dir)
    .filter((f) => f.endsWith('.model'))
    .sort();
  const path = (m: string) => join(dir, m);
  const tmp = mkdtempSync(join(tmpdir(), 'gradus-promise-'));

  describe(title, () => {
    it('hold every lecture model', () => {
      expect(models).toEqual(expect.arrayContaining(LECTURE_MODELS));
    });

    it('all check', () => {
      const r = cli('check', ...models.map(path));
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out.split('\n').filter((l) => l.startsWith('ok: '))).toHaveLength(models.length);
    });

    for (const m of models) {
      it(`${m}: gradcheck passes`, () => {
        const r = cli('gradcheck', path(m), '--json');
        expect(r.err).toBe('');
        const report = lastJson(r.out);
        expect(report.ok).toBe(true);
        expect(r.code).toBe(0);
        for (const p of Object.values(report.params) as { maxRelError: number }[])
          expect(p.maxRelError).toBeLessThan(1e-5);
      });

      it(`${m}: grad agrees with central differences of the interpreter's loss`, () => {
        const { lowered } = loadModel(path(m));
        const { graph, model } = lowered;
        // A small data file of the declared shapes (labels within the class count), fed to the CLI
        // and, independently, to the interpreter.
        const data = randomInputs(graph, model, 5, 11);
        const dataFile = join(tmp, `${m}.data.json`);
        writeFileSync(
          dataFile,
          JSON.stringify(Object.fromEntries(Object.entries(data).map(([k, t]) => [k, toNested(t)]))),
        );
        const args = model.inputs.length > 0 ? ['--data', dataFile] : [];
        const r = cli('grad', path(m), '--json', ...args);
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        const { loss, grads } = JSON.parse(r.out.trim());
        const dims: Record<string, number> = model.inputs.some((i) => i.shape.includes('N')) ? { N: 5 } : {};
        const feeds: Record<string, Tensor> = {
          ...initVariables(graph, model.train.seed ?? 0, dims),
          ...data,
        };
        const lossAt = (f: Record<string, Tensor>) =>
          interpret([graph.loss()!], { feeds: { ...f, $step: 1 } })[0].data[0];
        expect(lossAt(feeds)).toBeCloseTo(loss, 12);
        for (const p of model.params) {
          const eps = 1e-6;
          const n = feeds[p.name].data.length;
          for (const j of [0, n - 1]) {
            const shift = (d: number) => {
              const values = Float64Array.from(feeds[p.name].data);
              values[j] += d;
              return lossAt({ ...feeds, [p.name]: { ...feeds[p.name], data: values } });
            };
            const numeric = (shift(eps) - shift(-eps)) / (2 * eps);
            expect(Math.abs(grads[p.name][j] - numeric)).toBeLessThan(1e-5 * Math.max(1, Math.abs(numeric)));
          }
        }
      });

      it(`${m}: gradus grad --backend cpu equals --backend interpreter (f64)`, () => {
        const a = JSON.parse(cli('grad', path(m), '--json', '--backend', 'cpu').out);
        const b = JSON.parse(cli('grad', path(m), '--json', '--backend', 'interpreter').out);
        expect(Math.abs(a.loss - b.loss)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b.loss)));
        for (const [name, values] of Object.entries(b.grads) as [string, number[]][]) {
          values.forEach((v, i) => {
            expect(Math.abs(a.grads[name][i] - v)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v)));
          });
        }
      });

      const promise = Object.hasOwn(TRAINING_PROMISES, m)
        ? TRAINING_PROMISES[m]
        : Object.hasOwn(REPOSITORY_PROMISES, m)
          ? REPOSITORY_PROMISES[m]
          : undefined;
      if (promise) it(`${m}: ${promise.says}`, () => promise.check(path(m)));
      else
        it(`${m}: trains 20 steps to a finite loss`, () => {
          const r = cli('train', path(m), '--steps', '20', '--json');
          expect(r.code).toBe(0);
          expect(Number.isFinite(lastJson(r.out).loss)).toBe(true);
        });
    }
  });
}
