import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, repoModel } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'gradus-run-flags-'));
const json = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!);

/** A ridge regression with one hyper-parameter, on a file of eight rows. */
const ridge = join(tmp, 'ridge.model');
writeFileSync(
  ridge,
  `model Ridge {
  dim N, D = 2
  input x: float[N, D]
  input y: float[N]
  param w: [D] init zeros
  hyper lambda = 0 in [0, 10]
  loss = mean((x @ w - y) ^ 2) + lambda * sum((w - 1) ^ 2)
  train {
    data = "rows.json"
    optimizer = sgd(lr = 0.1)
    batch = 8
    steps = 20
  }
}
`,
);
const rows = {
  x: [
    [1, 0],
    [0, 1],
    [1, 1],
    [2, 0],
    [0, 2],
    [1, 2],
    [2, 1],
    [2, 2],
  ],
  y: [1, -1, 0, 2, -2, -1, 1, 0],
};
writeFileSync(join(tmp, 'rows.json'), JSON.stringify(rows));

describe('--set key=value overrides any train setting', () => {
  it('sets the length, the optimiser and the validation split of a run', () => {
    const flags = ['--set', 'steps=4', '--set', 'optimizer=adam(lr = 0.01)', '--set', 'validation=0.2'];
    const r = cli('train', repoModel('spiral_softmax.model'), ...flags, '--json');
    expect(r.code).toBe(0);
    expect(json(r.out).steps).toBe(4);
    const text = cli('train', repoModel('spiral_softmax.model'), ...flags);
    expect(text.out).toMatch(/adam\(lr = 0\.01/);
    expect(text.out).toMatch(/validation loss/);
  });

  it('epochs replaces the block’s steps, as --epochs does', () => {
    const r = cli('train', repoModel('spiral_softmax.model'), '--set', 'epochs=2', '--json');
    expect(r.code).toBe(0);
    // 300 examples in one batch of 300: an epoch is one step.
    expect(json(r.out).steps).toBe(2);
  });

  it('clip and early_stop are settings like any other', () => {
    const r = cli(
      'train',
      repoModel('spiral_softmax.model'),
      '--set',
      'clip=1e-9',
      '--set',
      'steps=3',
      '--json',
    );
    const free = cli('train', repoModel('spiral_softmax.model'), '--set', 'steps=3', '--json');
    expect(r.code).toBe(0);
    // A gradient clipped to a norm of 1e-9 barely moves the params.
    expect(json(r.out).loss).not.toBe(json(free.out).loss);
    const stopped = cli(
      'train',
      repoModel('spiral_softmax.model'),
      '--set',
      'optimizer=sgd(lr = 1e3)',
      '--set',
      'early_stop=1',
      '--set',
      'epochs=50',
      '--json',
    );
    expect(json(stopped.out).steps).toBeLessThan(50);
  });

  it('a data file given by --set is relative to the working directory', () => {
    const path = relative(process.cwd(), join(tmp, 'rows.json'));
    const r = cli('train', ridge, '--set', `data=${path}`, '--json');
    expect(r.code).toBe(0);
    const missing = cli('train', ridge, '--set', 'data=no-such-rows.json');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(join(process.cwd(), 'no-such-rows.json'));
  });

  it('gradus schedule takes --set too', () => {
    const r = cli('schedule', repoModel('spiral_softmax.model'), '--set', 'steps=7', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).lr).toHaveLength(7);
  });

  it('a key given twice, or by --set and by its own flag, is an error', () => {
    const twice = cli('train', ridge, '--set', 'steps=2', '--set', 'steps=3');
    expect(twice.code).toBe(1);
    expect(twice.err).toMatch(/--set steps is given twice/);
    const both = cli('train', ridge, '--set', 'batch=2', '--batch', '3');
    expect(both.code).toBe(1);
    expect(both.err).toMatch(/batch is given twice: by --set batch=… and by --batch/);
    const lengths = cli('train', ridge, '--set', 'epochs=2', '--set', 'steps=3');
    expect(lengths.code).toBe(1);
    expect(lengths.err).toMatch(/either --set epochs=… or --set steps=…/);
  });

  it('a value that is not one setting is refused at its column', () => {
    const r = cli('train', ridge, '--set', 'steps=3 } }');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^--set:1:/);
    const zero = cli('train', ridge, '--set', 'batch=0');
    expect(zero.code).toBe(1);
    expect(zero.err).toMatch(/'batch' must be in \[1, 2,147,483,647\], got 0/);
  });
});

describe('--hyper NAME=V changes a model constant without editing the file', () => {
  it('gradus check reports the values used', () => {
    const r = cli('check', ridge, '--hyper', 'lambda=2.5');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/hyper-parameters lambda = 2\.5/);
  });

  it('grad, train and eval compute with the value given', () => {
    const at = (...flags: string[]) => json(cli('grad', ridge, '--json', ...flags).out).loss;
    // At w = 0: mean(y²) = 12/8, and lambda · |w − 1|² = 2 · lambda.
    expect(at()).toBeCloseTo(1.5, 12);
    expect(at('--hyper', 'lambda=3')).toBeCloseTo(1.5 + 6, 12);
    const plain = json(cli('train', ridge, '--json').out).loss;
    const pulled = json(cli('train', ridge, '--hyper', 'lambda=3', '--json').out).loss;
    expect(pulled).toBeGreaterThan(plain);
    const evaluated = JSON.parse(cli('eval', ridge, '--hyper', 'lambda=3', '--json').out);
    expect(evaluated.loss).toBeCloseTo(7.5, 12);
  });

  it('an int hyper used as a size changes the shapes', () => {
    const model = join(tmp, 'hidden.model');
    writeFileSync(
      model,
      `model Hidden {
  dim N, D = 2, C = 3
  hyper H: int = 8 in [2, 64]
  input x: float[N, D]
  input y: int[N]
  param W1: [D, H]
  param W2: [H, C]
  loss = mean(cross_entropy(tanh(x @ W1) @ W2, y))
}
`,
    );
    expect(cli('check', model).out).toMatch(/\(40 numbers\)/);
    expect(cli('check', model, '--hyper', 'H=4').out).toMatch(/\(20 numbers\)/);
    expect(cli('compile', model, '--hyper', 'H=4').out).toMatch(/\[2, 4\]/);
  });
});
