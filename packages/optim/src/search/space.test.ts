import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  gridSize,
  parseSpace,
  parseSpaceEntry,
  refineSpace,
  type SearchSpace,
  trialParams,
} from './space.js';

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return `${(e as { code?: string }).code}: ${(e as Error).message}`;
  }
  return 'no error';
};

describe('parseSpaceEntry', () => {
  it('reads every distribution', () => {
    expect(parseSpaceEntry('lr=loguniform(1e-4, 1e-1)')).toEqual({
      name: 'lr',
      dist: { kind: 'loguniform', low: 1e-4, high: 0.1 },
    });
    expect(parseSpaceEntry('clip = uniform(0, 2)').dist).toEqual({ kind: 'uniform', low: 0, high: 2 });
    expect(parseSpaceEntry('schedule.steps=int(10, 20)')).toEqual({
      name: 'schedule.steps',
      dist: { kind: 'int', low: 10, high: 20 },
    });
    expect(parseSpaceEntry('batch=choice(32, 64)').dist).toEqual({ kind: 'choice', values: [32, 64] });
    expect(parseSpaceEntry("optimizer=grid(sgd, 'adam')").dist).toEqual({
      kind: 'grid',
      values: ['sgd', 'adam'],
    });
  });

  it('names the problem in every malformed entry', () => {
    expect(codeOf(() => parseSpaceEntry('lr'))).toMatch(/E0960: .*expected NAME=DIST/);
    expect(codeOf(() => parseSpaceEntry('lr=normal(0, 1)'))).toMatch(/unknown distribution 'normal'/);
    expect(codeOf(() => parseSpaceEntry('lr=loguniform(0, 1)'))).toMatch(/positive bounds/);
    expect(codeOf(() => parseSpaceEntry('lr=uniform(1, 1)'))).toMatch(/must be below/);
    expect(codeOf(() => parseSpaceEntry('lr=uniform(1)'))).toMatch(/two bounds/);
    expect(codeOf(() => parseSpaceEntry('lr=uniform(a, 1)'))).toMatch(/not a finite number/);
    expect(codeOf(() => parseSpaceEntry('batch=int(1.5, 4)'))).toMatch(/integers/);
    expect(codeOf(() => parseSpaceEntry('batch=choice()'))).toMatch(/at least one value/);
    expect(codeOf(() => parseSpaceEntry('batch=choice(1, 1)'))).toMatch(/twice/);
    expect(codeOf(() => parseSpaceEntry('1x=choice(1)'))).toMatch(/not a setting name/);
    expect(codeOf(() => parseSpace(['lr=uniform(0, 1)', 'lr=uniform(0, 2)']))).toMatch(/searched twice/);
    expect(codeOf(() => parseSpace([]))).toMatch(/at least one --space/);
  });
});

const space: SearchSpace = parseSpace([
  'lr=loguniform(1e-4, 1e-1)',
  'clip=uniform(-1, 1)',
  'batch=int(8, 12)',
  'opt=choice(sgd, adam, rmsprop)',
]);

describe('trialParams', () => {
  it('draws inside every distribution', () => {
    fc.assert(
      fc.property(fc.nat(2 ** 32 - 1), fc.nat(10_000), (seed, index) => {
        const p = trialParams(space, seed, index);
        const lr = p.lr as number;
        const clip = p.clip as number;
        const batch = p.batch as number;
        return (
          lr >= 1e-4 &&
          lr <= 1e-1 &&
          clip >= -1 &&
          clip < 1 &&
          Number.isInteger(batch) &&
          batch >= 8 &&
          batch <= 12 &&
          ['sgd', 'adam', 'rmsprop'].includes(p.opt as string)
        );
      }),
    );
  });

  it('is a pure function of (seed, index): the same whatever order trials are drawn in', () => {
    fc.assert(
      fc.property(
        fc.nat(2 ** 32 - 1),
        fc.array(fc.nat(500), { minLength: 1, maxLength: 20 }),
        (seed, order) => {
          const forward = order.map((i) => trialParams(space, seed, i));
          const backward = [...order].reverse().map((i) => trialParams(space, seed, i));
          expect(forward).toEqual(backward.reverse());
        },
      ),
    );
  });

  it('covers a log range evenly in log space', () => {
    const logs = Array.from({ length: 4000 }, (_, i) => Math.log10(trialParams(space, 7, i).lr as number));
    const below = logs.filter((l) => l < -2.5).length / logs.length;
    expect(below).toBeGreaterThan(0.45);
    expect(below).toBeLessThan(0.55);
  });

  it('walks a grid in order, last name fastest, and cycles', () => {
    const g = parseSpace(['a=grid(1, 2)', 'b=grid(x, y, z)', 'lr=uniform(0, 1)']);
    expect(gridSize(g)).toBe(6);
    const cells = Array.from({ length: 7 }, (_, i) => {
      const p = trialParams(g, 3, i);
      return `${p.a}${p.b}`;
    });
    expect(cells).toEqual(['1x', '1y', '1z', '2x', '2y', '2z', '1x']);
  });
});

describe('refineSpace', () => {
  it('narrows each range around the best trials and stays inside the old one', () => {
    const trials = Array.from({ length: 16 }, (_, i) => {
      const params = trialParams(space, 1, i);
      // A made-up objective with its optimum at lr = 1e-2.
      return { params, objective: Math.abs(Math.log10(params.lr as number) + 2) };
    });
    const fine = refineSpace(space, trials);
    const lr = fine.find((e) => e.name === 'lr')?.dist;
    if (lr?.kind !== 'loguniform') throw new Error('lr stays log-uniform');
    expect(lr.low).toBeGreaterThanOrEqual(1e-4);
    expect(lr.high).toBeLessThanOrEqual(1e-1);
    expect(Math.log(lr.high / lr.low)).toBeLessThan(Math.log(1e-1 / 1e-4));
    expect(lr.low).toBeLessThan(1e-2);
    expect(lr.high).toBeGreaterThan(1e-2);
    const opt = fine.find((e) => e.name === 'opt')?.dist;
    if (opt?.kind !== 'choice') throw new Error('opt stays a choice');
    expect(opt.values.length).toBeGreaterThan(0);
  });

  it('keeps the space when no trial succeeded', () => {
    const failed = [
      { params: trialParams(space, 1, 0) },
      { params: trialParams(space, 1, 1), objective: Number.NaN },
    ];
    expect(refineSpace(space, failed)).toBe(space);
  });
});
