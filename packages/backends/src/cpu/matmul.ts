/**
 * Matrix-product kernels, emitted as JavaScript helpers into the generated module (so each
 * executable's typed-array accesses stay monomorphic). Every output element adds its k products
 * in order 0..k-1 in a double accumulator, exactly as the reference interpreter does, so results
 * match it bit for bit in f64 and after one rounding in f32.
 *
 * The kernel packs a block of `NB` columns of B into 4-wide panels (`P[(panel·k + p)·4 + c]`, in
 * doubles), then computes 4×4 tiles of C in registers, streaming four rows of A and one panel.
 * Transposed operands only change how A is addressed and how B is packed: no transpose is ever
 * materialised.
 */

/** Column-block width: the packed block of B (k × NB doubles) stays in cache across row tiles. */
export const NB = 64;

/** A(i, p) for A of shape [m, k] (or [k, lda] when transposed: lda ≥ m when a row range is taken). */
function aAt(transA: boolean, i: string, p: string): string {
  return transA ? `A[ao + ${p} * lda + ${i}]` : `A[ao + ${i} * k + ${p}]`;
}

/** B(p, j) for B of shape [k, n] (or [n, k] when transposed). */
function bAt(transB: boolean, p: string, j: string): string {
  return transB ? `B[bo + ${j} * k + ${p}]` : `B[bo + ${p} * n + ${j}]`;
}

export function matmulHelperName(transA: boolean, transB: boolean): string {
  return `mm_${transA ? 't' : 'n'}${transB ? 't' : 'n'}`;
}

/**
 * Source of the helper `mm_XY(A, ao, B, bo, C, co, m, n, k, lda)` computing C = op(A) op(B);
 * `lda` is the row length of a transposed A (unused otherwise).
 */
export function matmulHelper(transA: boolean, transB: boolean): string {
  const name = matmulHelperName(transA, transB);
  const tile: string[] = [];
  const acc: string[] = [];
  const store: string[] = [];
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      acc.push(`c${r}${c} = 0`);
      tile.push(`c${r}${c} += a${r} * b${c};`);
      store.push(`C[o${r} + ${c}] = c${r}${c};`);
    }
  }
  // Rows of A for the tile: contiguous in p unless A is transposed (then the four rows are adjacent).
  const rowBase = transA
    ? 'const r0 = ao + i, r1 = r0 + 1, r2 = r0 + 2, r3 = r0 + 3;'
    : 'const r0 = ao + i * k, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k;';
  const aLoad = (r: number) => (transA ? `A[r${r} + p * lda]` : `A[r${r} + p]`);
  return `let ${name}_pk = new Float64Array(0);
function ${name}(A, ao, B, bo, C, co, m, n, k, lda) {
  if (${name}_pk.length < k * ${NB}) ${name}_pk = new Float64Array(k * ${NB});
  const P = ${name}_pk;
  const m4 = m & ~3;
  for (let jb = 0; jb < n; jb += ${NB}) {
    const w = Math.min(${NB}, n - jb), w4 = w & ~3;
    for (let jp = 0; jp < w4; jp += 4) {
      let q = jp * k;
      for (let p = 0; p < k; p++, q += 4) {
        P[q] = ${bAt(transB, 'p', '(jb + jp)')};
        P[q + 1] = ${bAt(transB, 'p', '(jb + jp + 1)')};
        P[q + 2] = ${bAt(transB, 'p', '(jb + jp + 2)')};
        P[q + 3] = ${bAt(transB, 'p', '(jb + jp + 3)')};
      }
    }
    for (let i = 0; i < m4; i += 4) {
      ${rowBase}
      for (let jp = 0; jp < w4; jp += 4) {
        let ${acc.join(', ')};
        let q = jp * k;
        for (let p = 0; p < k; p++, q += 4) {
          const a0 = ${aLoad(0)}, a1 = ${aLoad(1)}, a2 = ${aLoad(2)}, a3 = ${aLoad(3)};
          const b0 = P[q], b1 = P[q + 1], b2 = P[q + 2], b3 = P[q + 3];
          ${tile.join('\n          ')}
        }
        const o0 = co + i * n + jb + jp, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
        ${store.join('\n        ')}
      }
    }
    // Edges: rows past the last full tile and columns past the last full panel, one dot at a time.
    for (let i = 0; i < m; i++) {
      for (let j = i < m4 ? jb + w4 : jb; j < jb + w; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += ${aAt(transA, 'i', 'p')} * ${bAt(transB, 'p', 'j')};
        C[co + i * n + j] = s;
      }
    }
  }
}`;
}
