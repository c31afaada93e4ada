import { diagnostic, GradusError, ownEntry } from '@gradus/autodiff';
import { SCHEDULES } from '../catalogue.js';
import type { Arith } from './arith.js';
import { type PlateauRule, reduceOnPlateau } from './plateau.js';
import { defineSchedule, type Schedule } from './schedule.js';

/**
 * The schedules of the catalogue. Each is written once against `Arith` and is a multiple of
 * `base` (default 1): the optimiser's learning rate when it schedules the learning rate, so the
 * catalogue's fractions (`min`, `end`, `low`) are fractions of `base`. `t` counts completed steps.
 *
 * Where the lectures write a formula differently (see the notes on each), the standard form is
 * used: the slides' linear and inverse-sqrt decays carry a stray ½, and their inverse-sqrt
 * divides by √t, which is undefined at t = 0.
 */

const def = (schedule: string, arg: string): number => {
  const entry = ownEntry(SCHEDULES, schedule);
  const d = entry && ownEntry(entry.args, arg)?.default;
  if (typeof d !== 'number') throw new Error(`catalogue: schedule ${schedule}.${arg} has no numeric default`);
  return d;
};

const label = (name: string, args: Record<string, unknown>): string => {
  const parts = Object.entries(args)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} = ${Array.isArray(v) ? `[${v.join(', ')}]` : isScheduleLike(v) ? v.name : v}`);
  return `${name}(${parts.join(', ')})`;
};

const isScheduleLike = (v: unknown): v is Schedule =>
  typeof v === 'object' && v !== null && typeof (v as Schedule).name === 'string' && 'at' in v;

function positiveInt(schedule: string, arg: string, v: number, allowZero = false): number {
  if (!Number.isInteger(v) || v < (allowZero ? 0 : 1)) {
    throw new GradusError(
      diagnostic(
        'E0903',
        `${schedule}: '${arg}' must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${v}`,
      ),
    );
  }
  return v;
}

export interface Base {
  /** The value at the start (the peak, for warmup and cyclical); default 1. */
  readonly base?: number;
}

/** `base` throughout. */
export function constant(opts: Base = {}): Schedule {
  const base = opts.base ?? 1;
  return defineSchedule(label('constant', { base }), <T>(A: Arith<T>, _t: T) => A.lift(base));
}

/** `base·factor^⌊t/every⌋` (PyTorch's StepLR; the lectures' step decay). */
export function step(opts: Base & { every: number; factor?: number }): Schedule {
  const base = opts.base ?? 1;
  const every = positiveInt('step', 'every', opts.every);
  const factor = opts.factor ?? def('step', 'factor');
  return defineSchedule(label('step', { every, factor }), <T>(A: Arith<T>, t: T) =>
    A.mul(base, A.pow(factor, A.floor(A.div(t, every)))),
  );
}

/** `base·factor^k` with k the number of milestones ≤ t (PyTorch's MultiStepLR). */
export function multistep(opts: Base & { milestones: readonly number[]; factor?: number }): Schedule {
  const base = opts.base ?? 1;
  const milestones = [...opts.milestones].sort((a, b) => a - b);
  const factor = opts.factor ?? def('multistep', 'factor');
  return defineSchedule(label('multistep', { milestones, factor }), <T>(A: Arith<T>, t: T) => {
    let passed = A.lift(0);
    for (const m of milestones) passed = A.add(passed, A.ge(t, m));
    return A.mul(base, A.pow(factor, passed));
  });
}

/** `base·rate^t` (PyTorch's ExponentialLR). */
export function exponential(opts: Base & { rate: number }): Schedule {
  const base = opts.base ?? 1;
  const { rate } = opts;
  return defineSchedule(label('exponential', { rate }), <T>(A: Arith<T>, t: T) =>
    A.mul(base, A.pow(rate, t)),
  );
}

/**
 * Cosine decay from `base` to `min·base` over `steps` steps, then constant:
 * `m + (base − m)·(1 + cos(π·min(t, T)/T))/2` with m = min·base. With min = 0 this is the
 * lectures' `½η₀(1 + cos(tπ/T))`; unlike PyTorch's CosineAnnealingLR it does not rise again after T.
 */
export function cosine(opts: Base & { steps: number; min?: number }): Schedule {
  const base = opts.base ?? 1;
  const steps = positiveInt('cosine', 'steps', opts.steps);
  const min = opts.min ?? def('cosine', 'min');
  const lo = min * base;
  return defineSchedule(label('cosine', { steps, min }), <T>(A: Arith<T>, t: T) => {
    const phase = A.div(A.mul(A.min(t, steps), Math.PI), steps);
    return A.add(lo, A.mul(base - lo, A.mul(0.5, A.add(1, A.cos(phase)))));
  });
}

/**
 * The lectures' linear decay: `ε_k = (1 − α)ε₀ + α·ε_τ` with α = k/τ, constant after τ steps;
 * here ε₀ = base and ε_τ = end·base (the lectures suggest ε_τ = 1% of ε₀, the default). The other
 * lecture's `½η₀(1 − t/T)` is this with end = 0, without the stray ½.
 */
export function linear(opts: Base & { steps: number; end?: number }): Schedule {
  const base = opts.base ?? 1;
  const steps = positiveInt('linear', 'steps', opts.steps);
  const end = opts.end ?? def('linear', 'end');
  const last = end * base;
  return defineSchedule(label('linear', { steps, end }), <T>(A: Arith<T>, t: T) => {
    const alpha = A.div(A.min(t, steps), steps);
    return A.add(A.mul(A.sub(1, alpha), base), A.mul(alpha, last));
  });
}

/**
 * `base/√(1 + t/scale)`: equals base at t = 0 and decays like 1/√t. The lectures write
 * `η₀/√t` (undefined at the first step) and, in one version, a stray ½.
 */
export function inverseSqrt(opts: Base & { scale?: number }): Schedule {
  const base = opts.base ?? 1;
  const scale = opts.scale ?? def('inverse_sqrt', 'scale');
  return defineSchedule(label('inverse_sqrt', { scale }), <T>(A: Arith<T>, t: T) =>
    A.div(base, A.sqrt(A.add(1, A.div(t, scale)))),
  );
}

/**
 * `base/(1 + t/scale)`, the 1/t decay. It meets the sufficient conditions for SGD to converge that
 * the lectures state, Σₖ εₖ = ∞ (the partial sums grow like scale·ln t, so the steps never stop
 * adding up) and Σₖ εₖ² < ∞ (the sum is at most base²·(1 + scale), so the noise they let in
 * stays bounded). inverse_sqrt meets only the first; constant, step and cosine neither or only
 * the second.
 */
export function inverseTime(opts: Base & { scale?: number }): Schedule {
  const base = opts.base ?? 1;
  const scale = opts.scale ?? def('inverse_time', 'scale');
  if (!(scale > 0))
    throw new GradusError(diagnostic('E0903', `inverse_time: 'scale' must be positive, got ${scale}`));
  return defineSchedule(label('inverse_time', { scale }), <T>(A: Arith<T>, t: T) =>
    A.div(base, A.add(1, A.div(t, scale))),
  );
}

/**
 * Linear warmup from 0 to `then`'s first value over `steps` steps, then `then` with its step
 * counted from the end of the warmup: `t < W ? then(0)·t/W : then(t − W)`.
 */
export function warmup(warmupSteps: number, after: Schedule): Schedule {
  const steps = positiveInt('warmup', 'steps', warmupSteps, true);
  if (steps === 0) return after;
  return defineSchedule(`warmup(steps = ${steps}, then = ${after.name})`, <T>(A: Arith<T>, t: T) => {
    const peak = after.at(A, A.lift(0));
    const rising = A.div(A.mul(peak, t), steps);
    // Clamped so that the unused branch never sees a negative step (√ of a negative, say).
    const later = after.at(A, A.max(A.sub(t, steps), 0));
    return A.select(A.lt(t, steps), rising, later);
  });
}

/**
 * Triangular cyclical schedule (Smith; PyTorch's CyclicLR 'triangular'): from low·base up to
 * base over `period` steps and back down, repeating. cycle = ⌊1 + t/(2P)⌋,
 * x = |t/P − 2·cycle + 1|, value = lo + (base − lo)·max(0, 1 − x).
 */
export function cyclical(opts: Base & { period: number; low?: number }): Schedule {
  const base = opts.base ?? 1;
  const period = positiveInt('cyclical', 'period', opts.period);
  const low = opts.low ?? def('cyclical', 'low');
  const lo = low * base;
  return defineSchedule(label('cyclical', { period, low }), <T>(A: Arith<T>, t: T) => {
    const cycle = A.floor(A.add(1, A.div(t, 2 * period)));
    const x = A.abs(A.add(A.sub(A.div(t, period), A.mul(2, cycle)), 1));
    return A.add(lo, A.mul(base - lo, A.max(0, A.sub(1, x))));
  });
}

/** The graph state variable holding reduce-on-plateau's current multiplier; the host sets it. */
export const PLATEAU_VARIABLE = 'opt.plateau_scale';

/** A schedule driven by the host (reduce-on-plateau): `base` times a multiplier the host updates. */
export interface PlateauSchedule extends Schedule {
  /** The host-side rule: feed it the validation metric, write its `multiplier` to `variable`. */
  readonly rule: PlateauRule;
  readonly variable: string;
}

export function isPlateauSchedule(s: unknown): s is PlateauSchedule {
  return typeof s === 'object' && s !== null && 'rule' in s && 'variable' in s;
}

/**
 * Reduce-on-plateau as a schedule: `base·s` where s is the scalar state variable
 * `PLATEAU_VARIABLE`, which the trainer sets from `rule` after each evaluation. The host form
 * shows `base` (the multiplier is not known before training).
 */
export function plateau(
  opts: Base & { factor?: number; patience?: number; threshold?: number },
): PlateauSchedule {
  const base = opts.base ?? 1;
  const factor = opts.factor ?? def('plateau', 'factor');
  const patience = positiveInt('plateau', 'patience', opts.patience ?? def('plateau', 'patience'), true);
  const rule = reduceOnPlateau({ factor, patience, threshold: opts.threshold });
  const s = defineSchedule(label('plateau', { factor, patience }), <T>(A: Arith<T>, _t: T) =>
    A.mul(base, A.hostScalar(PLATEAU_VARIABLE, 1)),
  );
  return { ...s, rule, variable: PLATEAU_VARIABLE };
}

/** Every catalogue schedule by its catalogue name (`inverse_sqrt`), for building from specs. */
export const schedules = {
  constant,
  step,
  multistep,
  exponential,
  cosine,
  linear,
  inverse_sqrt: inverseSqrt,
  inverse_time: inverseTime,
  warmup,
  cyclical,
  plateau,
} as const;
