/** Curvature from the command line: `gradus grad --hvp` and `gradus hessian`, against independent oracles. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { symmetricWithEigenvalues } from '@gradus/optim';
import { describe, expect, it } from 'vitest';
import { cli, repoModel } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'gradus-curvature-'));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/curvature/${name}`, import.meta.url));
const write = (name: string, text: string) => {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
};
const json = (...argv: string[]) => {
  const r = cli(...argv, '--json');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out);
};

describe('gradus grad --hvp', () => {
  it("gives Rosenbrock's exact Hessian times v", () => {
    // f = (x − 1)² + 100(y − x²)²: H = [[2 − 400(y − x²) + 800x², −400x], [−400x, 200]].
    const [x, y] = [-1.2, 1];
    const H = [
      [2 - 400 * (y - x * x) + 800 * x * x, -400 * x],
      [-400 * x, 200],
    ];
    const v = [0.3, -2];
    const out = json(
      'grad',
      repoModel('rosenbrock.model'),
      '--hvp',
      write('v.json', JSON.stringify({ p: v })),
    );
    H.forEach((row, i) => {
      expect(out.hvp.p[i]).toBeCloseTo(row[0] * v[0] + row[1] * v[1], 9);
    });
    expect(out.grads.p).toHaveLength(2);
  });

  it('matches central differences of the gradient on two_layer, over all params and over one', () => {
    // A point and a direction of two_layer's shapes, from a small deterministic generator.
    let state = 7;
    const rand = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31 - 0.5;
    };
    const shapes: Record<string, number> = { W1: 200, b1: 100, W2: 300, b2: 3 };
    const nested = (name: string, flat: number[]) =>
      name === 'W1' ? [flat.slice(0, 100), flat.slice(100)] : name === 'W2' ? chunk(flat, 3) : flat;
    const chunk = (a: number[], k: number) =>
      Array.from({ length: a.length / k }, (_, i) => a.slice(i * k, i * k + k));
    const p: Record<string, number[]> = {};
    const v: Record<string, number[]> = {};
    for (const [k, n] of Object.entries(shapes)) {
      p[k] = Array.from({ length: n }, rand);
      v[k] = Array.from({ length: n }, rand);
    }
    const file = (name: string, values: Record<string, number[]>) =>
      write(
        name,
        JSON.stringify(Object.fromEntries(Object.entries(values).map(([k, a]) => [k, nested(k, a)]))),
      );
    const model = repoModel('two_layer.model');
    const eps = 1e-6;
    const shifted = (sign: number, only?: string) =>
      json(
        'grad',
        model,
        '--params',
        file(
          `p${sign}${only ?? ''}.json`,
          Object.fromEntries(
            Object.entries(p).map(([k, a]) => [
              k,
              a.map((x, i) => x + (only && k !== only ? 0 : sign * eps * v[k][i])),
            ]),
          ),
        ),
      ).grads as Record<string, number[]>;
    for (const only of [undefined, 'W2']) {
      const direction = only ? { [only]: v[only] } : v;
      const out = json(
        'grad',
        model,
        '--params',
        file('p.json', p),
        '--hvp',
        file(`v${only ?? ''}.json`, direction),
      );
      const plus = shifted(1, only);
      const minus = shifted(-1, only);
      for (const k of Object.keys(shapes)) {
        out.hvp[k].forEach((h: number, i: number) => {
          const fd = (plus[k][i] - minus[k][i]) / (2 * eps);
          expect(Math.abs(h - fd)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(fd)));
        });
      }
    }
  });

  it('rejects a direction file naming an unknown param or a wrong shape', () => {
    const bad = cli('grad', repoModel('rosenbrock.model'), '--hvp', write('bad.json', '{"q": [1, 2]}'));
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/has no param 'q'[\s\S]*did you mean p\?/);
    const shape = cli(
      'grad',
      repoModel('rosenbrock.model'),
      '--hvp',
      write('shape.json', '{"p": [1, 2, 3]}'),
    );
    expect(shape.code).toBe(1);
    expect(shape.err).toMatch(/'p' has shape \[3\], but the model declares \[2\]/);
    expect(cli('grad', repoModel('rosenbrock.model'), '--hvp', join(tmp, 'none.json')).err).toMatch(
      /no such direction file/,
    );
  });
});

describe('gradus hessian', () => {
  it("gives a dense quadratic's eigenvalues to 1e-6 (here to rounding), κ and the learning rates", () => {
    const lambda = [40, 12.5, 7, 3, 1.25, 0.5];
    const A = symmetricWithEigenvalues(lambda, [0.3, -1.2, 0.8, 0.1, 0.5, -0.7]);
    const model = write(
      'quadratic6.model',
      `model Quadratic6 {\n  param x: [6] init [1, -1, 2, 0.5, -0.3, 0.2]\n  let A = ${JSON.stringify(A)}\n  loss = 0.5 * sum(x * (A @ x))\n}\n`,
    );
    const out = json('hessian', model, '--top', '6');
    out.eigenvalues.forEach((e: number, i: number) => {
      expect(Math.abs(e - lambda[i])).toBeLessThan(1e-6);
    });
    expect(out.complete).toBe(true);
    expect(out.lambda_min).toBeCloseTo(0.5, 9);
    expect(out.condition).toBeCloseTo(80, 7);
    expect(out.max_stable_lr).toBeCloseTo(2 / 40, 10);
    expect(out.optimal_lr).toBeCloseTo(2 / 40.5, 10);
    expect(out.rate).toBeCloseTo(79 / 81, 9);
    expect(out.bounds.every((b: number) => b < 1e-10)).toBe(true);
  });

  it('on a 400-param quadratic finds the top eigenvalues with far fewer than 400 products', () => {
    const lambda = Array.from({ length: 400 }, (_, i) => (i < 3 ? 1000 - 100 * i : 1 + ((i * 37) % 400)));
    const model = write(
      'diag400.model',
      `model Diag400 {\n  param x: [400] init ones\n  let lambda = ${JSON.stringify(lambda)}\n  loss = 0.5 * sum(lambda * x^2)\n}\n`,
    );
    // Well-separated top eigenvalues converge within a few dozen products; the crowded bottom of
    // the spectrum (1, 2, 3, ...) converges more slowly, and its bounds say how far it got.
    const out = json('hessian', model, '--top', '3', '--iterations', '60');
    expect(out.hvps).toBe(60);
    expect(out.complete).toBe(false);
    [1000, 900, 800].forEach((e, i) => {
      expect(Math.abs(out.eigenvalues[i] - e)).toBeLessThan(1e-6);
      expect(Math.abs(out.eigenvalues[i] - e)).toBeLessThanOrEqual(out.bounds[i] + 1e-9);
    });
    // Ritz values interlace: the reported λmin is never below the true one (1), and some true
    // eigenvalue lies within its bound.
    expect(out.lambda_min).toBeGreaterThanOrEqual(1 - 1e-9);
    const nearest = Math.min(...lambda.map((l) => Math.abs(l - out.lambda_min)));
    expect(nearest).toBeLessThanOrEqual(out.smallest_bounds[0]);
  });

  it("gives an MLP's extreme eigenvalues as PyTorch's dense eigen-decomposition does", () => {
    const want = JSON.parse(readFileSync(fixture('tanh_mlp_hessian.json'), 'utf8'));
    const out = json(
      'hessian',
      fixture('tanh_mlp.model'),
      '--params',
      fixture('tanh_mlp_params.json'),
      '--top',
      '4',
    );
    expect(out.loss).toBeCloseTo(want.loss, 12);
    expect(out.params).toBe(want.eigenvalues.length);
    const all: number[] = want.eigenvalues;
    out.eigenvalues.forEach((e: number, i: number) => {
      expect(Math.abs(e - all[i])).toBeLessThan(1e-9);
    });
    out.smallest.forEach((e: number, i: number) => {
      expect(Math.abs(e - all[all.length - 1 - i])).toBeLessThan(1e-9);
    });
    expect(out.definiteness).toBe('indefinite');
    expect(out.condition).toBeNull();
    expect(out.max_stable_lr).toBeCloseTo(2 / all[0], 9);
  });

  it('shows that L2 regularisation adds curvature: every eigenvalue rises by exactly 2λ', () => {
    // A linear softmax classifier without biases: its loss is flat along W → W + a·1ᵀ (adding the
    // same score to every class), so the unregularised Hessian is singular. λ·l2(W) adds 2λ·I.
    const model = (lambda: number) =>
      write(
        `softmax${lambda}.model`,
        [
          'model Linear {',
          '  dim N, D = 2, C = 3',
          '  input x: float[N, D]',
          '  input y: int[N]',
          '  param W: [D, C] init normal(std = 0.5)',
          `  loss = mean(cross_entropy(x @ W, y)) + ${lambda} * l2(W)`,
          '  train { data = spiral(classes = 3, points = 30, seed = 1) }',
          '}',
        ].join('\n'),
      );
    const plain = json('hessian', model(0), '--top', '6');
    const lambda = 0.01;
    const reg = json('hessian', model(lambda), '--top', '6');
    expect(plain.definiteness).toBe('singular');
    expect(plain.condition).toBeNull();
    expect(Math.abs(plain.lambda_min)).toBeLessThan(1e-12);
    expect(reg.definiteness).toBe('positive definite');
    expect(reg.lambda_min).toBeCloseTo(2 * lambda, 12);
    reg.eigenvalues.forEach((e: number, i: number) => {
      expect(e - plain.eigenvalues[i]).toBeCloseTo(2 * lambda, 12);
    });
    expect(reg.condition).toBeCloseTo(reg.lambda_max / (2 * lambda), 6);
    expect(reg.max_stable_lr).toBeLessThan(plain.max_stable_lr);
  });

  it('prints the lectures’ reading of the numbers, and clear errors for bad input', () => {
    const r = cli('hessian', repoModel('ravine.model'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/whole spectrum/);
    expect(r.out).toMatch(/λ1 +100 /);
    expect(r.out).toMatch(/condition number κ = λmax\/λmin = 50/);
    expect(r.out).toMatch(/max_stable_lr = 2\/λmax = 0\.02: .*diverges above it/);
    const noParams = write('none.model', 'model None {\n  input x: float[3]\n  loss = sum(x^2)\n}\n');
    const e = cli('hessian', noParams);
    expect(e.code).toBe(1);
    expect(e.err).toMatch(/E1301.*no params/);
    expect(cli('hessian', repoModel('ravine.model'), '--top', '0').err).toMatch(
      /expected an integer in \[1, /,
    );
  });
});
