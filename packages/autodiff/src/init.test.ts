import { describe, expect, it } from 'vitest';
import { GradusError } from './diagnostic.js';
import { graph } from './graph.js';
import { fans, type InitSpec, init, initialValue } from './init.js';
import { initVariables, interpret } from './interpreter.js';

const values = (spec: InitSpec, shape: number[], seed = 1, name = 'W') =>
  Array.from(initialValue(spec, shape, seed, name));

const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const stdOf = (xs: number[]) => {
  const m = meanOf(xs);
  return Math.sqrt(xs.reduce((a, v) => a + (v - m) ** 2, 0) / xs.length);
};

/** Column j of a row-major [rows, cols] matrix. */
const column = (w: number[], rows: number, cols: number, j: number) =>
  Array.from({ length: rows }, (_, i) => w[i * cols + j]);
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);

describe('initialisers', () => {
  it('glorot_uniform stays within ±√(6/(m+n)) and fills that range', () => {
    const [m, n] = [60, 40];
    const w = values(init.glorotUniform(), [m, n]);
    const limit = Math.sqrt(6 / (m + n));
    expect(w.every((v) => Math.abs(v) <= limit)).toBe(true);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.98 * limit);
    // U(−a, a) has standard deviation a/√3.
    expect(stdOf(w) / (limit / Math.sqrt(3))).toBeCloseTo(1, 1);
    expect(Math.abs(meanOf(w))).toBeLessThan(0.02 * limit);
  });

  it('lecun_uniform is U(±1/√m), the lectures’ first heuristic', () => {
    const w = values(init.lecunUniform(), [25, 30]);
    expect(w.every((v) => Math.abs(v) <= 1 / 5)).toBe(true);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.98 / 5);
  });

  it('he_normal has standard deviation √(2/m) on a large tensor', () => {
    const [m, n] = [400, 300];
    const w = values(init.heNormal(), [m, n]);
    // 120000 samples: the sample std is within ~0.2% of the true one; allow 2%.
    expect(Math.abs(stdOf(w) / Math.sqrt(2 / m) - 1)).toBeLessThan(0.02);
    expect(Math.abs(meanOf(w))).toBeLessThan(0.01 * Math.sqrt(2 / m));
  });

  it('normal(std, mean) and uniform(lo, hi) follow their parameters', () => {
    const z = values(init.normal(0.5, 3), [200, 100]);
    expect(meanOf(z)).toBeCloseTo(3, 1);
    expect(stdOf(z)).toBeCloseTo(0.5, 1);
    const u = values(init.uniform(2, 5), [1000]);
    expect(u.every((v) => v >= 2 && v < 5)).toBe(true);
    expect(values(init.constant(1.5), [3])).toEqual([1.5, 1.5, 1.5]);
    expect(values(init.ones(), [2])).toEqual([1, 1]);
    expect(values(init.zeros(), [2])).toEqual([0, 0]);
  });

  it('orthogonal gives QᵀQ ≈ I for a tall matrix and QQᵀ ≈ I for a wide one, times gain²', () => {
    for (const [rows, cols, gain] of [
      [7, 4, 1],
      [3, 6, 1],
      [5, 5, 2],
    ] as const) {
      const q = values(init.orthogonal(gain), [rows, cols]);
      const tall = rows >= cols;
      const k = tall ? cols : rows;
      const vec = (i: number) => (tall ? column(q, rows, cols, i) : q.slice(i * cols, (i + 1) * cols));
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          expect(dot(vec(i), vec(j)), `${rows}x${cols} (${i}, ${j})`).toBeCloseTo(
            i === j ? gain * gain : 0,
            12,
          );
        }
      }
    }
  });

  it('sparse(k) puts exactly k nonzeros in every column', () => {
    const [rows, cols, k] = [12, 9, 3];
    const w = values(init.sparse(k), [rows, cols]);
    for (let j = 0; j < cols; j++) {
      expect(column(w, rows, cols, j).filter((v) => v !== 0).length, `column ${j}`).toBe(k);
    }
    // Different columns choose different rows.
    const rowsOf = (j: number) =>
      column(w, rows, cols, j)
        .map((v, i) => (v !== 0 ? i : -1))
        .filter((i) => i >= 0)
        .join(',');
    expect(new Set(Array.from({ length: cols }, (_, j) => rowsOf(j))).size).toBeGreaterThan(1);
  });

  it('a literal of the wrong length is an error naming the variable', () => {
    expect(() => values(init.literal([1, 2, 3]), [2, 2], 1, 'theta')).toThrow(GradusError);
    expect(() => values(init.literal([1, 2, 3]), [2, 2], 1, 'theta')).toThrow(/'theta'.*3 numbers.*\[2, 2\]/);
    const g = graph();
    g.param('p', [2], init.literal([1, 2, 3]));
    expect(() => initVariables(g, 0)).toThrow(GradusError);
    expect(values(init.literal([4, 0.5]), [2])).toEqual([4, 0.5]);
  });

  it('depends only on (seed, name): reproducible, and different for another seed or name', () => {
    expect(values(init.glorotNormal(), [5, 5], 3, 'W1')).toEqual(
      values(init.glorotNormal(), [5, 5], 3, 'W1'),
    );
    expect(values(init.glorotNormal(), [5, 5], 3, 'W1')).not.toEqual(
      values(init.glorotNormal(), [5, 5], 4, 'W1'),
    );
    expect(values(init.glorotNormal(), [5, 5], 3, 'W1')).not.toEqual(
      values(init.glorotNormal(), [5, 5], 3, 'W2'),
    );
  });

  it('fills params through the interpreter when no feed is given', () => {
    const g = graph();
    const W = g.param('W', [30, 20], init.glorotUniform());
    const [w] = interpret([W.node], { initSeed: 9 });
    expect(Array.from(w.data)).toEqual(values(init.glorotUniform(), [30, 20], 9, 'W'));
    expect(() => interpret([W.node])).toThrow(/no value given for variable 'W'/);
  });

  it('takes fan-in from the first dim and fan-out from the last (x @ W layout)', () => {
    expect(fans([3, 7])).toEqual({ fanIn: 3, fanOut: 7 });
    expect(fans([5])).toEqual({ fanIn: 5, fanOut: 5 });
  });
});
