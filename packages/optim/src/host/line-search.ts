/**
 * A line search for the strong Wolfe conditions (Nocedal & Wright, Numerical Optimization, 2nd
 * ed., Algorithms 3.5 and 3.6), with cubic interpolation (their eq. 3.59) to pick trial steps.
 *
 * Along a descent direction d from x, φ(t) = f(x + t·d) and φ'(t) = ∇f(x + t·d)ᵀd. A step t is
 * accepted when
 *   φ(t) ≤ φ(0) + c1·t·φ'(0)     (sufficient decrease), and
 *   |φ'(t)| ≤ c2·|φ'(0)|          (curvature: the slope has flattened enough).
 * The second condition is what keeps quasi-Newton updates positive definite (it implies sᵀy > 0),
 * which is why L-BFGS wants this search rather than plain backtracking.
 */

/** One evaluation along the line. `g` is the full gradient at x + t·d, kept for the caller. */
export interface LinePoint {
  readonly t: number;
  readonly f: number;
  /** φ'(t) = gᵀd. */
  readonly slope: number;
  readonly g: Float64Array;
}

export interface LineSearchOptions {
  /** Sufficient-decrease constant (default 1e-4). */
  readonly c1?: number;
  /** Curvature constant (default 0.9, the usual choice for quasi-Newton methods). */
  readonly c2?: number;
  /** Evaluations of φ allowed (default 25, as torch's L-BFGS). */
  readonly maxEvals?: number;
  /**
   * ‖d‖∞, so the search can give up once the bracket is narrower than a meaningful move of x
   * (`width·‖d‖∞ < minMove`), instead of spending evaluations on rounding noise.
   */
  readonly dNorm?: number;
  /** Default 1e-12. */
  readonly minMove?: number;
}

export interface LineSearchResult extends LinePoint {
  readonly evals: number;
  /** Whether both strong Wolfe conditions hold at `t`. */
  readonly wolfe: boolean;
}

/**
 * The minimiser of the cubic through (t1, f1) and (t2, f2) with slopes d1 and d2, clamped to
 * [lo, hi]; the middle of [lo, hi] when the cubic has no minimum there or the values are unusable.
 */
export function cubicMinimizer(
  t1: number,
  f1: number,
  d1: number,
  t2: number,
  f2: number,
  d2: number,
  lo: number,
  hi: number,
): number {
  const mid = (lo + hi) / 2;
  if (![t1, f1, d1, t2, f2, d2].every(Number.isFinite) || t1 === t2) return mid;
  const e1 = d1 + d2 - (3 * (f1 - f2)) / (t1 - t2);
  const disc = e1 * e1 - d1 * d2;
  if (disc < 0) return mid;
  const e2 = Math.sign(t2 - t1) * Math.sqrt(disc);
  const denom = d2 - d1 + 2 * e2;
  if (denom === 0) return mid;
  const t = t2 - (t2 - t1) * ((d2 + e2 - e1) / denom);
  if (!Number.isFinite(t)) return mid;
  return Math.min(Math.max(t, lo), hi);
}

/**
 * Finds a step satisfying the strong Wolfe conditions along a descent direction, starting with
 * the trial step `t1`. `phi(t)` evaluates the objective at x + t·d; `at0` is its value at t = 0
 * (with a negative slope). When the evaluations run out, or the bracket shrinks to nothing, it
 * returns the best point found that satisfies sufficient decrease (`wolfe: false`); that is
 * `at0` itself (t = 0) when no step lowered the objective. Non-finite values count as too far.
 */
export function strongWolfe(
  phi: (t: number) => LinePoint,
  at0: LinePoint,
  t1: number,
  opts: LineSearchOptions = {},
): LineSearchResult {
  const c1 = opts.c1 ?? 1e-4;
  const c2 = opts.c2 ?? 0.9;
  const maxEvals = opts.maxEvals ?? 25;
  const dNorm = opts.dNorm ?? 1;
  const minMove = opts.minMove ?? 1e-12;
  const f0 = at0.f;
  const slope0 = at0.slope;
  if (!(slope0 < 0)) throw new Error(`strongWolfe: not a descent direction (slope ${slope0})`);
  let evals = 0;
  const armijo = (p: LinePoint) => Number.isFinite(p.f) && p.f <= f0 + c1 * p.t * slope0;
  const flat = (p: LinePoint) => Math.abs(p.slope) <= -c2 * slope0;
  const done = (p: LinePoint, wolfe: boolean): LineSearchResult => ({ ...p, evals, wolfe });

  // Algorithm 3.6: `lo` satisfies sufficient decrease and has the lowest φ so far; the minimiser
  // we want lies between lo and hi.
  const zoom = (lo0: LinePoint, hi0: LinePoint): LineSearchResult => {
    let lo = lo0;
    let hi = hi0;
    while (evals < maxEvals) {
      const a = Math.min(lo.t, hi.t);
      const b = Math.max(lo.t, hi.t);
      if ((b - a) * dNorm < minMove) break;
      // Keep trial steps off the ends, so each one shrinks the bracket by a real fraction.
      const guard = 0.1 * (b - a);
      const t = Number.isFinite(hi.f)
        ? cubicMinimizer(lo.t, lo.f, lo.slope, hi.t, hi.f, hi.slope, a + guard, b - guard)
        : (a + b) / 2;
      const p = phi(t);
      evals++;
      if (!armijo(p) || p.f >= lo.f) hi = p;
      else {
        if (flat(p)) return done(p, true);
        if (p.slope * (hi.t - lo.t) >= 0) hi = lo;
        lo = p;
      }
    }
    return done(lo, false);
  };

  // Algorithm 3.5: grow the step until the interval (previous, current) must hold a Wolfe point.
  let prev = at0;
  let t = t1;
  while (evals < maxEvals) {
    const p = phi(t);
    evals++;
    if (!armijo(p) || (prev !== at0 && p.f >= prev.f)) return zoom(prev, p);
    if (flat(p)) return done(p, true);
    if (p.slope >= 0) return zoom(p, prev);
    // Still descending steeply: extrapolate, at least a little and at most tenfold (as torch).
    const next = cubicMinimizer(
      prev.t,
      prev.f,
      prev.slope,
      p.t,
      p.f,
      p.slope,
      t + 0.01 * (t - prev.t),
      10 * t,
    );
    prev = p;
    t = next;
  }
  return done(prev, false);
}
