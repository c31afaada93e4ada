import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

/**
 * Names from a model never reach generated code as text: a model whose names are JavaScript's
 * own (`__proto__`, `constructor`, `toString`) checks, compiles to JS and TS, and trains to
 * exactly the numbers of the same model with plain names (the params start from literals,
 * because seeded initialisers draw from a stream keyed by the param's name).
 */
const tmp = mkdtempSync(join(tmpdir(), 'gradus-names-'));

const model = (w: string, b: string, x: string, y: string, h: string) => `
model Hostile {
  dim N, D = 2, C = 3
  input ${x}: float[N, D]
  input ${y}: int[N]
  param ${w}: [D, C] init [0.1, -0.2, 0.3, 0.05, 0.2, -0.1]
  param ${b}: [C] init zeros
  let ${h} = ${x} @ ${w} + ${b}
  metric accuracy = mean(argmax(${h}, axis = 1) == ${y})
  loss = mean(cross_entropy(${h}, ${y}))
  train {
    data = spiral(classes = 3, points = 30, seed = 0)
    optimizer = sgd(lr = 0.5)
    steps = 30
    batch = 90
  }
}
`;

describe('hostile names in a .model file', () => {
  const plain = join(tmp, 'plain.model');
  const hostile = join(tmp, 'hostile.model');
  writeFileSync(plain, model('W', 'b', 'x', 'y', 'scores'));
  // The data binds inputs by name, so the inputs keep the data's names x and y.
  writeFileSync(hostile, model('__proto__', 'constructor', 'x', 'y', 'toString'));

  it('checks, and compiles to JS and TS without the names appearing as code', () => {
    expect(cli('check', hostile).code).toBe(0);
    const js = cli('compile', hostile, '--emit', 'js');
    expect(js.code).toBe(0);
    for (const name of ['__proto__', 'constructor', 'toString']) expect(js.out).not.toContain(name);
    // The TypeScript module names its fields after the params, as quoted or validated keys; its
    // own tests compile it with tsc --strict and compare it with the interpreter.
    expect(cli('compile', hostile, '--emit', 'ts').code).toBe(0);
  });

  it('trains to the same numbers as the plain-named model', () => {
    const a = JSON.parse(cli('train', plain, '--json').out.trim().split('\n').at(-1)!);
    const b = JSON.parse(cli('train', hostile, '--json').out.trim().split('\n').at(-1)!);
    expect(b.loss).toBe(a.loss);
    expect(b.metrics.accuracy).toBe(a.metrics.accuracy);
  });

  it('gradients under hostile names equal the plain ones', () => {
    const a = JSON.parse(cli('grad', plain, '--json').out);
    const b = JSON.parse(cli('grad', hostile, '--json').out);
    expect(b.loss).toBe(a.loss);
    expect(Object.keys(b.grads).sort()).toEqual(['__proto__', 'constructor'].sort());
    expect(Object.getOwnPropertyDescriptor(b.grads, '__proto__')?.value).toEqual(a.grads.W);
    expect(b.grads.constructor).toEqual(a.grads.b);
  });
});
