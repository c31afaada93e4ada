/**
 * The named optimisers, each a `chain` of transforms, with the names, arguments and defaults of
 * the catalogue (which follow torch.optim, so trajectories agree with PyTorch's):
 *
 * | name | update | lectures |
 * |---|---|---|
 * | sgd(lr) | x ← x − lr·g | same |
 * | momentum(lr, rho) | v ← ρv + g; x ← x − lr·v | v ← ρv − lr·g; x ← x + v (same iterates for constant lr) |
 * | nesterov(lr, rho) | v ← ρv + g; x ← x − lr·(g + ρv) | gradient at x + ρv; equal after a change of variables |
 * | adagrad(lr, eps, eps_inside) | s ← s + g²; x ← x − lr·g/(√s + eps), eps 1e-10 | δ + √r with δ 1e-7, or √(G + ε) (eps_inside) |
 * | rmsprop(lr, decay, eps, centered, eps_inside) | s ← αs + (1−α)g²; x ← x − lr·g/(√s + eps), α 0.99 | √(δ + r) (eps_inside), ρ 0.9 |
 * | adadelta(lr, rho, eps) | Zeiler's rule, x ← x − lr·Δ, lr 1 | no lr (lr = 1) |
 * | adam(lr, beta1, beta2, eps, amsgrad, bias_correction) | bias-corrected moments; x ← x − lr·m̂/(√v̂ + eps) | same; "Adam (almost)" is bias_correction = false |
 * | adamw(lr, beta1, beta2, eps, weight_decay) | adam plus decoupled decay x ← x − lr·λx | — |
 * | delta_bar_delta(lr, kappa, phi, theta) | per-parameter rates, see scaleByDeltaBarDelta | as stated there |
 *
 * Any `lr` may be a schedule; so may every hyper-parameter of the transforms.
 */
import { diagnostic, GradusError, ownEntry } from '@gradus/autodiff';
import { type CallSpec, OPTIMIZERS, type SettingValue, TRANSFORMS } from './catalogue.js';
import { scheduleFromSpec } from './schedules/from-spec.js';
import { defineSchedule, type Hyper, isSchedule, type Schedule } from './schedules/schedule.js';
import { resolveArgs, unknownName } from './schedules/spec-args.js';
import { scaleByAdadelta } from './transforms/adadelta.js';
import { scaleByAdagrad } from './transforms/adagrad.js';
import { scaleByAdam } from './transforms/adam.js';
import { chain, identity } from './transforms/chain.js';
import { clipByGlobalNorm, clipByValue } from './transforms/clip.js';
import { numDefault as d, boolDefault as db } from './transforms/defaults.js';
import { scaleByDeltaBarDelta } from './transforms/delta-bar-delta.js';
import { scaleByRms } from './transforms/rms.js';
import { scale, scaleByLearningRate } from './transforms/scale.js';
import { trace } from './transforms/trace.js';
import type { GradientTransformation, StateTree } from './transforms/types.js';
import { addDecayedWeights, addL2 } from './transforms/weight-decay.js';

export type Optimizer = GradientTransformation<StateTree[]>;

/** Plain gradient descent: x ← x − lr·g. */
export function sgd(lr: Hyper = d('sgd', 'lr')): Optimizer {
  return chain(scaleByLearningRate(lr));
}

/** Heavy-ball momentum, PyTorch's form: v ← ρv + g, x ← x − lr·v. */
export function momentum(lr: Hyper = d('momentum', 'lr'), rho: Hyper = d('momentum', 'rho')): Optimizer {
  return chain(trace({ decay: rho }), scaleByLearningRate(lr));
}

/** Nesterov momentum, PyTorch's form: v ← ρv + g, x ← x − lr·(g + ρv). */
export function nesterov(lr: Hyper = d('nesterov', 'lr'), rho: Hyper = d('nesterov', 'rho')): Optimizer {
  return chain(trace({ decay: rho, nesterov: true }), scaleByLearningRate(lr));
}

export function adagrad(
  lr: Hyper = d('adagrad', 'lr'),
  eps: Hyper = d('adagrad', 'eps'),
  epsInside: boolean = db('adagrad', 'eps_inside'),
): Optimizer {
  return chain(scaleByAdagrad({ eps, epsInside }), scaleByLearningRate(lr));
}

export function rmsprop(
  lr: Hyper = d('rmsprop', 'lr'),
  decay: Hyper = d('rmsprop', 'decay'),
  eps: Hyper = d('rmsprop', 'eps'),
  centered: boolean = db('rmsprop', 'centered'),
  epsInside: boolean = db('rmsprop', 'eps_inside'),
): Optimizer {
  return chain(scaleByRms({ decay, eps, centered, epsInside }), scaleByLearningRate(lr));
}

export function adadelta(
  lr: Hyper = d('adadelta', 'lr'),
  rho: Hyper = d('adadelta', 'rho'),
  eps: Hyper = d('adadelta', 'eps'),
): Optimizer {
  return chain(scaleByAdadelta({ rho, eps }), scaleByLearningRate(lr));
}

export function adam(
  lr: Hyper = d('adam', 'lr'),
  beta1: Hyper = d('adam', 'beta1'),
  beta2: Hyper = d('adam', 'beta2'),
  eps: Hyper = d('adam', 'eps'),
  amsgrad: boolean = db('adam', 'amsgrad'),
  biasCorrection: boolean = db('adam', 'bias_correction'),
): Optimizer {
  return chain(scaleByAdam({ b1: beta1, b2: beta2, eps, amsgrad, biasCorrection }), scaleByLearningRate(lr));
}

export function adamw(
  lr: Hyper = d('adamw', 'lr'),
  beta1: Hyper = d('adamw', 'beta1'),
  beta2: Hyper = d('adamw', 'beta2'),
  eps: Hyper = d('adamw', 'eps'),
  weightDecay: Hyper = d('adamw', 'weight_decay'),
  amsgrad: boolean = db('adamw', 'amsgrad'),
  biasCorrection: boolean = db('adamw', 'bias_correction'),
): Optimizer {
  return chain(
    scaleByAdam({ b1: beta1, b2: beta2, eps, amsgrad, biasCorrection }),
    addDecayedWeights(weightDecay),
    scaleByLearningRate(lr),
  );
}

/**
 * Delta-bar-delta with per-parameter rates starting at `lr`. `multiplier` (a number or a
 * schedule, default 1) scales the adapted rates, which is how a learning-rate schedule applies.
 */
export function deltaBarDelta(
  lr: number = d('delta_bar_delta', 'lr'),
  kappa: Hyper = d('delta_bar_delta', 'kappa'),
  phi: Hyper = d('delta_bar_delta', 'phi'),
  theta: Hyper = d('delta_bar_delta', 'theta'),
  multiplier: Hyper = 1,
): Optimizer {
  return chain(scaleByDeltaBarDelta({ lr, kappa, phi, theta }), scaleByLearningRate(multiplier));
}

/** The optimisers `optimizerFromSpec` builds, by catalogue name (the catalogue also lists host-driven ones). */
export const NAMED_OPTIMIZERS = {
  sgd,
  momentum,
  nesterov,
  adagrad,
  rmsprop,
  adadelta,
  adam,
  adamw,
  delta_bar_delta: deltaBarDelta,
} as const;

/** `s/base` as a schedule. */
function relativeTo(s: Schedule, base: number): Schedule {
  return defineSchedule(`${s.name} / ${base}`, (A, t) => A.div(s.at(A, t), base));
}

/** An optimiser built from a spec, with the learning rate (or schedule of it) it applies, for printing and plotting. */
export interface SpecOptimizer extends Optimizer {
  /**
   * The learning rate: a number, or a schedule (a `PlateauSchedule` carries the host rule to
   * drive). Absent for a `chain` without `scale_by_learning_rate`, which applies no rate.
   */
  readonly lr?: Hyper;
}

export interface FromSpecOptions {
  /**
   * A learning-rate schedule: a validated call such as `cosine(steps = 1000)`, whose fractions are
   * of the optimiser's lr, or a ready schedule giving the rate itself.
   */
  readonly schedule?: CallSpec | Schedule;
}

/**
 * Builds a named optimiser from a validated `CallSpec` such as `adam(lr = 1e-3)`. Unknown names
 * (and arguments) are GradusErrors naming them; `lbfgs`, `bfgs` and `newton` are host-driven
 * and are not gradient transformations.
 */
export function optimizerFromSpec(spec: CallSpec, opts: FromSpecOptions = {}): SpecOptimizer {
  const entry = ownEntry(OPTIMIZERS, spec.name);
  if (!entry) throw unknownName('optimizer', spec, Object.keys(OPTIMIZERS));
  if (spec.name === 'chain') {
    const parts = resolveArgs('optimizer', spec, entry).transforms as readonly CallSpec[];
    return chainFromSpec(spec, parts, opts);
  }
  if (!Object.hasOwn(NAMED_OPTIMIZERS, spec.name)) {
    throw new GradusError(
      diagnostic(
        'E0905',
        `${spec.name} is driven from the host (it needs a line search or a linear solve), so it is not a gradient transformation`,
        spec.span ? { span: spec.span } : {},
      ),
    );
  }
  const a = resolveArgs('optimizer', spec, entry);
  const base = a.lr as number;
  const lr: Hyper =
    opts.schedule === undefined
      ? base
      : isSchedule(opts.schedule)
        ? opts.schedule
        : scheduleFromSpec(opts.schedule, base);
  if (spec.name === 'delta_bar_delta') {
    // The schedule scales the adapted rates: a catalogue schedule is already a fraction of lr.
    const multiplier: Hyper =
      opts.schedule === undefined
        ? 1
        : isSchedule(opts.schedule)
          ? relativeTo(opts.schedule, base)
          : scheduleFromSpec(opts.schedule, 1);
    const opt = deltaBarDelta(base, a.kappa as number, a.phi as number, a.theta as number, multiplier);
    return { ...opt, lr };
  }
  return { ...named(spec.name, a, lr), lr };
}

/**
 * `chain(t1, t2, ...)` from a catalogue call: each part from `TRANSFORMS`. A schedule applies to
 * the chain's `scale_by_learning_rate(lr)` (its fractions are of that lr), so a chain needs one
 * to take a schedule, and exactly one for the rate to be unambiguous.
 */
function chainFromSpec(spec: CallSpec, parts: readonly CallSpec[], opts: FromSpecOptions): SpecOptimizer {
  const rated = parts.filter((p) => p.name === 'scale_by_learning_rate');
  if (opts.schedule !== undefined && rated.length !== 1) {
    const scheduleName = isSchedule(opts.schedule) ? opts.schedule.name : opts.schedule.name;
    throw new GradusError(
      diagnostic(
        'E0903',
        rated.length === 0
          ? `a schedule (${scheduleName}) scales the learning rate of the chain's scale_by_learning_rate(lr), and this chain has none`
          : `a schedule (${scheduleName}) scales the learning rate of the chain's scale_by_learning_rate(lr), and this chain has ${rated.length}`,
        {
          hint: 'end the chain with one scale_by_learning_rate(lr) instead of scale(-lr)',
          ...(spec.span ? { span: spec.span } : {}),
        },
      ),
    );
  }
  let lr: Hyper | undefined;
  const ts = parts.map((p) => {
    if (p.name !== 'scale_by_learning_rate') return transformFromSpec(p);
    const base = resolveArgs('transform', p, TRANSFORMS.scale_by_learning_rate).lr as number;
    const rate: Hyper =
      opts.schedule === undefined
        ? base
        : isSchedule(opts.schedule)
          ? opts.schedule
          : scheduleFromSpec(opts.schedule, base);
    lr = rated.length === 1 ? rate : undefined;
    return scaleByLearningRate(rate);
  });
  const opt = chain(...ts);
  return lr === undefined ? opt : { ...opt, lr };
}

/**
 * A gradient transformation from a validated call such as `scale_by_adam(b1 = 0.9)`, by its
 * `TRANSFORMS` name (the snake_case of the TypeScript function's).
 */
export function transformFromSpec(spec: CallSpec): GradientTransformation {
  const entry = ownEntry(TRANSFORMS, spec.name);
  if (!entry) throw unknownName('transform', spec, Object.keys(TRANSFORMS));
  const a = resolveArgs('transform', spec, entry);
  const n = (k: string) => a[k] as number;
  const b = (k: string) => a[k] as boolean;
  switch (spec.name) {
    case 'identity':
      return identity();
    case 'scale':
      return scale(n('factor'));
    case 'scale_by_learning_rate':
      return scaleByLearningRate(n('lr'));
    case 'clip_by_global_norm':
      return clipByGlobalNorm(n('max_norm'));
    case 'clip_by_value':
      return clipByValue(n('max'));
    case 'trace':
      return trace({ decay: n('decay'), nesterov: b('nesterov') });
    case 'scale_by_adam':
      return scaleByAdam({
        b1: n('b1'),
        b2: n('b2'),
        eps: n('eps'),
        amsgrad: b('amsgrad'),
        biasCorrection: b('bias_correction'),
      });
    case 'scale_by_rms':
      return scaleByRms({
        decay: n('decay'),
        eps: n('eps'),
        centered: b('centered'),
        epsInside: b('eps_inside'),
      });
    case 'scale_by_adagrad':
      return scaleByAdagrad({ eps: n('eps'), epsInside: b('eps_inside') });
    case 'scale_by_adadelta':
      return scaleByAdadelta({ rho: n('rho'), eps: n('eps') });
    case 'add_decayed_weights':
      return addDecayedWeights(n('weight_decay'));
    case 'add_l2':
      return addL2(n('weight_decay'));
    default:
      throw new Error(`transformFromSpec: no builder for '${spec.name}'`);
  }
}

/** The named optimisers other than delta-bar-delta, from resolved arguments. */
function named(name: string, a: Readonly<Record<string, SettingValue>>, lr: Hyper): Optimizer {
  const n = (k: string) => a[k] as number;
  const b = (k: string) => a[k] as boolean;
  switch (name) {
    case 'sgd':
      return sgd(lr);
    case 'momentum':
      return momentum(lr, n('rho'));
    case 'nesterov':
      return nesterov(lr, n('rho'));
    case 'adagrad':
      return adagrad(lr, n('eps'), b('eps_inside'));
    case 'rmsprop':
      return rmsprop(lr, n('decay'), n('eps'), b('centered'), b('eps_inside'));
    case 'adadelta':
      return adadelta(lr, n('rho'), n('eps'));
    case 'adam':
      return adam(lr, n('beta1'), n('beta2'), n('eps'), b('amsgrad'), b('bias_correction'));
    case 'adamw':
      return adamw(
        lr,
        n('beta1'),
        n('beta2'),
        n('eps'),
        n('weight_decay'),
        b('amsgrad'),
        b('bias_correction'),
      );
    default:
      throw new Error(`optimizerFromSpec: no builder for '${name}'`);
  }
}
