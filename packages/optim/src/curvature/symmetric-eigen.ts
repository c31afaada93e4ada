/**
 * Eigenvalues and eigenvectors of a small dense symmetric matrix by the cyclic Jacobi method
 * (Golub & Van Loan, Matrix Computations, 4th ed., §8.5): plane rotations zero the off-diagonal
 * entries one at a time until they are negligible. It is slow (O(n³) per sweep) but simple and
 * accurate to a few units of rounding relative to the matrix's norm, which is what the Lanczos
 * tridiagonal matrices (tens to a few hundred rows) and the small dense Hessians of tests need.
 */

export interface SymmetricEigen {
  /** Eigenvalues, descending. */
  readonly values: Float64Array;
  /** Row-major n×n: column j is the unit eigenvector of `values[j]`. */
  readonly vectors: Float64Array;
}

/** The eigen-decomposition of the symmetric n×n matrix `a` (row-major; only its symmetric part is used). */
export function symmetricEigen(a: ArrayLike<number>, n: number): SymmetricEigen {
  if (a.length !== n * n) throw new Error(`symmetricEigen: ${a.length} entries for a ${n}×${n} matrix`);
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m[i * n + j] = (a[i * n + j] + a[j * n + i]) / 2;
  if (!m.every(Number.isFinite))
    throw new Error('symmetricEigen: the matrix has entries that are not finite');
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const offNorm = () => {
    let s = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) s += m[i * n + j] * m[i * n + j];
    return Math.sqrt(2 * s);
  };
  let total = 0;
  for (let k = 0; k < n * n; k++) total += m[k] * m[k];
  const scale = Math.sqrt(total);
  for (let sweep = 0; sweep < 100 && offNorm() > 1e-15 * scale; sweep++) {
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const app = m[p * n + p];
        const aqq = m[q * n + q];
        // The rotation angle that zeroes m[p][q]: t = tan θ, the smaller root for stability.
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j] - m[i * n + i]);
  const values = Float64Array.from(order, (i) => m[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src];
  });
  return { values, vectors };
}

/** Q·diag(λ)·Qᵀ with Q = I − 2uuᵀ/uᵀu (a Householder reflection), row by row. */
export function symmetricWithEigenvalues(eigenvalues: readonly number[], u: readonly number[]): number[][] {
  const n = eigenvalues.length;
  if (u.length !== n) throw new Error(`symmetricWithEigenvalues: ${u.length} reflection entries for ${n}`);
  const uu = u.reduce((s, x) => s + x * x, 0);
  if (!(uu > 0)) throw new Error('symmetricWithEigenvalues: the reflection vector is zero');
  const q = (i: number, j: number) => (i === j ? 1 : 0) - (2 * u[i] * u[j]) / uu;
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => eigenvalues.reduce((s, l, k) => s + q(i, k) * l * q(j, k), 0)),
  );
}
