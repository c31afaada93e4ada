/**
 * L-BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed., Algorithms 7.4 and 7.5) on the host:
 * plain Float64Array arithmetic around an objective that returns the loss and its gradient. In
 * `gradus train` the objective is one run of a compiled graph over all the training data (see
 * `host-driver.ts`); the functions here know nothing of graphs, so they are tested on
 * hand-written functions.
 *
 * It keeps the last `history` pairs sᵢ = xᵢ₊₁ − xᵢ, yᵢ = ∇fᵢ₊₁ − ∇fᵢ and applies the implied
 * inverse-Hessian approximation to the gradient with the two-loop recursion, in O(history·n)
 * time and memory instead of the O(n²) of BFGS, then searches along that direction for a step
 * meeting the strong Wolfe conditions.
 */
import { type LinePoint, type LineSearchOptions, strongWolfe } from './line-search.js';

/** f(x) and ∇f(x). */
export interface Evaluation {
  readonly f: number;
  readonly g: Float64Array;
}

export type Objective = (x: Float64Array) => Evaluation;

/** Curvature pairs, oldest first. Immutable: `remember` returns a new memory. */
export interface CurvatureMemory {
  readonly s: readonly Float64Array[];
  readonly y: readonly Float64Array[];
}

export const EMPTY_MEMORY: CurvatureMemory = { s: [], y: [] };

/**
 * Pairs with sᵀy at or below this are skipped: they carry no usable (positive) curvature, and
 * dividing by them would make the approximation indefinite or blow it up.
 */
export const MIN_CURVATURE = 1e-10;

export interface LbfgsOptions {
  /** Trial step of the line search (default 1: the quasi-Newton step itself). */
  readonly lr?: number;
  /** Number of curvature pairs kept (default 10). */
  readonly history?: number;
  /** Stop once ‖∇f‖∞ falls below this (default 1e-9). */
  readonly tolerance?: number;
  readonly lineSearch?: LineSearchOptions;
}

export const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

export const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};

const sumAbs = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]);
  return s;
};

/** `memory` with (s, y) added (and the oldest pair dropped beyond `history`), or unchanged when sᵀy ≤ MIN_CURVATURE. */
export function remember(
  memory: CurvatureMemory,
  s: Float64Array,
  y: Float64Array,
  history: number,
): CurvatureMemory {
  if (!(dot(s, y) > MIN_CURVATURE)) return memory;
  const drop = Math.max(0, memory.s.length + 1 - history);
  return { s: [...memory.s.slice(drop), s], y: [...memory.y.slice(drop), y] };
}

/**
 * The L-BFGS search direction −H·g by the two-loop recursion, with the initial inverse Hessian
 * γI, γ = sᵀy/yᵀy of the newest pair (N&W eq. 7.20), which makes the first trial step t = 1 well
 * scaled. With no pairs it is −g.
 */
export function lbfgsDirection(g: Float64Array, memory: CurvatureMemory): Float64Array {
  const k = memory.s.length;
  const q = Float64Array.from(g);
  const alpha = new Float64Array(k);
  const rho = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    const s = memory.s[i];
    const y = memory.y[i];
    rho[i] = 1 / dot(y, s);
    alpha[i] = rho[i] * dot(s, q);
    for (let j = 0; j < q.length; j++) q[j] -= alpha[i] * y[j];
  }
  if (k > 0) {
    const s = memory.s[k - 1];
    const y = memory.y[k - 1];
    const gamma = dot(s, y) / dot(y, y);
    for (let j = 0; j < q.length; j++) q[j] *= gamma;
  }
  for (let i = 0; i < k; i++) {
    const s = memory.s[i];
    const y = memory.y[i];
    const beta = rho[i] * dot(y, q);
    for (let j = 0; j < q.length; j++) q[j] += s[j] * (alpha[i] - beta);
  }
  for (let j = 0; j < q.length; j++) q[j] = -q[j];
  return q;
}

export interface LbfgsStep {
  /** The new point (x itself when the step failed). */
  readonly x: Float64Array;
  /** f and ∇f at the new point. */
  readonly at: Evaluation;
  readonly memory: CurvatureMemory;
  /** Step length along the direction (0 when no step lowered f). */
  readonly t: number;
  readonly evals: number;
  /** Set when no step along −H·g (nor, after dropping the memory, along −g) lowered f. */
  readonly stalled?: boolean;
}

/** A step along a descent direction that met sufficient decrease, with its curvature pair. */
export interface LineStep {
  readonly x: Float64Array;
  readonly at: Evaluation;
  readonly t: number;
  /** s = x_new − x and y = ∇f_new − ∇f. */
  readonly s: Float64Array;
  readonly y: Float64Array;
}

/**
 * The strong-Wolfe search along d from x (f and ∇f there, `at`) with first trial step t1, shared
 * by L-BFGS and BFGS. Undefined when d is not a descent direction or no step lowered f; `count`
 * receives the evaluations spent either way.
 */
export function searchAlong(
  objective: Objective,
  x: Float64Array,
  at: Evaluation,
  d: Float64Array,
  t1: number,
  count: (evals: number) => void,
  lineSearch?: LineSearchOptions,
): LineStep | undefined {
  const slope0 = dot(at.g, d);
  if (!(slope0 < 0)) return undefined;
  const point = (t: number): Float64Array => {
    const z = new Float64Array(x.length);
    for (let j = 0; j < z.length; j++) z[j] = x[j] + t * d[j];
    return z;
  };
  const phi = (t: number): LinePoint => {
    const e = objective(point(t));
    return { t, f: e.f, slope: dot(e.g, d), g: e.g };
  };
  const found = strongWolfe(phi, { t: 0, f: at.f, slope: slope0, g: at.g }, t1, {
    dNorm: maxAbs(d),
    ...lineSearch,
  });
  count(found.evals);
  if (found.t === 0 || !(found.f < at.f)) return undefined;
  const next = point(found.t);
  const s = new Float64Array(x.length);
  const y = new Float64Array(x.length);
  for (let j = 0; j < s.length; j++) {
    s[j] = next[j] - x[j];
    y[j] = found.g[j] - at.g[j];
  }
  return { x: next, at: { f: found.f, g: found.g }, t: found.t, s, y };
}

/**
 * The first trial step of a quasi-Newton method: `lr` once there is curvature information, and
 * min(1, 1/‖g‖₁)·lr before (as torch does on its first iteration), because −g alone says nothing
 * about the step's scale.
 */
export const firstTrialStep = (g: Float64Array, lr: number, informed: boolean): number =>
  informed ? lr : Math.min(1, 1 / sumAbs(g)) * lr;

/**
 * One L-BFGS iteration from x (with f and ∇f there, `at`): direction by the two-loop recursion,
 * strong-Wolfe line search from the trial step `firstTrialStep`, then the new curvature pair. If
 * the direction is not a descent direction or the search cannot lower f, the memory is dropped
 * and steepest descent is tried once more.
 */
export function lbfgsStep(
  objective: Objective,
  x: Float64Array,
  at: Evaluation,
  memory: CurvatureMemory,
  opts: LbfgsOptions = {},
): LbfgsStep {
  const lr = opts.lr ?? 1;
  const history = opts.history ?? 10;
  let evals = 0;
  const count = (k: number) => {
    evals += k;
  };
  const attempt = (mem: CurvatureMemory): LbfgsStep | undefined => {
    const d = lbfgsDirection(at.g, mem);
    const t1 = firstTrialStep(at.g, lr, mem.s.length > 0);
    const taken = searchAlong(objective, x, at, d, t1, count, opts.lineSearch);
    if (!taken) return undefined;
    return { x: taken.x, at: taken.at, memory: remember(mem, taken.s, taken.y, history), t: taken.t, evals };
  };
  const step = attempt(memory) ?? (memory.s.length > 0 ? attempt(EMPTY_MEMORY) : undefined);
  return step ?? { x, at, memory: EMPTY_MEMORY, t: 0, evals, stalled: true };
}

export interface MinimizeResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly g: Float64Array;
  readonly iterations: number;
  readonly evaluations: number;
  /** ‖∇f‖∞ < tolerance at `x`. */
  readonly converged: boolean;
  /** f at the start of each iteration, then at the end. */
  readonly losses: number[];
}

export interface MinimizeOptions {
  /** Stop once ‖∇f‖∞ falls below this (default 1e-9). */
  readonly tolerance?: number;
  /** Default 1000. */
  readonly maxIterations?: number;
}

/** One iteration of a method with state S: the new point and state, or `stalled`. */
export type IterationStep<S> = (
  x: Float64Array,
  at: Evaluation,
  state: S,
) => { x: Float64Array; at: Evaluation; state: S; evals: number; stalled?: boolean };

/**
 * Iterates `step` from x0 (state `initial`) for at most `maxIterations` iterations, or until
 * ‖∇f‖∞ < tolerance or a stall: the loop of `minimizeLbfgs` and `minimizeBfgs`.
 */
export function minimizeWith<S>(
  objective: Objective,
  x0: ArrayLike<number>,
  initial: S,
  step: IterationStep<S>,
  opts: MinimizeOptions = {},
): MinimizeResult {
  const tolerance = opts.tolerance ?? 1e-9;
  let x: Float64Array = Float64Array.from(x0);
  let at = objective(x);
  let evaluations = 1;
  let state = initial;
  const losses = [at.f];
  let iterations = 0;
  while (iterations < (opts.maxIterations ?? 1000) && !(maxAbs(at.g) < tolerance)) {
    const next = step(x, at, state);
    evaluations += next.evals;
    if (next.stalled) break;
    ({ x, at, state } = next);
    iterations++;
    losses.push(at.f);
  }
  return { x, f: at.f, g: at.g, iterations, evaluations, converged: maxAbs(at.g) < tolerance, losses };
}

/** Runs L-BFGS from x0 for at most `maxIterations` iterations, or until ‖∇f‖∞ < tolerance or a stall. */
export function minimizeLbfgs(
  objective: Objective,
  x0: ArrayLike<number>,
  opts: LbfgsOptions & MinimizeOptions = {},
): MinimizeResult {
  return minimizeWith(
    objective,
    x0,
    EMPTY_MEMORY,
    (x, at, memory) => {
      const r = lbfgsStep(objective, x, at, memory, opts);
      return { ...r, state: r.memory };
    },
    opts,
  );
}
