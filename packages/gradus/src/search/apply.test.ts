import { checkSource } from '@gradus/dsl';
import { parseSpace, trialParams } from '@gradus/optim';
import { describe, expect, it } from 'vitest';
import { applyTrial, resolveTargets } from './apply.js';

const source = `model M {
  hyper lambda = 1e-3 in [0, 1]
  hyper H: int = 4 in [1, 64]
  param w: [H] init normal(std = 0.1)
  loss = sum(w^2) * lambda + sum(w)

  train {
    optimizer = adam(lr = 0.01)
    schedule = cosine(steps = 100)
    steps = 100
  }
}
`;
const lowered = checkSource({ name: 'm.model', text: source }).lowered;
if (!lowered) throw new Error('the test model checks');
const { hypers, train } = lowered.model;

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    const d = (e as { diagnostics?: { message: string }[] }).diagnostics;
    return d ? d.map((x) => x.message).join('; ') : (e as Error).message;
  }
  return 'no error';
};

describe('resolveTargets', () => {
  it('finds hypers, settings, optimiser and schedule arguments', () => {
    const space = parseSpace([
      'lambda=loguniform(1e-5, 1e-1)',
      'H=grid(2, 8)',
      'lr=loguniform(1e-4, 1e-1)',
      'beta1=uniform(0.8, 0.99)',
      'clip=uniform(0.5, 2)',
      'schedule.steps=int(50, 100)',
      'optimizer=choice(adam, nadam)',
    ]);
    expect(Object.fromEntries(resolveTargets(space, hypers, train))).toEqual({
      lambda: { kind: 'hyper' },
      H: { kind: 'hyper' },
      lr: { kind: 'optimizer-arg' },
      beta1: { kind: 'optimizer-arg' },
      clip: { kind: 'setting' },
      'schedule.steps': { kind: 'schedule-arg', arg: 'steps' },
      optimizer: { kind: 'optimizer' },
    });
  });

  it('names what a name is not', () => {
    expect(message(() => resolveTargets(parseSpace(['lamda=uniform(0, 1)']), hypers, train))).toMatch(
      /no hyper-parameter 'lamda'.*neither a train setting nor an argument of adam/,
    );
    expect(message(() => resolveTargets(parseSpace(['seed=int(0, 9)']), hypers, train))).toMatch(
      /cannot be searched/,
    );
    expect(message(() => resolveTargets(parseSpace(['optimizer.lr=uniform(0, 1)']), hypers, train))).toMatch(
      /only schedule arguments/,
    );
  });
});

describe('applyTrial', () => {
  it('applies every kind of name as the train block would', () => {
    const space = parseSpace([
      'lambda=uniform(0, 0.5)',
      'H=int(2, 8)',
      'lr=loguniform(1e-4, 1e-1)',
      'clip=uniform(0.5, 2)',
      'schedule.steps=int(50, 100)',
      'optimizer=choice(sgd, rmsprop)',
    ]);
    const targets = resolveTargets(space, hypers, train);
    for (let i = 0; i < 20; i++) {
      const params = trialParams(space, 11, i);
      const { config, hypers: h } = applyTrial(params, targets, hypers, train);
      expect(config.optimizer?.name).toBe(params.optimizer);
      expect(config.optimizer?.args.lr).toBe(params.lr);
      expect(config.clip).toBe(params.clip);
      expect(config.schedule?.args.steps).toBe(params['schedule.steps']);
      expect(h).toEqual({ lambda: params.lambda, H: params.H });
    }
    // The model's own settings are not changed.
    expect(train.optimizer?.args.lr).toBe(0.01);
  });

  it('refuses a value the train block would refuse, naming it', () => {
    const space = parseSpace(['batch=choice(0)']);
    const targets = resolveTargets(space, hypers, train);
    expect(message(() => applyTrial(trialParams(space, 1, 0), targets, hypers, train))).toMatch(/batch/);
    const h = parseSpace(['lambda=choice(2)']);
    expect(
      message(() => applyTrial(trialParams(h, 1, 0), resolveTargets(h, hypers, train), hypers, train)),
    ).toMatch(/lambda/);
  });
});
