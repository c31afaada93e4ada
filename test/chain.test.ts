import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  type Callback,
  type CallSpec,
  chain,
  clipByGlobalNorm,
  cpu,
  type GradientTransformation,
  type Graph,
  graph,
  init,
  parseSettingFlag,
  scale,
  scaleByAdam,
  scaleByLearningRate,
  spiral,
  type TrainConfig,
  type TrainResult,
  tensor,
  train,
} from 'gradus';
import { describe, expect, it } from 'vitest';
import { cli, repoModel } from './helpers.js';

/**
 * `chain(...)` of transforms, from the TypeScript API and from the language (a `train { }` block,
 * `--optimizer`): a chain that computes Adam's update trains bit for bit as `adam` does.
 */

const data = spiral(3, 12, 0);
const columns = { x: tensor([data.n, 2], data.x), y: tensor([data.n], data.y, 'i32') };

/** A small two-layer net on the spiral: enough nonlinearity for Adam's moments to matter. */
function net(mode: 'train' | 'eval'): Graph {
  const g = graph({ mode, seed: 3 });
  const x = g.input('x', ['N', 2]);
  const y = g.input('y', ['N'], 'i32');
  const W1 = g.param('W1', [2, 8], init.glorotUniform());
  const b1 = g.param('b1', [8]);
  const W2 = g.param('W2', [8, 3], init.glorotUniform());
  const logits = x.matMul(W1).add(b1).tanh().matMul(W2);
  g.output('loss', logits.crossEntropy(y).mean(), 'loss');
  return g;
}

interface Run {
  readonly losses: number[];
  readonly lrs: (number | undefined)[];
  readonly result: TrainResult;
}

function run(
  optimizer: CallSpec | GradientTransformation,
  o: { steps: number; seed: number; clip?: number; schedule?: CallSpec },
): Run {
  const losses: number[] = [];
  const lrs: (number | undefined)[] = [];
  const record: Callback = {
    onStep: (e) => {
      losses.push(e.loss);
      lrs.push(e.lr);
    },
  };
  const result = train(
    {
      modelName: 'net',
      graph: net('train'),
      evalGraph: net('eval'),
      inputNames: ['x', 'y'],
      train: columns,
      optimizer,
      batch: 8,
      steps: o.steps,
      seed: o.seed,
      backend: cpu,
      dtype: 'f64',
      ...(o.clip !== undefined ? { clip: o.clip } : {}),
      ...(o.schedule ? { schedule: o.schedule } : {}),
    },
    record,
  );
  return { losses, lrs, result };
}

/** The optimiser of `text` as `--optimizer` (the train block's rules) gives it. */
function parsed(key: 'optimizer' | 'schedule', text: string): CallSpec {
  const into: TrainConfig = {};
  const diagnostics = parseSettingFlag(key, text, into);
  expect(diagnostics.map((d) => d.message)).toEqual([]);
  return into[key] as CallSpec;
}

const bits = (a: Float64Array) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

function expectIdentical(a: Run, b: Run): void {
  expect(b.losses.length).toBe(a.losses.length);
  expect(bits(Float64Array.from(b.losses))).toEqual(bits(Float64Array.from(a.losses)));
  expect(Object.keys(b.result.params).sort()).toEqual(Object.keys(a.result.params).sort());
  for (const [name, t] of Object.entries(a.result.params))
    expect(bits(b.result.params[name].data), name).toEqual(bits(t.data));
}

const hypers = fc.record({
  lr: fc.double({ min: 1e-4, max: 0.1, noNaN: true }),
  beta1: fc.double({ min: 0, max: 0.99, noNaN: true }),
  beta2: fc.double({ min: 0.5, max: 0.9999, noNaN: true }),
  eps: fc.double({ min: 1e-10, max: 1e-3, noNaN: true }),
  clip: fc.option(fc.double({ min: 0.01, max: 10, noNaN: true }), { nil: undefined }),
  seed: fc.integer({ min: 0, max: 1000 }),
  steps: fc.integer({ min: 1, max: 12 }),
});

describe('chain(...) trains as the named optimiser it spells out', () => {
  it('chain(clipByGlobalNorm, scaleByAdam, scale(−lr)) from TypeScript, and the same chain written as a call, train bit-identically to adam with clip', () => {
    fc.assert(
      fc.property(hypers, (h) => {
        const adam = run(
          { name: 'adam', args: { lr: h.lr, beta1: h.beta1, beta2: h.beta2, eps: h.eps } },
          { steps: h.steps, seed: h.seed, ...(h.clip !== undefined ? { clip: h.clip } : {}) },
        );
        const parts: GradientTransformation[] = [
          ...(h.clip !== undefined ? [clipByGlobalNorm(h.clip)] : []),
          scaleByAdam({ b1: h.beta1, b2: h.beta2, eps: h.eps }),
          scale(-h.lr),
        ];
        expectIdentical(adam, run(chain(...parts), { steps: h.steps, seed: h.seed }));
        const text = `chain(${h.clip !== undefined ? `clip_by_global_norm(${h.clip}), ` : ''}scale_by_adam(b1 = ${h.beta1}, b2 = ${h.beta2}, eps = ${h.eps}), scale(${-h.lr}))`;
        expectIdentical(adam, run(parsed('optimizer', text), { steps: h.steps, seed: h.seed }));
      }),
      { numRuns: 12, seed: 42 },
    );
  });

  it('a schedule applies to the chain’s scale_by_learning_rate as to adam’s lr', () => {
    fc.assert(
      fc.property(hypers, fc.integer({ min: 1, max: 20 }), (h, decay) => {
        const schedule = parsed('schedule', `cosine(steps = ${decay})`);
        const adam = run(
          { name: 'adam', args: { lr: h.lr, beta1: h.beta1, beta2: h.beta2, eps: h.eps } },
          { steps: h.steps, seed: h.seed, schedule },
        );
        const text = `chain(scale_by_adam(${h.beta1}, ${h.beta2}, ${h.eps}), scale_by_learning_rate(${h.lr}))`;
        const chained = run(parsed('optimizer', text), { steps: h.steps, seed: h.seed, schedule });
        expectIdentical(adam, chained);
        expect(chained.lrs).toEqual(adam.lrs);
        expect(adam.lrs.every((r) => typeof r === 'number')).toBe(true);
      }),
      { numRuns: 8, seed: 7 },
    );
  });

  it('a TypeScript chain reports the rate of its scaleByLearningRate; a different chain trains differently', () => {
    const h = { steps: 5, seed: 1 };
    const sgd = run({ name: 'sgd', args: { lr: 0.05 } }, h);
    const viaChain = run(chain(scaleByLearningRate(0.05)), h);
    expectIdentical(sgd, viaChain);
    expect(viaChain.lrs).toEqual([0.05, 0.05, 0.05, 0.05, 0.05]);
    const other = run(chain(scaleByAdam(), scale(-0.05)), h);
    expect(other.losses.slice(1)).not.toEqual(sgd.losses.slice(1));
    expect(other.lrs.every((r) => r === undefined)).toBe(true);
  });

  it('a schedule needs the chain’s scale_by_learning_rate', () => {
    expect(() =>
      run(parsed('optimizer', 'chain(scale_by_adam(), scale(-0.01))'), {
        steps: 1,
        seed: 0,
        schedule: parsed('schedule', 'cosine(steps = 5)'),
      }),
    ).toThrow(
      /scales the learning rate of the chain's scale_by_learning_rate\(lr\), and this chain has none/,
    );
  });
});

describe('chain(...) in the language', () => {
  it('gradus train takes a chain as --optimizer and in the train block, and checks its parts', () => {
    const flag = cli(
      'train',
      repoModel('ravine.model'),
      '--optimizer',
      'chain(clip_by_global_norm(1), scale_by_adam(), scale(-1e-3))',
      '--steps',
      '3',
      '--json',
    );
    const adam = cli(
      'train',
      repoModel('ravine.model'),
      '--optimizer',
      'adam(lr = 1e-3)',
      '--set',
      'clip=1',
      '--steps',
      '3',
      '--json',
    );
    expect(flag.code, flag.err).toBe(0);
    expect(adam.code, adam.err).toBe(0);
    const loss = (r: { out: string }) => JSON.parse(r.out.trim().split('\n').at(-1) as string).loss;
    expect(loss(flag)).toBe(loss(adam));

    const dir = mkdtempSync(join(tmpdir(), 'gradus-chain-'));
    const model = join(dir, 'chained.model');
    writeFileSync(
      model,
      `model Ravine {
  param x: [2] init [4, 0.5]
  loss = x[0]^2 + 50 * x[1]^2
  train {
    optimizer = chain(clip_by_global_norm(max_norm = 1), scale_by_adam(), scale(-1e-3))
    steps = 3
  }
}
`,
    );
    const block = cli('train', model, '--json');
    expect(block.code, block.err).toBe(0);
    expect(loss(block)).toBe(loss(adam));

    const bad = cli('train', repoModel('ravine.model'), '--optimizer', 'chain(scale_by_adamm(), scale(-1))');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/error\[E0504\]: unknown transformation 'scale_by_adamm'/);
    expect(bad.err).toMatch(/did you mean scale_by_adam\?/);
    const empty = cli('train', repoModel('ravine.model'), '--optimizer', 'chain()');
    expect(empty.code).toBe(1);
    expect(empty.err).toMatch(/error\[E0508\]: chain needs at least one argument/);
    const range = cli('train', repoModel('ravine.model'), '--optimizer', 'chain(scale_by_adam(b1 = 1))');
    expect(range.code).toBe(1);
    expect(range.err).toMatch(/error\[E0509\]: scale_by_adam: 'b1'/);
    const negative = cli('train', repoModel('ravine.model'), '--optimizer', 'chain(trace(-0.5), scale(-1))');
    expect(negative.code).toBe(1);
    expect(negative.err).toMatch(/error\[E0509\]: trace: 'decay' must not be negative/);
  });
});
