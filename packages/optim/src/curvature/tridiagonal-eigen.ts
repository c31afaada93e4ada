/**
 * Eigenvalues of a symmetric tridiagonal matrix by the implicit QL method with Wilkinson-style
 * shifts (the EISPACK routine tql2, as in JAMA), together with the LAST component of every
 * eigenvector: the only part of the eigenvectors the Lanczos error bounds need. Each QL
 * rotation acts on the rows of the eigenvector matrix independently, so carrying one row costs
 * O(n) per rotation and the whole decomposition O(n²), instead of O(n³) with full vectors.
 */

export interface TridiagonalEigen {
  /** Eigenvalues, descending. */
  readonly values: Float64Array;
  /** lastComponents[k]: the last entry of the unit eigenvector of values[k]. */
  readonly lastComponents: Float64Array;
}

/**
 * `diagonal` has n entries; `offDiagonal` has n − 1 (offDiagonal[i] couples rows i and i + 1).
 */
export function tridiagonalEigen(
  diagonal: ArrayLike<number>,
  offDiagonal: ArrayLike<number>,
): TridiagonalEigen {
  const n = diagonal.length;
  if (offDiagonal.length !== Math.max(0, n - 1))
    throw new Error(`tridiagonalEigen: ${offDiagonal.length} off-diagonal entries for ${n} rows`);
  const d = Float64Array.from(diagonal);
  // e[i] couples i and i + 1; e[n − 1] = 0.
  const e = new Float64Array(n);
  for (let i = 0; i + 1 < n; i++) e[i] = offDiagonal[i];
  // The last row of the accumulated rotations, starting from the identity's.
  const z = new Float64Array(n);
  if (n > 0) z[n - 1] = 1;
  // An off-diagonal entry below ε·‖T‖ (or below 1e-300, where quotients would underflow or
  // overflow) is zero: the matrix splits there. ‖T‖ is taken over the whole matrix, so a tiny
  // entry next to tiny diagonal entries still counts as tiny when the rest of T is not.
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(d[i]) + Math.abs(e[i]));
  const negligible = Math.max(2 ** -52 * norm, 1e-300);
  let f = 0;
  for (let l = 0; l < n; l++) {
    let m = l;
    while (m < n && Math.abs(e[m]) > negligible) m++;
    if (m > l) {
      for (let iter = 0; iter < 200; iter++) {
        // The shift: the eigenvalue of the leading 2×2 block nearer to d[l].
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        // The implicit QL sweep from m up to l.
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const zi1 = z[i + 1];
          z[i + 1] = s * z[i] + c * zi1;
          z[i] = c * z[i] - s * zi1;
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (!(Math.abs(e[l]) > negligible)) break;
      }
    }
    d[l] += f;
    e[l] = 0;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[j] - d[i]);
  return {
    values: Float64Array.from(order, (i) => d[i]),
    lastComponents: Float64Array.from(order, (i) => z[i]),
  };
}
