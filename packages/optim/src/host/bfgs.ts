/**
 * BFGS with a dense inverse-Hessian approximation (Nocedal & Wright, Numerical Optimization, 2nd
 * ed., Algorithm 6.1) on the host. Each iteration searches along d = −H·g for a strong-Wolfe step,
 * then updates H with the new pair s = x₊ − x, y = ∇f₊ − ∇f:
 *
 *   H ← (I − ρ·s·yᵀ)·H·(I − ρ·y·sᵀ) + ρ·s·sᵀ,   ρ = 1/(yᵀs)          (N&W eq. 6.17)
 *
 * a rank-two change costing O(n²), where Newton's method solves with the Hessian in O(n³) — the
 * lectures' point about quasi-Newton methods. H starts as the identity; just before the first
 * update it is rescaled to (yᵀs/yᵀy)·I (N&W eq. 6.20), so the second trial step t = 1 is already
 * well scaled. L-BFGS (lbfgs.ts) keeps only the last pairs instead of H; BFGS keeps every pair's
 * effect, which on small problems usually means fewer iterations, at n² memory.
 */

import {
  dot,
  type Evaluation,
  firstTrialStep,
  MIN_CURVATURE,
  type MinimizeOptions,
  type MinimizeResult,
  minimizeWith,
  type Objective,
  searchAlong,
} from './lbfgs.js';
import type { LineSearchOptions } from './line-search.js';

export interface BfgsOptions {
  /** Trial step of the line search (default 1: the quasi-Newton step itself). */
  readonly lr?: number;
  readonly lineSearch?: LineSearchOptions;
}

/** BFGS keeps an n×n matrix: meant for parameter vectors up to this size. */
export const BFGS_MAX_PARAMS = 2000;

/** −H·g, or −g before the first update (`h` undefined). H is n×n, row-major. */
export function bfgsDirection(g: Float64Array, h: Float64Array | undefined): Float64Array {
  const n = g.length;
  if (!h) return g.map((v) => -v);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += h[i * n + j] * g[j];
    d[i] = -s;
  }
  return d;
}

/**
 * The BFGS update of `h` (undefined: the scaled identity (sᵀy/yᵀy)·I, N&W eq. 6.20) with the pair
 * (s, y); `h` itself when sᵀy ≤ MIN_CURVATURE, as such a pair would make H indefinite. O(n²):
 * with u = H·y, H₊ = H − ρ(s·uᵀ + u·sᵀ) + (ρ²·yᵀu + ρ)·s·sᵀ, the expansion of eq. 6.17 for symmetric H.
 */
export function bfgsUpdate(
  h: Float64Array | undefined,
  s: Float64Array,
  y: Float64Array,
): Float64Array | undefined {
  const n = s.length;
  const sy = dot(s, y);
  if (!(sy > MIN_CURVATURE)) return h;
  let base = h;
  if (!base) {
    base = new Float64Array(n * n);
    const gamma = sy / dot(y, y);
    for (let i = 0; i < n; i++) base[i * n + i] = gamma;
  }
  const rho = 1 / sy;
  const u = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let j = 0; j < n; j++) acc += base[i * n + j] * y[j];
    u[i] = acc;
  }
  const c = rho * rho * dot(y, u) + rho;
  const next = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      next[i * n + j] = base[i * n + j] - rho * (s[i] * u[j] + u[i] * s[j]) + c * s[i] * s[j];
  return next;
}

export interface BfgsStep {
  /** The new point (x itself when the step failed). */
  readonly x: Float64Array;
  readonly at: Evaluation;
  /** The inverse-Hessian approximation after the step (undefined: not formed yet). */
  readonly h: Float64Array | undefined;
  readonly t: number;
  readonly evals: number;
  /** No step along −H·g, nor along −g after dropping H, lowered f. */
  readonly stalled?: boolean;
}

/**
 * One BFGS iteration from x (f and ∇f there, `at`). If −H·g is not a descent direction (rounding
 * can make H lose definiteness) or its search cannot lower f, H is dropped and steepest descent
 * tried once more, as L-BFGS does with its memory.
 */
export function bfgsStep(
  objective: Objective,
  x: Float64Array,
  at: Evaluation,
  h: Float64Array | undefined,
  opts: BfgsOptions = {},
): BfgsStep {
  const lr = opts.lr ?? 1;
  let evals = 0;
  const count = (k: number) => {
    evals += k;
  };
  const attempt = (hk: Float64Array | undefined): BfgsStep | undefined => {
    const taken = searchAlong(
      objective,
      x,
      at,
      bfgsDirection(at.g, hk),
      firstTrialStep(at.g, lr, hk !== undefined),
      count,
      opts.lineSearch,
    );
    if (!taken) return undefined;
    return { x: taken.x, at: taken.at, h: bfgsUpdate(hk, taken.s, taken.y), t: taken.t, evals };
  };
  const step = attempt(h) ?? (h ? attempt(undefined) : undefined);
  return step ?? { x, at, h: undefined, t: 0, evals, stalled: true };
}

/** Runs BFGS from x0 for at most `maxIterations` iterations, or until ‖∇f‖∞ < tolerance or a stall. */
export function minimizeBfgs(
  objective: Objective,
  x0: ArrayLike<number>,
  opts: BfgsOptions & MinimizeOptions = {},
): MinimizeResult {
  return minimizeWith<Float64Array | undefined>(
    objective,
    x0,
    undefined,
    (x, at, h) => {
      const r = bfgsStep(objective, x, at, h, opts);
      return { ...r, state: r.h };
    },
    opts,
  );
}
