import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GradusError, graph, init, initVariables } from '@gradus/autodiff';
import { loadModel } from '@gradus/dsl';
import { buildTrainStep, paramsOf, sgd } from '@gradus/optim';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'gradus-frozen-'));

const model = (w1: string, w2 = '') => `model Frozen {
  dim N, D = 2, H = 8, C = 3
  input x: float[N, D]
  input y: int[N]
  param W1: [D, H] init normal(std = 1) ${w1}
  param b1: [H] init zeros
  param W2: [H, C] init glorot_uniform ${w2}
  loss = mean(cross_entropy(relu(x @ W1 + b1) @ W2, y))
  train {
    data = spiral(classes = 3, points = 20, seed = 0)
    optimizer = adam(lr = 0.05)
    batch = 30
    steps = 20
    seed = 3
  }
}
`;

function write(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

describe('frozen params', () => {
  it('the train step updates only the other params, with optimiser state only for them', () => {
    const path = write('frozen.model', model('frozen'));
    const { lowered } = loadModel(path);
    expect(lowered.model.params.map((p) => [p.name, p.frozen === true])).toEqual([
      ['W1', true],
      ['b1', false],
      ['W2', false],
    ]);
    const initial = initVariables(lowered.graph, 3);
    const dir = join(tmp, 'ck');
    const r = cli('train', path, '--checkpoint', dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const { variables } = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
    // W1 is still exactly its initial value (and was saved with the rest); W2 and b1 have moved.
    expect(variables.W1.data).toEqual(Array.from(initial.W1.data));
    expect(variables.W2.data).not.toEqual(Array.from(initial.W2.data));
    expect(variables.b1.data.some((v: number) => v !== 0)).toBe(true);
    const state = Object.keys(variables).filter((k) => k.startsWith('opt.'));
    expect(state.sort()).toEqual(['opt.W2.m', 'opt.W2.v', 'opt.b1.m', 'opt.b1.v', 'opt.step']);
  });

  it('is the same run as training the other params alone on the same graph', () => {
    // Freezing W1 changes nothing about how b1 and W2 learn: a model that trains everything
    // with W1's learning signal cut by stop_gradient follows the same trajectory.
    const frozen = write('a.model', model('frozen'));
    const cut = write('b.model', model('').replace('relu(x @ W1 + b1)', 'relu(x @ stop_gradient(W1) + b1)'));
    const a = cli('train', frozen, '--json');
    const b = cli('train', cut, '--json');
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const loss = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!).loss;
    expect(loss(a.out)).toBeCloseTo(loss(b.out), 12);
  });

  it('says so when every param is frozen, and rejects `frozen` in the wrong place', () => {
    const all = write(
      'all.model',
      model('frozen', 'frozen').replace('param b1: [H] init zeros', 'param b1: [H] init zeros frozen'),
    );
    const r = cli('train', all);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/E0930.*every param of this model is frozen/);
    const misplaced = write('misplaced.model', model('').replace('[D, H] init', '[D, H] frozen init'));
    const c = cli('check', misplaced);
    expect(c.code).toBe(1);
    expect(c.err + c.out).toMatch(/misplaced\.model:5:/);
  });

  it('in the builder API: paramsOf leaves frozen params out, and buildTrainStep refuses them', () => {
    const build = () => {
      const g = graph();
      const a = g.param('a', [2], init.literal([1, 2]), { frozen: true });
      const b = g.param('b', [2], init.literal([3, 4]));
      return { g, loss: a.mul(b).sum() };
    };
    const { g, loss } = build();
    expect(paramsOf(g).map((p) => p.name)).toEqual(['b']);
    const step = buildTrainStep(g, loss, paramsOf(g), sgd(0.1));
    expect(step.stateNames).toEqual(['opt.step']);
    expect([...g.updates.keys()].sort()).toEqual(['b', 'opt.step']);
    const other = build();
    const all = other.g.params().map((n) => ({ name: n.attrs.name as string, value: other.g.value(n) }));
    expect(() => buildTrainStep(other.g, other.loss, all, sgd(0.1))).toThrow(GradusError);
    expect(() => buildTrainStep(other.g, other.loss, all, sgd(0.1))).toThrow(/param 'a' is frozen/);
  });
});
