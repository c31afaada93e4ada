import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromJSON, initVariables, interpret, validateGraph } from '@gradus/autodiff';
import { loadModel, randomInputs } from '@gradus/dsl';
import { describe, expect, it } from 'vitest';
import { cli, repoModel, repoModels } from './helpers.js';

const models = repoModels();
const tmp = mkdtempSync(join(tmpdir(), 'gradus-cli-'));

describe('the CPU backend and the reference interpreter', () => {
  it('gradcheck checks the CPU backend by default and the interpreter on request', () => {
    expect(cli('gradcheck', repoModel('rosenbrock.model')).out).toMatch(
      /analytic gradients on the cpu backend/,
    );
    const r = cli('gradcheck', repoModel('rosenbrock.model'), '--backend', 'interpreter');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/on the interpreter backend/);
  });

  it('--emit js prints the generated function for a batch size, and which backend --backend cpu uses', () => {
    const r = cli('compile', repoModel('two_layer.model'), '--emit', 'js', '--batch', '8');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\/\/ --backend cpu runs this graph as wasm: .*\n'use strict';/);
    expect(r.out).toMatch(/function mm_/);
  });

  it('--emit wasm lists the WebAssembly kernels; a tiny graph runs as JavaScript', () => {
    const r = cli('compile', repoModel('two_layer.model'), '--emit', 'wasm', '--batch', '8');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\/\/ --backend cpu runs this graph as wasm/);
    expect(r.out).toMatch(/k\d+: MatMul → b\d+ \[8, 100\] gemm 8×100×2 nn/);
    const tiny = cli('compile', repoModel('rosenbrock.model'), '--emit', 'wasm');
    expect(tiny.out).toMatch(/^\/\/ --backend cpu runs this graph as js: it is tiny/);
  });
});

describe('gradus grad at a given point', () => {
  it('uses --params and --data, and the ravine gradient is (2x, 100y)', () => {
    const params = join(tmp, 'p.json');
    writeFileSync(params, JSON.stringify({ x: [3, -2] }));
    const r = cli('grad', repoModel('ravine.model'), '--params', params, '--json');
    expect(r.code).toBe(0);
    const { loss, grads } = JSON.parse(r.out);
    expect(loss).toBeCloseTo(9 + 50 * 4, 12);
    expect(grads.x).toEqual([6, -200]);
  });

  it('two_layer on a tiny given batch', () => {
    const data = join(tmp, 'd.json');
    writeFileSync(
      data,
      JSON.stringify({
        x: [
          [0.5, -0.25],
          [0.1, 0.9],
        ],
        y: [2, 0],
      }),
    );
    const r = cli('grad', repoModel('two_layer.model'), '--data', data, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const { grads } = JSON.parse(r.out);
    expect(grads.W1).toHaveLength(200);
    expect(grads.b2).toHaveLength(3);
    // Softmax cross-entropy: the gradient wrt b2 sums to zero (each row of softmax − onehot does).
    expect(Math.abs(grads.b2.reduce((a: number, b: number) => a + b, 0))).toBeLessThan(1e-12);
  });
});

describe('bad input gets a clear error and exit 1, never a stack trace', () => {
  const expectClean = (r: { code: number; err: string }, pattern: RegExp) => {
    expect(r.code).toBe(1);
    expect(r.err).toMatch(pattern);
    expect(r.err).not.toMatch(/\n\s+at /);
  };
  it('missing model file', () => expectClean(cli('check', join(tmp, 'nope.model')), /no such file/));
  it('a directory', () => expectClean(cli('grad', tmp), /is a directory/));
  it('missing params file', () =>
    expectClean(
      cli('grad', repoModel('ravine.model'), '--params', join(tmp, 'none.json')),
      /no such params file/,
    ));
  it('unreadable JSON', () => {
    const f = join(tmp, 'bad.json');
    writeFileSync(f, '{ "x": [1, 2');
    expectClean(cli('grad', repoModel('ravine.model'), '--params', f), /not valid JSON/);
  });
  it('unknown param name, with a suggestion', () => {
    const f = join(tmp, 'unknown.json');
    writeFileSync(f, JSON.stringify({ xx: [1, 2] }));
    expectClean(
      cli('grad', repoModel('ravine.model'), '--params', f),
      /no param 'xx'[\s\S]*did you mean x\?/,
    );
  });
  it('param of the wrong shape', () => {
    const f = join(tmp, 'shape.json');
    writeFileSync(f, JSON.stringify({ x: [1, 2, 3] }));
    expectClean(
      cli('grad', repoModel('ravine.model'), '--params', f),
      /'x' has shape \[3\], but the model declares \[2\]/,
    );
  });
  it('data whose shapes do not match the inputs', () => {
    const f = join(tmp, 'data-shape.json');
    writeFileSync(f, JSON.stringify({ x: [[1, 2, 3]], y: [0] }));
    expectClean(
      cli('grad', repoModel('two_layer.model'), '--data', f),
      /'x' has shape \[1, 3\], but the model declares \[N, D\] = \[N, 2\]/,
    );
  });
  it('inconsistent batch sizes', () => {
    const f = join(tmp, 'data-n.json');
    writeFileSync(f, JSON.stringify({ x: [[1, 2]], y: [0, 1] }));
    expectClean(cli('grad', repoModel('two_layer.model'), '--data', f), /'y' has 2 along N, but 'x' has 1/);
  });
  it('float labels in data', () => {
    const f = join(tmp, 'labels.json');
    writeFileSync(f, JSON.stringify({ x: [[1, 2]], y: [0.5] }));
    expectClean(
      cli('grad', repoModel('two_layer.model'), '--data', f),
      /declared int but holds non-integer values/,
    );
  });
  it('NaN in data', () => {
    const f = join(tmp, 'nan.json');
    writeFileSync(f, '{ "x": [[1, 2]], "y": ["a"] }');
    expectClean(cli('grad', repoModel('two_layer.model'), '--data', f), /not a number/);
  });
  it('a malformed model reports diagnostics with a caret', () => {
    const f = join(tmp, 'broken.model');
    writeFileSync(f, 'model M {\n  param w: [3] init zeros\n  loss = sum(w ^)\n}\n');
    const r = cli('check', f);
    expectClean(r, /broken\.model:3:\d+: error\[E\d{4}\]/);
    expect(r.err).toMatch(/\^/);
  });
  it('a binary or huge file given as a model', () => {
    const bin = join(tmp, 'binary.model');
    writeFileSync(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]));
    expectClean(cli('check', bin), /is a binary file, not a \.model file/);
    const big = join(tmp, 'big.model');
    writeFileSync(big, '# x\n'.repeat(400_000));
    expectClean(cli('check', big), /a \.model file is text of at most/);
  });
  it('an unwritable log or trace', () => {
    expectClean(
      cli('train', repoModel('ravine.model'), '--log', join(tmp, 'missing-dir', 'log.jsonl')),
      /cannot write .*log\.jsonl: ENOENT/,
    );
    expectClean(
      cli('train', repoModel('ravine.model'), '--trace', join(tmp, 'missing-dir', 't.jsonl')),
      /cannot write .*t\.jsonl: ENOENT/,
    );
  });
  it('a bad flag value', () => expectClean(cli('grad', repoModel('ravine.model'), '--dtype', 'f16'), /f16/));
  it('an unknown command', () => expectClean(cli('trian', repoModel('ravine.model')), /unknown command/));
});

describe('help and version', () => {
  it('--version', () => {
    const r = cli('--version');
    expect(r.code).toBe(0);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    // The version the CLI reports (and search workers compare) is the published package's.
    const pkg = JSON.parse(
      readFileSync(fileURLToPath(new URL('../packages/gradus/package.json', import.meta.url)), 'utf8'),
    );
    expect(r.out.trim()).toBe(pkg.version);
  });
  for (const cmd of ['check', 'grad', 'gradcheck']) {
    it(`${cmd} --help`, () => {
      const r = cli(cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/Usage: gradus/);
    });
  }
});

describe('gradus compile', () => {
  for (const m of models) {
    it(`${m}: --emit ir is a lossless graph with the loss and every gradient`, () => {
      const out = join(tmp, `${m}.ir.json`);
      const r = cli('compile', repoModel(m), '--emit', 'ir', '-o', out);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const g = fromJSON(readFileSync(out, 'utf8'));
      expect(validateGraph(g)).toEqual([]);
      const { lowered } = loadModel(repoModel(m));
      expect([...g.outputs.keys()].sort()).toEqual(
        [...lowered.graph.outputs.keys(), ...lowered.model.params.map((p) => `grad.${p.name}`)].sort(),
      );
      // Same loss as the model compiled directly, on the same point.
      const data = randomInputs(lowered.graph, lowered.model, 3, 5);
      const dims: Record<string, number> = lowered.model.inputs.some((i) => i.shape.includes('N'))
        ? { N: 3 }
        : {};
      const feeds = { ...initVariables(lowered.graph, 1, dims), ...data, $step: 1 };
      const a = interpret([g.loss()!], { feeds })[0].data[0];
      const b = interpret([lowered.graph.loss()!], { feeds })[0].data[0];
      expect(a).toBeCloseTo(b, 12);
    });
  }

  it('--emit text shows one line per node and the named results', () => {
    const r = cli('compile', repoModel('ravine.model'), '--emit', 'text');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^%0: f64\[2\] = Variable/m);
    expect(r.out).toMatch(/^loss loss = %\d+$/m);
    expect(r.out).toMatch(/^output grad\.x = %\d+$/m);
  });

  it('an unknown --emit kind is a clear error', () => {
    const r = cli('compile', repoModel('ravine.model'), '--emit', 'wat');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/wat/);
  });
});

describe('the examples', () => {
  const dir = fileURLToPath(new URL('../examples/', import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.model'));
  it('include the MNIST model of the README', () => {
    expect(files).toContain('mnist_mlp.model');
  });
  for (const f of files) {
    it(`${f} checks and compiles`, () => {
      expect(cli('check', join(dir, f)).code).toBe(0);
      expect(cli('compile', join(dir, f), '--emit', 'text').code).toBe(0);
    });
  }
});

describe('gradus schedule, eval and predict', () => {
  it('schedule --json gives one rate per step: linear warmup, then cosine decay', () => {
    const r = cli('schedule', repoModel('two_layer.model'), '--json');
    expect(r.code).toBe(0);
    const { lr } = JSON.parse(r.out);
    expect(lr).toHaveLength(2000); // 400 epochs × ⌈300 / 64⌉ = 5 batches
    // Step k (1-based) uses the schedule at t = k − 1 completed steps.
    expect(lr[0]).toBe(0);
    expect(lr[25]).toBeCloseTo((0.01 * 25) / 50, 15);
    const cosineAt = (t: number) => 0.01 * 0.5 * (1 + Math.cos((Math.PI * t) / 2000));
    expect(lr[50 + 700]).toBeCloseTo(cosineAt(700), 15);
  });

  it('schedule honours --optimizer and --schedule flags', () => {
    const r = cli(
      'schedule',
      repoModel('ravine.model'),
      '--schedule',
      'step(every = 50, factor = 0.5)',
      '--json',
    );
    const { lr } = JSON.parse(r.out);
    expect(lr).toHaveLength(200);
    expect([lr[0], lr[49], lr[50], lr[150]]).toEqual([0.015, 0.015, 0.0075, 0.015 / 8]);
  });

  it('eval of a checkpoint reproduces the trainer’s final evaluation; predict gives every row', () => {
    const dir = join(tmp, 'ck-eval');
    const t = cli('train', repoModel('spiral_softmax.model'), '--checkpoint', dir, '--json');
    expect(t.code).toBe(0);
    const trained = JSON.parse(t.out.trim().split('\n').at(-1)!);
    const e = cli('eval', repoModel('spiral_softmax.model'), '--checkpoint', dir, '--json');
    expect(e.code).toBe(0);
    const evaluated = JSON.parse(e.out);
    expect(evaluated.metrics.accuracy).toBeCloseTo(trained.metrics.accuracy, 12);
    expect(evaluated.examples).toBe(300);
    const p = cli('predict', repoModel('two_layer.model'), '--json');
    expect(p.code).toBe(0);
    const { probs } = JSON.parse(p.out);
    expect(probs).toHaveLength(300);
    for (const row of probs.slice(0, 5))
      expect(row.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('predict on a model without outputs and eval of a missing checkpoint are clear errors', () => {
    const a = cli('predict', repoModel('ravine.model'));
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/declares no output/);
    const b = cli('eval', repoModel('ravine.model'), '--checkpoint', join(tmp, 'nothing-here'));
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/no checkpoint in/);
  });
});
