import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDims,
  canonicalDim,
  type Dim,
  dimAsCode,
  dimSymbols,
  dimTerms,
  divDims,
  isCanonicalDim,
  isDimSymbol,
  mulDims,
  powDim,
  productOfDims,
  solveDim,
  subDims,
  substituteDim,
} from './dim-expr.js';

/** A random expression over N, T, D and small integers, as text and as its value at a binding. */
interface Expr {
  readonly text: string;
  readonly value: (b: Record<string, number>) => number;
}

const NAMES = ['N', 'T', 'D'] as const;

const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: 0, max: 9 }).map((k) => ({ text: String(k), value: () => k })),
    fc.constantFrom(...NAMES).map((n) => ({ text: n, value: (b: Record<string, number>) => b[n] })),
    fc.tuple(tie('e'), fc.constantFrom('+', '-', '*'), tie('e')).map(([a, op, c]) => ({
      text: `(${a.text}) ${op} (${c.text})`,
      value: (b: Record<string, number>) =>
        op === '+' ? a.value(b) + c.value(b) : op === '-' ? a.value(b) - c.value(b) : a.value(b) * c.value(b),
    })),
    fc.tuple(tie('e'), fc.integer({ min: 1, max: 6 })).map(([a, k]) => ({
      text: `(${a.text}) / ${k}`,
      value: (b: Record<string, number>) => a.value(b) / k,
    })),
  ),
})).e;

const bindingArb = fc.record({
  N: fc.integer({ min: 1, max: 50 }),
  T: fc.integer({ min: 1, max: 50 }),
  D: fc.integer({ min: 1, max: 50 }),
});

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

describe('symbolic dims', () => {
  it('writes equal sizes the same way', () => {
    expect(canonicalDim('T*N')).toBe('N*T');
    expect(canonicalDim('(N*T)*D')).toBe(canonicalDim('N*(T*D)'));
    expect(canonicalDim('N*T*D')).toBe('D*N*T');
    expect(canonicalDim('N*T*D/D')).toBe('N*T');
    expect(canonicalDim('1 + D')).toBe('D + 1');
    expect(canonicalDim('D + 1 - 1')).toBe('D');
    expect(canonicalDim('N - N + 3')).toBe(3);
    expect(canonicalDim('2*N/4')).toBe('N/2');
    expect(canonicalDim('N*N')).toBe('N^2');
    expect(canonicalDim('N/(2*T)')).toBe('N/(2*T)');
    expect(canonicalDim('-N + 5')).toBe('-N + 5');
  });

  it('refuses what is not an expression over names and integers', () => {
    for (const bad of ['', 'N*', 'N M', '2.5', 'N**2', '(N', 'N)', 'N/0', 'N^x']) {
      expect(canonicalDim(bad), bad).toBeUndefined();
      expect(isCanonicalDim(bad), bad).toBe(false);
    }
    expect(isCanonicalDim('T*N')).toBe(false);
    expect(isCanonicalDim('N*T')).toBe(true);
    expect(isCanonicalDim(3)).toBe(true);
    expect(isDimSymbol('N')).toBe(true);
    expect(isDimSymbol('N*T')).toBe(false);
  });

  it('is canonical: the form is idempotent and evaluates like the expression (fast-check)', () => {
    fc.assert(
      fc.property(exprArb, bindingArb, (e, b) => {
        const c = canonicalDim(e.text);
        expect(c).toBeDefined();
        const d = c as Dim;
        // A constant quotient such as 1/2 is a number, and no dim: only sizes are canonical dims.
        const fraction = typeof d === 'number' && !Number.isInteger(d);
        expect(canonicalDim(d)).toBe(fraction ? undefined : d);
        expect(isCanonicalDim(d)).toBe(!fraction);
        const v = substituteDim(d, b);
        expect(typeof v).toBe('number');
        expect(close(v as number, e.value(b))).toBe(true);
        // The same expression written with its operands swapped has the same form.
        expect(canonicalDim(`(${e.text}) * (N + 1)`)).toBe(canonicalDim(`(N + 1) * (${e.text})`));
        expect(canonicalDim(`(${e.text}) * (N + 1)`)).toBe(canonicalDim(`(${e.text}) * N + (${e.text})`));
      }),
      { numRuns: 300 },
    );
  });

  it('emits code that computes the same value (fast-check)', () => {
    fc.assert(
      fc.property(exprArb, bindingArb, (e, b) => {
        const d = canonicalDim(e.text) as Dim;
        const code = dimAsCode(d, (s) => `b.${s}`);
        const got = new Function('b', `return ${code};`)(b) as number;
        expect(close(got, e.value(b))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('does arithmetic, dividing by sums only when they divide exactly', () => {
    expect(addDims('N', 'N')).toBe('2*N');
    expect(subDims('N*T', 'N*T')).toBe(0);
    expect(mulDims('N', 'T')).toBe('N*T');
    expect(mulDims(3, 4)).toBe(12);
    expect(divDims('N*T*D', 'D')).toBe('N*T');
    expect(divDims('N*T + N', 'T + 1')).toBe('N');
    expect(divDims('N^2 - 1', 'N + 1')).toBe('N - 1');
    expect(divDims('N', 'T + 1')).toBeUndefined();
    expect(divDims('N', 0)).toBeUndefined();
    expect(divDims(5, 2)).toBe(2.5);
    expect(powDim('N', 3)).toBe('N^3');
    expect(productOfDims(['N', 3, 'T', 2])).toBe('6*N*T');
    expect(productOfDims([2, 3])).toBe(6);
    expect(dimSymbols('D*N*T + T')).toEqual(['D', 'N', 'T']);
  });

  it('binds names, possibly leaving others symbolic', () => {
    expect(substituteDim('N*T', { N: 4 })).toBe('4*T');
    expect(substituteDim('N*T', { N: 4, T: 3 })).toBe(12);
    expect(substituteDim('N/4', { N: 30 })).toBe(7.5);
    expect(substituteDim('T - 1', { T: 0 })).toBe(-1);
    expect(substituteDim(7, { N: 1 })).toBe(7);
  });

  it('solves a dim for its one unbound name', () => {
    expect(solveDim('N*T', 12, { T: 3 })).toEqual({ name: 'N', value: 4 });
    expect(solveDim('D + 1', 5, {})).toEqual({ name: 'D', value: 4 });
    expect(solveDim('2*N', 7, {})).toEqual({ name: 'N', value: 3.5 });
    expect(solveDim('N*T', 12, {})).toBeUndefined();
    expect(solveDim('N^2', 9, {})).toBeUndefined();
    expect(solveDim('N', 9, { N: 9 })).toBeUndefined();
  });

  it('lists its terms, which sum to its value (the ONNX exporter computes sizes so)', () => {
    expect(dimTerms('N*T - N')).toEqual(
      expect.arrayContaining([
        {
          num: 1,
          den: 1,
          factors: [
            ['N', 1],
            ['T', 1],
          ],
        },
        { num: -1, den: 1, factors: [['N', 1]] },
      ]),
    );
    expect(dimTerms('N/2')).toEqual([{ num: 1, den: 2, factors: [['N', 1]] }]);
    expect(dimTerms(3)).toEqual([{ num: 3, den: 1, factors: [] }]);
    expect(dimTerms(0)).toEqual([]);
    const at = { N: 6, T: 4 };
    const value = (d: Dim) =>
      dimTerms(d).reduce(
        (s, t) => s + (t.num / t.den) * t.factors.reduce((p, [n, e]) => p * at[n as 'N'] ** e, 1),
        0,
      );
    for (const d of ['N*T - N', '(N + 2)*(T - 1)/2', 'N^2/T + 1'])
      expect(value(d)).toBe(substituteDim(d, at));
  });
});
