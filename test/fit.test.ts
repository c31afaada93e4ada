// `fit` is imported as `fitModel`: the linter reads a bare `fitModel(` as a focused test.
import { fit as fitModel, graph, init, spiral, tensor } from 'gradus';
import { describe, expect, it } from 'vitest';
import { cli, repoModel } from './helpers.js';

const data = spiral(3, 20, 0);
const columns = { x: tensor([data.n, 2], data.x), y: tensor([data.n], data.y, 'i32') };

function net() {
  const g = graph({ seed: 1 });
  const x = g.input('x', ['N', 2]);
  const y = g.input('y', ['N'], 'i32');
  const W = g.param('W', [2, 3], init.glorotUniform());
  g.output('loss', x.matMul(W).crossEntropy(y).mean(), 'loss');
  return g;
}

describe('fit', () => {
  it('trains a model file as gradus train does', () => {
    const r = fitModel(repoModel('ravine.model'), { steps: 20 });
    const c = cli('train', repoModel('ravine.model'), '--steps', '20', '--json');
    expect(c.code, c.err).toBe(0);
    expect(r.finalLoss).toBe(JSON.parse(c.out.trim().split('\n').at(-1) as string).loss);
    expect(r.losses).toHaveLength(20);
  });

  it('checks settings with the train block’s rules', () => {
    const problem = (settings: object): string => {
      try {
        fitModel(repoModel('ravine.model'), settings);
      } catch (e) {
        const d = (e as { diagnostics?: { message: string }[] }).diagnostics ?? [];
        return `${(e as Error).message} ${d.map((x) => x.message).join('; ')}`;
      }
      return 'no error';
    };
    expect(problem({ batch: 0 })).toMatch(/settings\.batch.*'batch' must be/s);
    expect(problem({ optimizer: 'adamm()' })).toMatch(/unknown optimizer 'adamm'/);
    expect(problem({ stepz: 3 })).toMatch(/unknown training setting 'stepz'/);
    expect(problem({ batch: '32' })).toMatch(/settings\.batch must be a number/);
  });

  it('trains a builder graph on in-memory data; a validation split drives evaluations and the test split is scored once', () => {
    const splits: string[] = [];
    const r = fitModel(
      net(),
      {
        data: { train: columns, test: columns },
        validation: 0.2,
        epochs: 3,
        batch: 16,
        optimizer: 'adam(lr = 0.05)',
      },
      { onEval: (e) => void splits.push(e.split) },
    );
    expect(splits.at(-1)).toBe('test');
    expect(splits.slice(0, -1).every((s) => s === 'validation')).toBe(true);
    expect(splits.filter((s) => s === 'test')).toHaveLength(1);
    expect(r.test?.split).toBe('test');
    expect(r.data.rows).toEqual({ train: 48, validation: 12, test: 60 });
    expect(r.losses.at(-1)).toBeLessThan(r.losses[0]);
  });

  it('a callback stops the run', () => {
    const r = fitModel(
      repoModel('ravine.model'),
      { steps: 50 },
      { onStep: (e, ctx) => e.step === 5 && ctx.stop('user', 'enough') },
    );
    expect(r.steps).toBe(5);
    expect(r.stopped?.reason).toBe('user');
  });

  it('refuses a validation fraction that leaves no training rows', () => {
    expect(() => fitModel(net(), { data: { train: { x: [[0, 1]], y: [0] } }, validation: 0.5 })).toThrow(
      /leaves no training rows/,
    );
  });
});
