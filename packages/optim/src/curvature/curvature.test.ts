import { concat, graph, init, initVariables } from '@gradus/autodiff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hessianSpectrum } from './hessian-spectrum.js';
import { lanczos } from './lanczos.js';
import { symmetricEigen, symmetricWithEigenvalues } from './symmetric-eigen.js';
import { tridiagonalEigen } from './tridiagonal-eigen.js';

/** A dense symmetric matrix with exactly the eigenvalues `lambda`, row-major. */
const withEigenvalues = (lambda: readonly number[], u: readonly number[]): Float64Array =>
  Float64Array.from(symmetricWithEigenvalues(lambda, u).flat());

const matVec = (a: Float64Array, n: number) => (v: Float64Array) =>
  Float64Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += a[i * n + j] * v[j];
    return s;
  });

const spectrum = fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 12 });
const direction = (n: number) =>
  fc.array(fc.double({ min: 0.1, max: 2, noNaN: true }), { minLength: n, maxLength: n });

describe('symmetricEigen (Jacobi)', () => {
  it('recovers the eigenvalues a matrix was built with, and A·v = λ·v', () => {
    fc.assert(
      fc.property(
        spectrum.chain((l) => fc.tuple(fc.constant(l), direction(l.length))),
        ([lambda, u]) => {
          const n = lambda.length;
          const a = withEigenvalues(lambda, u);
          const { values, vectors } = symmetricEigen(a, n);
          const want = [...lambda].sort((x, y) => y - x);
          values.forEach((v, i) => {
            expect(v).toBeCloseTo(want[i], 9);
          });
          for (let k = 0; k < n; k++) {
            const v = Float64Array.from({ length: n }, (_, i) => vectors[i * n + k]);
            const av = matVec(a, n)(v);
            av.forEach((x, i) => {
              expect(x).toBeCloseTo(values[k] * v[i], 9);
            });
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('tridiagonalEigen (implicit QL)', () => {
  it('agrees with the dense Jacobi decomposition: values and |last eigenvector components|', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 15 })
          .chain((n) =>
            fc.tuple(
              fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: n, maxLength: n }),
              fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: n - 1, maxLength: n - 1 }),
            ),
          ),
        ([d, e]) => {
          const n = d.length;
          const t = new Float64Array(n * n);
          d.forEach((x, i) => {
            t[i * n + i] = x;
          });
          e.forEach((x, i) => {
            t[i * n + i + 1] = x;
            t[(i + 1) * n + i] = x;
          });
          const dense = symmetricEigen(t, n);
          const tri = tridiagonalEigen(d, e);
          tri.values.forEach((v, k) => {
            expect(v).toBeCloseTo(dense.values[k], 9);
          });
          // Components are defined up to sign, and only for simple eigenvalues.
          tri.values.forEach((v, k) => {
            const simple = tri.values.every((w, j) => j === k || Math.abs(w - v) > 1e-6);
            if (simple)
              expect(Math.abs(tri.lastComponents[k])).toBeCloseTo(
                Math.abs(dense.vectors[(n - 1) * n + k]),
                6,
              );
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('tridiagonalEigen on degenerate input', () => {
  it('treats subnormal couplings as zero instead of dividing by them', () => {
    const r = tridiagonalEigen([0, 1e-14, 0], [-5e-324, 0]);
    expect(Array.from(r.values)).toEqual([1e-14, 0, 0]);
    expect(r.lastComponents.every(Number.isFinite)).toBe(true);
    expect(Array.from(tridiagonalEigen([], []).values)).toEqual([]);
  });
});

describe('lanczos', () => {
  it('finds the whole spectrum of a small matrix, repeated eigenvalues included', () => {
    const lambda = [9, 5, 5, 1, 1, 1, -2];
    const a = withEigenvalues(lambda, [1, 0.3, -0.7, 0.2, 1.1, 0.5, -0.4]);
    const r = lanczos(matVec(a, 7), 7, { top: 7 });
    expect(r.complete).toBe(true);
    expect(r.iterations).toBe(7);
    r.ritz.forEach((x, i) => {
      expect(Math.abs(x.value - lambda[i])).toBeLessThan(1e-12);
    });
  });

  it('converges to the extreme eigenvalues of a large operator long before n steps, and its bounds hold', () => {
    const n = 3000;
    // A diagonal operator with a known spectrum: 100, 99, 98 on top, a bulk in (1, 50), and 0.5 at the bottom.
    const diag = Float64Array.from({ length: n }, (_, i) =>
      i < 3 ? 100 - i : i === n - 1 ? 0.5 : 1 + 49 * ((i * 0.6180339887) % 1),
    );
    const r = lanczos((v) => v.map((x, i) => x * diag[i]), n, { top: 1, tol: 1e-10, maxIterations: 300 });
    expect(r.converged).toBe(true);
    expect(r.complete).toBe(false);
    expect(r.iterations).toBeLessThan(300);
    const sorted = [...diag].sort((x, y) => y - x);
    // Well-separated eigenvalues at the top converge first: 100, 99, 98 all have tight bounds.
    r.ritz.slice(0, 3).forEach((x, i) => {
      expect(Math.abs(x.value - sorted[i])).toBeLessThanOrEqual(x.bound + 1e-12);
      expect(Math.abs(x.value - sorted[i])).toBeLessThan(1e-9);
    });
    expect(Math.abs(r.ritz[r.ritz.length - 1].value - 0.5)).toBeLessThan(1e-8);
    // Every Ritz value, converged or not, has a true eigenvalue within its bound.
    for (const x of r.ritz) {
      const nearest = Math.min(...[...diag].map((d) => Math.abs(d - x.value)));
      expect(nearest).toBeLessThanOrEqual(x.bound * (1 + 1e-6) + 1e-10);
    }
  });

  it('rejects an operator that returns the wrong size or non-finite values', () => {
    expect(() => lanczos(() => new Float64Array(2), 3)).toThrow(/2 numbers for 3/);
    expect(() => lanczos((v) => v.map(() => Number.NaN), 3)).toThrow(/not finite/);
  });
});

describe('hessianSpectrum', () => {
  it("gives a quadratic's eigenvalues over two params, cross terms included", () => {
    // ½ zᵀAz with z = (a, b) ∈ R³ split over two params: the spectrum of A.
    const lambda = [7, 2.5, 0.25];
    const A = withEigenvalues(lambda, [0.4, -1, 0.8]);
    const g = graph();
    const a = g.param('a', [2], init.literal([0.3, -0.2]));
    const b = g.param('b', [1], init.literal([1.5]));
    const z = concat([a, b], 0);
    const Am = g.constant(Array.from({ length: 3 }, (_, i) => Array.from(A.slice(3 * i, 3 * i + 3))));
    const loss = z
      .reshape([1, 3])
      .matMul(Am)
      .matMul(z.reshape([3, 1]))
      .reshape([])
      .mul(0.5);
    g.output('loss', loss, 'loss');
    const s = hessianSpectrum(g, initVariables(g, 0), { top: 3 });
    expect(s.n).toBe(3);
    expect(s.complete).toBe(true);
    s.largest.forEach((x, i) => {
      expect(Math.abs(x.value - lambda[i])).toBeLessThan(1e-12);
    });
    expect(s.lambdaMin).toBeCloseTo(0.25, 12);
    expect(s.condition).toBeCloseTo(28, 10);
    expect(s.maxStableLr).toBeCloseTo(2 / 7, 12);
    expect(s.optimalLr).toBeCloseTo(2 / 7.25, 12);
    expect(s.rate).toBeCloseTo(27 / 29, 12);
  });

  it('has no condition number or optimal lr at a saddle', () => {
    const g = graph();
    const p = g.param('p', [2], init.literal([0.1, 0.2]));
    g.output(
      'loss',
      p
        .index([0])
        .square()
        .sub(p.index([1]).square().mul(3)),
      'loss',
    );
    const s = hessianSpectrum(g, initVariables(g, 0), { top: 1 });
    expect(s.lambdaMax).toBeCloseTo(2, 12);
    expect(s.lambdaMin).toBeCloseTo(-6, 12);
    expect(s.condition).toBeUndefined();
    expect(s.optimalLr).toBeUndefined();
    expect(s.maxStableLr).toBeCloseTo(1, 12);
  });
});
