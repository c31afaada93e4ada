/**
 * Wrong numbers that used to pass silently: gradcheck honours the tolerances it is given and
 * marks every param above them; ties at max/min are kinks; the gradient of 0^x is 0 (not NaN);
 * a loss that uses N but no input still takes N from the data; an index past the run-time end
 * of a symbolic axis is a located error when the data arrives, not a NaN or a zero.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph, grad, interpret } from '@gradus/autodiff';
import { cpu } from '@gradus/backends';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'gradus-numerics-'));
});
const file = (name: string, text: string) => {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
};

describe('gradcheck tolerances', () => {
  const model = () =>
    file(
      'two.model',
      'model G {\n  param a: [3] init [1, 2, 3]\n  param b: [2] init [0.5, 0.25]\n  loss = sum(exp(a)^3) + sum(exp(b)^3)\n}\n',
    );

  it('a tolerance tighter than the errors fails, marking every param above it', () => {
    const r = cli('gradcheck', model(), '--tol', '1e-12');
    expect(r.code).toBe(1);
    expect(r.out).toContain('tolerance: relative 1e-12, absolute 1e-12');
    expect(r.out).toMatch(/^a .*FAIL$/m);
    expect(r.out).toMatch(/^b .*FAIL$/m);
    expect(r.out).toMatch(/FAILED: a, b above the tolerance; worst: [ab], element/);
  });

  it('--atol lets elements that close pass; --json reports both tolerances and each param', () => {
    const loose = cli('gradcheck', model(), '--tol', '1e-12', '--atol', '1e-4');
    expect(loose.code).toBe(0);
    expect(loose.out).toContain('absolute 0.0001');
    const json = JSON.parse(cli('gradcheck', model(), '--tol', '1e-12', '--json').out);
    expect(json).toMatchObject({ ok: false, rtol: 1e-12, atol: 1e-12 });
    expect(json.params.a.ok).toBe(false);
    expect(json.params.b.ok).toBe(false);
    expect(json.params.a.maxAbsError).toBeGreaterThan(1e-12);
  });

  it('only the params above the tolerance are marked', () => {
    const path = file(
      'mixed.model',
      'model G {\n  param a: [3] init [1, 2, 3]\n  param b: [2] init [1, 2]\n  loss = sum(b^2) + 1e-6 * sum(a^2)\n}\n',
    );
    // a's gradient is tiny, so the rounding of the loss is a large part of its difference quotient.
    const r = cli('gradcheck', path, '--tol', '1e-6', '--atol', '1e-13');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^a .*FAIL$/m);
    expect(r.out).toMatch(/^b .* ok$/m);
    expect(r.out).toMatch(/FAILED: a above the tolerance; worst: a, element/);
  });

  it('ties at max and min are kinks, not compared; a stabilising max is not', () => {
    const path = file(
      'ties.model',
      'model T {\n  param w: [2, 3] init [[1, 1, 0.5], [2, 0, 2]]\n  param v: [3] init [1, 5, 2]\n' +
        '  loss = sum(max(w, axis = 1)) + sum(min(v, axis = 0) * v) + sum(maximum(w[0], v)) + sum(w^2)\n}\n',
    );
    const json = JSON.parse(cli('gradcheck', path, '--all', '--json').out);
    expect(json.ok).toBe(true);
    // w[0,0] and w[0,1] tie in row 0's max, w[1,0] and w[1,2] in row 1's; w[0,0] ties v[0] in maximum.
    expect(json.params.w.kinks).toBe(4);
    expect(json.params.v.kinks).toBe(1);
    const smooth = file(
      'smooth.model',
      'model S {\n  param z: [3] init [0, 0, 0]\n  loss = sum(softmax(z) * [1, 2, 3])\n}\n',
    );
    expect(JSON.parse(cli('gradcheck', smooth, '--all', '--json').out).params.z.kinks).toBe(0);
  });
});

describe('the gradient of 0^x', () => {
  it('is 0 for x > 0, on the interpreter and the cpu backend, as in PyTorch', () => {
    const g = new Graph({ floatDtype: 'f64' });
    const x = g.input('x', [3]);
    const base = g.input('a', [3]);
    const loss = base.pow(x).sum();
    const [gx, ga] = grad(loss, [x, base]);
    const feeds = { x: [1, 2, 0.5], a: [0, 0, 2] };
    const [vx, va] = interpret([gx.node, ga.node], { feeds });
    expect(Array.from(vx.data)).toEqual([0, 0, Math.sqrt(2) * Math.log(2)]);
    expect(Array.from(va.data)).toEqual([1, 0, 0.5 / Math.sqrt(2)]);
    g.output('gx', gx);
    const out = cpu.compile(g, { dtype: 'f64', outputs: ['gx'] }).run(feeds);
    expect(Array.from(out.gx.data)).toEqual(Array.from(vx.data));
  });

  it('grad on a model prints 0, and gradcheck agrees', () => {
    const path = file(
      'zpow.model',
      'model Z {\n  param x: [2] init [1, 2]\n  loss = sum(0 ^ x) + sum(x^2)\n}\n',
    );
    const r = cli('grad', path, '--json');
    expect(JSON.parse(r.out).grads.x).toEqual([2, 4]);
    expect(cli('gradcheck', path).code).toBe(0);
  });
});

describe('a loss that uses a dim but no input', () => {
  const model = (loss: string) =>
    `model NO {\n  dim N\n  input x: float[N, 2]\n  param w: [2] init [1, 2]\n  let e = N\n  loss = ${loss}\n` +
    '  train {\n    data = "d.json"\n    optimizer = sgd(lr = 0.01)\n    steps = 2\n  }\n}\n';
  const data = () =>
    file(
      'd.json',
      JSON.stringify({
        x: [
          [1, 2],
          [3, 4],
          [5, 6],
          [7, 8],
        ],
      }),
    );

  it('takes N from the data in grad, gradcheck and train, on every evaluator', () => {
    data();
    const path = file('nonly.model', model('sum(w^2) * e'));
    for (const backend of ['cpu', 'interpreter']) {
      const r = cli('grad', path, '--json', '--backend', backend);
      expect(r.err).toBe('');
      expect(JSON.parse(r.out)).toEqual({ loss: 20, grads: { w: [8, 16] } });
      expect(cli('gradcheck', path, '--backend', backend).code).toBe(0);
    }
    const t = cli('train', path, '--json');
    expect(t.code).toBe(0);
    expect(JSON.parse(t.out.trim().split('\n').at(-1)!).steps).toBe(2);
  });

  it('also through a mean over N and a dim expression', () => {
    data();
    const path = file('nmean.model', model('sum(w^2) / (N * 2)'));
    expect(JSON.parse(cli('grad', path, '--json').out).loss).toBe(5 / 8);
  });
});

describe('an index past the run-time end of a symbolic axis', () => {
  const model = (expr: string) =>
    `model I {\n  dim N\n  input x: float[N, 2]\n  param w: [2] init [1, 1]\n  loss = sum(${expr} * w)\n` +
    '  train {\n    data = "four.json"\n    optimizer = sgd(lr = 0.1)\n    steps = 2\n  }\n}\n';

  it.each([
    ['x[7, 0]', 'range 7:8 is outside axis 0 of size 4'],
    ['x[4]', 'range 4:5 is outside axis 0 of size 4'],
    ['x[5:6, 1]', 'range 5:6 is outside axis 0 of size 4'],
  ])('%s on 4 rows is E0262 at the index, in train, grad and gradcheck', (expr, words) => {
    file(
      'four.json',
      JSON.stringify({
        x: [
          [1, 2],
          [3, 4],
          [5, 6],
          [7, 8],
        ],
      }),
    );
    const text = model(expr);
    const path = file('idx.model', text);
    for (const argv of [['train'], ['grad'], ['grad', '--backend', 'interpreter'], ['gradcheck']]) {
      const r = cli(...argv, path);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err).toContain('error[E0262]');
      expect(r.err).toContain('with N = 4');
      expect(r.err).toContain(words);
      const line = text.split('\n').findIndex((l) => l.includes(expr)) + 1;
      expect(r.err).toContain(`idx.model:${line}:${text.split('\n')[line - 1].indexOf(expr) + 1}:`);
    }
  });

  it('an index inside the data is fine', () => {
    file(
      'four.json',
      JSON.stringify({
        x: [
          [1, 2],
          [3, 4],
          [5, 6],
          [7, 8],
        ],
      }),
    );
    const r = cli('grad', file('ok.model', model('x[3, 0]')), '--json');
    expect(JSON.parse(r.out).loss).toBe(14);
  });
});
