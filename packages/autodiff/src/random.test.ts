import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalAt, permutation, randomBits, streamOf, uniformAt } from './random.js';

describe('counter-based random numbers', () => {
  const u32 = fc.nat({ max: 0xffffffff });

  it('are a pure function of (seed, stream, counter, index)', () => {
    fc.assert(
      fc.property(u32, u32, u32, u32, (s, t, c, i) => {
        expect(uniformAt(s, t, c, i)).toBe(uniformAt(s, t, c, i));
        expect(normalAt(s, t, c, i)).toBe(normalAt(s, t, c, i));
      }),
    );
  });

  it('change when any one of the four keys changes', () => {
    fc.assert(
      fc.property(u32, u32, u32, u32, fc.integer({ min: 0, max: 3 }), (s, t, c, i, which) => {
        const keys = [s, t, c, i];
        const other = [...keys];
        other[which] = (other[which] + 1) >>> 0;
        const a = Array.from({ length: 4 }, (_, k) => randomBits(keys[0], keys[1], keys[2], keys[3] + k));
        const b = Array.from({ length: 4 }, (_, k) => randomBits(other[0], other[1], other[2], other[3] + k));
        expect(a).not.toEqual(b);
      }),
    );
  });

  it('uniforms lie in [0, 1) and are exact in f32', () => {
    fc.assert(
      fc.property(u32, u32, u32, u32, (s, t, c, i) => {
        const u = uniformAt(s, t, c, i);
        expect(u >= 0 && u < 1).toBe(true);
        expect(Math.fround(u)).toBe(u);
      }),
    );
  });

  it('normals are finite', () => {
    fc.assert(
      fc.property(u32, u32, u32, u32, (s, t, c, i) => {
        expect(Number.isFinite(normalAt(s, t, c, i))).toBe(true);
      }),
    );
  });

  it('consecutive steps are uncorrelated', () => {
    const n = 5000;
    const a = Array.from({ length: n }, (_, i) => uniformAt(1, 2, 10, i) - 0.5);
    const b = Array.from({ length: n }, (_, i) => uniformAt(1, 2, 11, i) - 0.5);
    const corr = a.reduce((s, v, i) => s + v * b[i], 0) / n / (1 / 12);
    // For independent uniforms the sample correlation has sd 1/√n ≈ 0.014.
    expect(Math.abs(corr)).toBeLessThan(0.06);
  });

  it('permutation is a seeded permutation of 0..n-1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 50 }), u32, u32, (n, seed, counter) => {
        const p = Array.from(permutation(n, seed, 0, counter));
        expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(Array.from(permutation(n, seed, 0, counter))).toEqual(p);
      }),
    );
    expect(Array.from(permutation(20, 1, 0, 0))).not.toEqual(Array.from(permutation(20, 1, 0, 1)));
  });

  it('stream ids are stable per name', () => {
    expect(streamOf('W1')).toBe(streamOf('W1'));
    expect(streamOf('W1')).not.toBe(streamOf('W2'));
    expect(streamOf('')).toBe(0x811c9dc5);
  });
});
