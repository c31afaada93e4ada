/**
 * The Lanczos method for the extreme eigenvalues of a symmetric operator known only through its
 * products A·v (for a loss, Hessian-vector products: two gradient evaluations each, never the
 * matrix). After j steps the orthonormal basis Q of the Krylov space span{q, Aq, …, A^{j−1}q}
 * turns A into the tridiagonal T = QᵀAQ, whose eigenvalues (Ritz values) approach A's largest
 * and smallest eigenvalues first (Golub & Van Loan, Matrix Computations, 4th ed., §10.1).
 *
 * Three choices make it dependable here:
 * - full reorthogonalisation (twice, against every basis vector) keeps Q orthonormal in floating
 *   point, so no spurious copies of converged eigenvalues appear;
 * - on breakdown (the Krylov space is invariant: β ≈ 0) it restarts from a fresh random vector
 *   orthogonal to Q, so repeated eigenvalues and eigenvalues the start vector missed are found too,
 *   and after n steps T is similar to A: the whole spectrum, exact to rounding;
 * - every Ritz value θ comes with a rigorous error bound: A has an eigenvalue within |β·s_last|
 *   of θ, the norm of the Ritz pair's residual ‖A·y − θ·y‖ (s is θ's eigenvector of T).
 */
import { normalAt } from '@gradus/autodiff';
import { tridiagonalEigen } from './tridiagonal-eigen.js';

export type LinearOperator = (v: Float64Array) => Float64Array;

export interface LanczosOptions {
  /** How many extreme eigenvalues at each end must converge (default 1). */
  readonly top?: number;
  /** At most this many steps, i.e. operator products (default min(n, max(100, 4·top))). */
  readonly maxIterations?: number;
  /** Stop once every wanted Ritz value's bound is ≤ tol·max|θ| (default 1e-8). */
  readonly tol?: number;
  /** Seed of the random start (and restart) vectors (default 0). */
  readonly seed?: number;
}

export interface RitzValue {
  readonly value: number;
  /** A has an eigenvalue in [value − bound, value + bound] (rounding included). */
  readonly bound: number;
}

export interface LanczosResult {
  /** Every Ritz value of the final T, descending, each with its error bound. */
  readonly ritz: readonly RitzValue[];
  /** Operator products made (= Lanczos steps). */
  readonly iterations: number;
  /** T spans the whole space (iterations = n): its eigenvalues are all of A's, exact to rounding. */
  readonly complete: boolean;
  /** Every wanted Ritz value met the tolerance (always true when complete). */
  readonly converged: boolean;
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** w minus its projection on every vector of the orthonormal basis, twice ("twice is enough"). */
function orthogonalise(w: Float64Array, basis: readonly Float64Array[]): void {
  for (let pass = 0; pass < 2; pass++) {
    for (const q of basis) {
      const c = dot(q, w);
      for (let i = 0; i < w.length; i++) w[i] -= c * q[i];
    }
  }
}

/**
 * The Ritz values of the tridiagonal (alpha, beta) with bounds |β_next·s_last|, but never below
 * `floor`: the rounding error of the whole computation (with full reorthogonalisation the Ritz
 * values are exact for a matrix within about n·ε·‖A‖ of A).
 */
function ritzOf(alpha: readonly number[], beta: readonly number[], next: number, floor: number): RitzValue[] {
  const { values, lastComponents } = tridiagonalEigen(alpha, beta);
  return Array.from(values, (value, k) => ({
    value,
    bound: Math.max(floor, Math.abs(next * lastComponents[k])),
  }));
}

/**
 * Lanczos on the symmetric operator `op` of dimension n. Returns all Ritz values of the last
 * tridiagonal matrix, descending, with error bounds; the first and last `top` are the ones the
 * stopping rule waits for.
 */
export function lanczos(op: LinearOperator, n: number, opts: LanczosOptions = {}): LanczosResult {
  if (!(Number.isInteger(n) && n >= 1))
    throw new Error(`lanczos: dimension must be a positive integer, got ${n}`);
  const top = Math.max(1, Math.min(opts.top ?? 1, n));
  const maxIterations = Math.min(n, opts.maxIterations ?? Math.max(100, 4 * top));
  const tol = opts.tol ?? 1e-8;
  const seed = opts.seed ?? 0;
  let restarts = 0;
  const randomUnit = (basis: readonly Float64Array[]): Float64Array | undefined => {
    // A few tries: a random vector is orthogonal to a proper subspace with probability 0.
    for (let attempt = 0; attempt < 5; attempt++) {
      const r = Float64Array.from({ length: n }, (_, i) => normalAt(seed, 0x1a2c, restarts, i));
      restarts++;
      orthogonalise(r, basis);
      const norm = Math.sqrt(dot(r, r));
      if (norm > 1e-8) return r.map((x) => x / norm);
    }
    return undefined;
  };

  const basis: Float64Array[] = [];
  const alpha: number[] = [];
  const beta: number[] = [];
  let q = randomUnit(basis)!;
  let scale = 0;
  let ritz: RitzValue[] = [];
  let next = 0;
  const wantedConverged = (r: readonly RitzValue[]): boolean => {
    const size = Math.max(...r.map((x) => Math.abs(x.value)), Number.MIN_VALUE);
    const wanted = r.length <= 2 * top ? r : [...r.slice(0, top), ...r.slice(-top)];
    return wanted.every((x) => x.bound <= tol * size);
  };
  for (let j = 0; j < maxIterations; j++) {
    basis.push(q);
    const w = op(q);
    if (w.length !== n) throw new Error(`lanczos: the operator returned ${w.length} numbers for ${n}`);
    if (!w.every(Number.isFinite))
      throw new Error('lanczos: the operator returned values that are not finite');
    const a = dot(q, w);
    alpha.push(a);
    orthogonalise(w, basis);
    const b = Math.sqrt(dot(w, w));
    scale = Math.max(scale, Math.abs(a) + b + (j > 0 ? beta[j - 1] : 0));
    const last = j + 1 === maxIterations;
    // β this small relative to ‖T‖ means the Krylov space is (numerically) invariant.
    const breakdown = b <= 1e-12 * scale;
    next = breakdown ? 0 : b;
    if (breakdown || last || (j + 1) % 5 === 0) {
      ritz = ritzOf(alpha, beta, next, n * 2 ** -52 * scale);
      if (basis.length === n || last) break;
      if (!breakdown && wantedConverged(ritz)) break;
    }
    if (breakdown) {
      const fresh = randomUnit(basis);
      if (!fresh) break;
      beta.push(0);
      q = fresh;
    } else {
      beta.push(b);
      q = w.map((x) => x / b);
    }
  }
  const complete = basis.length === n;
  return { ritz, iterations: basis.length, complete, converged: complete || wantedConverged(ritz) };
}
