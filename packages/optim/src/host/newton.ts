/**
 * Newton's method on the host: x ← x + lr·d with (H + λI)·d = −∇f, solved by a Cholesky
 * factorisation. With lr = 1 and λ = 0 this steps to the minimum of the local quadratic model
 * f(x) + gᵀd + ½dᵀHd, the lectures' θ* = θ₀ − H⁻¹∇J, so a convex quadratic is solved in one step.
 *
 * Away from a minimum H may be indefinite, and then the Newton step can point uphill or to a
 * saddle point (the lectures' warning). Cholesky fails on exactly those matrices, so instead of
 * a bad step the damping λ is raised (Levenberg) until H + λI is positive definite: the step
 * turns towards (a scaled) steepest descent as λ grows.
 */
import { concat, diagnostic, GradusError, grad, type Value } from '@gradus/autodiff';

/**
 * The lower-triangular L with L·Lᵀ = A for a symmetric positive-definite n×n matrix A
 * (row-major), or undefined when A is not positive definite (a pivot ≤ 0 or not finite).
 */
export function cholesky(a: Float64Array, n: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
    if (!(d > 0) || !Number.isFinite(d)) return undefined;
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / ljj;
    }
  }
  return l;
}

/** Solves L·Lᵀ·x = b by forward and back substitution. */
export function choleskySolve(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * z[k];
    z[i] = s / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

export interface NewtonDirection {
  /** d with (H + λI)·d = −g. */
  readonly d: Float64Array;
  /** The damping λ used: the requested one, or more when H + λI was not positive definite. */
  readonly damping: number;
}

/**
 * The (damped) Newton direction. H is symmetrised first (second derivatives computed in two
 * orders differ by rounding). When H + λI is not positive definite, λ grows tenfold from
 * max(λ, 1e-8·scale) — scale being H's largest |diagonal entry| (or 1) — until it is; a
 * Gershgorin bound guarantees that this ends. Returns undefined only for a non-finite H or g.
 */
export function newtonDirection(
  h: ArrayLike<number>,
  g: ArrayLike<number>,
  n: number,
  damping = 0,
): NewtonDirection | undefined {
  const a = new Float64Array(n * n);
  let scale = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a[i * n + j] = (h[i * n + j] + h[j * n + i]) / 2;
    scale = Math.max(scale, Math.abs(a[i * n + i]));
  }
  if (!a.every(Number.isFinite) || !Array.from(g).every(Number.isFinite)) return undefined;
  const minusG = Float64Array.from(g, (v) => -v);
  let lambda = damping;
  for (let attempt = 0; attempt < 400; attempt++) {
    const m = Float64Array.from(a);
    for (let i = 0; i < n; i++) m[i * n + i] += lambda;
    const l = cholesky(m, n);
    if (l) return { d: choleskySolve(l, n, minusG), damping: lambda };
    lambda = Math.max(10 * lambda, 1e-8 * Math.max(scale, 1));
  }
  return undefined;
}

/** Newton's method with the exact Hessian is meant for parameter vectors up to this size. */
export const NEWTON_MAX_PARAMS = 2000;

/**
 * The Hessian of a scalar loss, given its `grads` with respect to `params`, over several params at once, as an [n, n] value
 * over their concatenated, flattened elements (in the order given, each row-major). `hessian`
 * from @gradus/autodiff takes one param; this is the same construction — one
 * gradient-of-gradient row per element — over the concatenation, so the off-diagonal blocks
 * (how W1 and W2 interact) are there too. The graph grows with n, hence `NEWTON_MAX_PARAMS`.
 */
export function hessianOf(params: readonly Value[], grads: readonly Value[]): Value {
  const sizes = params.map((p) => {
    if (!p.shape.every((d) => typeof d === 'number')) {
      throw new GradusError(
        diagnostic('E0915', `newton needs params of known shape, got [${p.shape.join(', ')}]`),
      );
    }
    return (p.shape as number[]).reduce((a, b) => a * b, 1);
  });
  const n = sizes.reduce((a, b) => a + b, 0);
  const flat = (vs: readonly Value[]) =>
    vs.length === 1
      ? vs[0].reshape([n])
      : concat(
          vs.map((v, i) => v.reshape([sizes[i]])),
          0,
        );
  const gflat = flat(grads);
  const rows: Value[] = [];
  for (let i = 0; i < n; i++) {
    rows.push(flat(grad(gflat.index([i]), params)).reshape([1, n]));
  }
  return rows.length === 1 ? rows[0] : concat(rows, 0);
}
