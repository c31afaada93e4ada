import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { graph } from '../graph.js';
import { interpret } from '../interpreter.js';
import {
  broadcastShapesArb,
  type Domain,
  domains,
  exprGraphArb,
  labelsArb,
  nest,
  shapeArb,
  tensorArb,
  tensorsArb,
  valuesArb,
} from './arbitraries.js';
import { broadcastAll, plainOf } from './naive.js';

const flat = (x: unknown): number[] => plainOf(x as number).data as number[];

function inDomain(v: number, d: Domain): boolean {
  return v >= d.min && v <= d.max && Math.abs(v) >= (d.gap ?? 0);
}

function minSeparation(vs: readonly number[]): number {
  const s = [...vs].sort((a, b) => a - b);
  let m = Infinity;
  for (let i = 1; i < s.length; i++) m = Math.min(m, s[i] - s[i - 1]);
  return m;
}

describe('arbitraries', () => {
  it('draw shapes within the requested ranks and dims', () => {
    fc.assert(
      fc.property(shapeArb({ minRank: 1, maxRank: 3, minDim: 2, maxDim: 4 }), (s) => {
        expect(s.length).toBeGreaterThanOrEqual(1);
        expect(s.length).toBeLessThanOrEqual(3);
        for (const d of s) expect(d >= 2 && d <= 4).toBe(true);
      }),
    );
  });

  it('draw shapes that broadcast to the announced shape', () => {
    fc.assert(
      fc.property(broadcastShapesArb(3), ({ shapes, out, full }) => {
        expect(broadcastAll(shapes)).toEqual(out);
        for (const s of shapes) expect(broadcastAll([s, full])).toEqual(full);
      }),
    );
  });

  it('keep values inside their domain, away from the gap', () => {
    for (const d of [
      domains.any,
      domains.positive,
      domains.awayFromZero,
      domains.nonSmall,
      { min: 0, max: 1, gap: 0.3 },
    ]) {
      fc.assert(
        fc.property(valuesArb(7, d), (vs) => {
          expect(vs.every((v) => inDomain(v, d))).toBe(true);
        }),
      );
    }
  });

  it('keep separated values at least `separation` apart, inside the domain', () => {
    const d: Domain = { min: -2, max: 2, gap: 0.05, separation: 0.05 };
    fc.assert(
      fc.property(valuesArb(27, d), (vs) => {
        expect(vs.every((v) => inDomain(v, d))).toBe(true);
        expect(minSeparation(vs)).toBeGreaterThanOrEqual(0.05 - 1e-12);
      }),
    );
  });

  it('separate values across tensors drawn together', () => {
    fc.assert(
      fc.property(tensorsArb([[2, 3], [3], []], domains.distinct), (ts) => {
        expect(ts.map((t) => plainOf(t).shape)).toEqual([[2, 3], [3], []]);
        expect(minSeparation(ts.flatMap(flat))).toBeGreaterThanOrEqual(0.05 - 1e-12);
      }),
    );
  });

  it('nest flat data row-major', () => {
    expect(nest([2, 3], [1, 2, 3, 4, 5, 6])).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(nest([], [7])).toBe(7);
    expect(nest([1], [7])).toEqual([7]);
  });

  it('draw labels in range as held-fixed i32 arguments', () => {
    fc.assert(
      fc.property(labelsArb([4], 3), (a) => {
        expect(a).toMatchObject({ dtype: 'i32', differentiate: false });
        expect(flat(a).every((v) => Number.isInteger(v) && v >= 0 && v < 3)).toBe(true);
      }),
    );
  });

  it('are deterministic given the seed', () => {
    const arb = fc.tuple(tensorArb([2, 2], domains.distinct), exprGraphArb());
    const once = fc.sample(arb, { seed: 42, numRuns: 20 });
    const again = fc.sample(arb, { seed: 42, numRuns: 20 });
    expect(again.map(([t, e]) => [t, e.steps, e.inputs])).toEqual(
      once.map(([t, e]) => [t, e.steps, e.inputs]),
    );
  });
});

describe('random expression graphs', () => {
  it('build well-shaped graphs over 1–3 inputs with finite values', () => {
    fc.assert(
      fc.property(exprGraphArb(), (e) => {
        expect(e.inputs.length).toBeGreaterThanOrEqual(1);
        expect(e.inputs.length).toBeLessThanOrEqual(3);
        const g = graph({ floatDtype: 'f64' });
        const xs = e.shapes.map((s, i) => g.input(`x${i}`, s));
        const out = e.build(...xs);
        const feeds = Object.fromEntries(e.inputs.map((v, i) => [`x${i}`, v]));
        const [t] = interpret([out.node], { feeds });
        expect(t.shape).toEqual(out.shape);
        expect(t.data.every((v) => Number.isFinite(v) && Math.abs(v) <= 25 + 1e-9)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('cover the op families', () => {
    const seen = new Set<string>();
    for (const e of fc.sample(exprGraphArb(), { seed: 7, numRuns: 400 })) {
      for (const s of e.steps) seen.add(s.replace(/^v\d+ = /, '').replace(/[[(].*$/, ''));
    }
    for (const op of [
      'exp',
      'log',
      'tanh',
      'sigmoid',
      'add',
      'mul',
      'div',
      'sum',
      'max',
      'softmax',
      'matMul',
      'reshape',
      'transpose',
      'slice',
      'index',
      'broadcastTo',
      'concat',
    ]) {
      expect(seen, op).toContain(op);
    }
  });
});
