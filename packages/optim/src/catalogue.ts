/**
 * The names users write in `train { }` blocks and CLI flags, with each one's arguments and
 * defaults. The DSL validates settings against this table (unknown names and arguments are
 * errors at their span, with "did you mean"), and the optimiser and schedule constructors read
 * their defaults from it, so a default is written once. Defaults follow `torch.optim`.
 */

import type { Range } from '@gradus/autodiff';

/** A validated call such as `adam(lr = 1e-2)`: every argument named, defaults filled in. */
export interface CallSpec {
  readonly name: string;
  readonly args: Readonly<Record<string, SettingValue>>;
  /** Where it was written, when it came from a `.model` file or a flag. */
  readonly span?: { readonly start: number; readonly end: number };
}

export type SettingValue =
  | number
  | boolean
  | readonly number[]
  | ParamGroups
  | CallSpec
  | readonly CallSpec[];

/** Groups of param names, as `coordinate(groups = [[H], [W]])` writes them. */
export type ParamGroups = readonly (readonly string[])[];

/** Training data: a built-in set or a file. */
export type DataSpec =
  | CallSpec
  | { readonly path: string; readonly span?: { readonly start: number; readonly end: number } };

/**
 * `groups`: lists of param names (`[[H], [W]]`); `optimizer`: a call from `OPTIMIZERS`;
 * `transforms`: calls from `TRANSFORMS`, `chain`'s positional arguments.
 */
export type ArgType =
  | 'number'
  | 'int'
  | 'boolean'
  | 'schedule'
  | 'numbers'
  | 'groups'
  | 'optimizer'
  | 'transforms';

export interface ArgSpec {
  readonly type: ArgType;
  /** Absent: the argument is required. */
  readonly default?: number | boolean | readonly number[] | ParamGroups | CallSpec;
  /** The smallest value that makes sense (a decay every 0 steps does not); checked at the span. */
  readonly min?: number;
  /** The values that make sense (a decay in [0, 1), a scale > 0); checked at the span, named in the error. */
  readonly range?: Range;
  /** A number that may be negative (`scale(-1e-3)`); others must not be. */
  readonly signed?: boolean;
  readonly doc: string;
}

/**
 * The longest run, in steps: the step counter is a 32-bit integer in the generated code (it
 * drives the dropout stream), so a longer run would wrap it.
 */
export const MAX_STEPS = 2 ** 31 - 1;
/** Seeds are 32-bit unsigned integers; a larger one would be reduced silently. */
export const MAX_SEED = 2 ** 32 - 1;
/** Points per class of a generated data set (spiral, moons, blobs), and the most classes. */
export const MAX_POINTS = 1_000_000;
export const MAX_CLASSES = 1_000;

/** A decay or momentum coefficient: 1 would never forget, more would grow without bound. */
const DECAY: Range = { min: 0, max: 1, maxOpen: true };
const POSITIVE: Range = { min: 0, minOpen: true };
const SEED: Range = { min: 0, max: MAX_SEED };
const FRACTION: Range = { min: 0, max: 1 };
const OPEN_FRACTION: Range = { min: 0, max: 1, minOpen: true, maxOpen: true };
/** The range an argument's value must lie in: its `range`, or its `min`. */
export function argRange(spec: { readonly range?: Range; readonly min?: number }): Range | undefined {
  return spec.range ?? (spec.min !== undefined ? { min: spec.min } : undefined);
}

export interface CatalogueEntry {
  readonly doc: string;
  readonly args: Readonly<Record<string, ArgSpec>>;
  /** Positional arguments bind to these names in order. */
  readonly positional: readonly string[];
  /** Positional arguments past `positional` collect, as a list, into this argument (`chain`'s transforms). */
  readonly rest?: string;
}

const lr = (d: number): ArgSpec => ({ type: 'number', default: d, doc: 'learning rate' });
const epsInside: ArgSpec = {
  type: 'boolean',
  default: false,
  doc: "the lectures' form g/√(s + eps), eps inside the square root, instead of g/(√s + eps)",
};
const biasCorrection: ArgSpec = {
  type: 'boolean',
  default: true,
  doc: 'divide the moments by 1 − βᵗ; false is the lectures\' "Adam (almost)"',
};

export const OPTIMIZERS: Readonly<Record<string, CatalogueEntry>> = {
  sgd: { doc: 'plain gradient descent: x −= lr·g', positional: ['lr'], args: { lr: lr(0.01) } },
  momentum: {
    doc: 'heavy ball (PyTorch form): v = ρv + g, x −= lr·v',
    positional: ['lr', 'rho'],
    args: {
      lr: lr(0.01),
      rho: { type: 'number', default: 0.9, range: DECAY, doc: 'momentum coefficient ρ' },
    },
  },
  nesterov: {
    doc: 'Nesterov momentum (PyTorch form): v = ρv + g, x −= lr·(g + ρv)',
    positional: ['lr', 'rho'],
    args: {
      lr: lr(0.01),
      rho: { type: 'number', default: 0.9, range: DECAY, doc: 'momentum coefficient ρ' },
    },
  },
  adagrad: {
    doc: 'AdaGrad: s += g², x −= lr·g/(√s + eps)',
    positional: ['lr', 'eps'],
    args: {
      lr: lr(0.01),
      eps: { type: 'number', default: 1e-10, doc: 'added to the denominator' },
      eps_inside: epsInside,
    },
  },
  rmsprop: {
    doc: 'RMSProp: s = αs + (1−α)g², x −= lr·g/(√s + eps)',
    positional: ['lr', 'decay', 'eps', 'centered'],
    args: {
      lr: lr(0.01),
      decay: { type: 'number', default: 0.99, range: DECAY, doc: 'decay α of the squared-gradient average' },
      eps: { type: 'number', default: 1e-8, doc: 'added to the denominator' },
      centered: { type: 'boolean', default: false, doc: 'divide by the gradient variance estimate' },
      eps_inside: epsInside,
    },
  },
  adadelta: {
    doc: 'AdaDelta: s = ρs + (1−ρ)g², Δ = √(u + eps)/√(s + eps)·g, u = ρu + (1−ρ)Δ², x −= lr·Δ',
    positional: ['lr', 'rho', 'eps'],
    args: {
      lr: lr(1),
      rho: { type: 'number', default: 0.9, range: DECAY, doc: 'decay of the running averages' },
      eps: { type: 'number', default: 1e-6, doc: 'added inside the square roots' },
    },
  },
  adam: {
    doc: 'Adam with bias correction',
    positional: ['lr', 'beta1', 'beta2', 'eps', 'amsgrad'],
    args: {
      lr: lr(1e-3),
      beta1: { type: 'number', default: 0.9, range: DECAY, doc: 'first-moment decay' },
      beta2: { type: 'number', default: 0.999, range: DECAY, doc: 'second-moment decay' },
      eps: { type: 'number', default: 1e-8, doc: 'added to the denominator' },
      amsgrad: { type: 'boolean', default: false, doc: 'use the running maximum of the second moment' },
      bias_correction: biasCorrection,
    },
  },
  adamw: {
    doc: 'Adam with decoupled weight decay',
    positional: ['lr', 'beta1', 'beta2', 'eps', 'weight_decay', 'amsgrad'],
    args: {
      lr: lr(1e-3),
      beta1: { type: 'number', default: 0.9, range: DECAY, doc: 'first-moment decay' },
      beta2: { type: 'number', default: 0.999, range: DECAY, doc: 'second-moment decay' },
      eps: { type: 'number', default: 1e-8, doc: 'added to the denominator' },
      weight_decay: { type: 'number', default: 0.01, doc: 'decoupled decay λ: x −= lr·λ·x' },
      amsgrad: { type: 'boolean', default: false, doc: 'use the running maximum of the second moment' },
      bias_correction: biasCorrection,
    },
  },
  delta_bar_delta: {
    doc: "Jacobs' delta-bar-delta: per-parameter rates grow by kappa while the gradient keeps its sign, shrink by phi when it flips",
    positional: ['lr', 'kappa', 'phi', 'theta'],
    args: {
      lr: lr(0.01),
      kappa: { type: 'number', default: 1e-3, doc: 'additive increase of a rate' },
      phi: { type: 'number', default: 0.1, range: FRACTION, doc: 'multiplicative decrease of a rate' },
      theta: { type: 'number', default: 0.7, range: DECAY, doc: 'decay of the gradient trace δ̄' },
    },
  },
  chain: {
    doc: 'an optax-style chain of gradient transformations, applied left to right (each one’s output is the next one’s input): chain(clip_by_global_norm(1), scale_by_adam(), scale_by_learning_rate(1e-3)) is adam(lr = 1e-3) with clip = 1',
    positional: [],
    rest: 'transforms',
    args: {
      transforms: {
        type: 'transforms',
        doc: 'the transformations, left to right: identity, scale, scale_by_learning_rate, clip_by_global_norm, clip_by_value, trace, scale_by_adam, scale_by_rms, scale_by_adagrad, scale_by_adadelta, add_decayed_weights, add_l2',
      },
    },
  },
  lbfgs: {
    doc: 'L-BFGS with a strong-Wolfe line search (host-driven, full batch: every iteration uses all the training data)',
    positional: ['lr', 'history'],
    args: {
      lr: { type: 'number', default: 1, doc: 'first trial step of each line search' },
      history: { type: 'int', min: 1, default: 10, doc: 'number of curvature pairs kept' },
      tolerance: {
        type: 'number',
        default: 1e-9,
        doc: 'stop when the largest gradient component falls below this',
      },
    },
  },
  bfgs: {
    doc: 'BFGS with a dense inverse-Hessian approximation and a strong-Wolfe line search (host-driven, full batch: every iteration uses all the training data; at most 2,000 params)',
    positional: ['lr'],
    args: {
      lr: { type: 'number', default: 1, doc: 'first trial step of each line search' },
      tolerance: {
        type: 'number',
        default: 1e-9,
        doc: 'stop when the largest gradient component falls below this',
      },
    },
  },
  newton: {
    doc: "Newton's method with the exact Hessian (host-driven, full batch: every iteration uses all the training data; at most 2,000 params)",
    positional: ['lr'],
    args: {
      lr: { type: 'number', default: 1, doc: 'step size: x += lr·d with (H + damping·I)·d = −g' },
      damping: { type: 'number', default: 0, doc: 'added to the Hessian diagonal' },
      tolerance: {
        type: 'number',
        default: 1e-9,
        doc: 'stop when the largest gradient component falls below this',
      },
    },
  },
  coordinate: {
    doc: 'block coordinate descent: minimise over one group of params at a time with the others held fixed, each group in turn (host-driven, full batch); without groups, over one number at a time',
    positional: ['groups', 'inner', 'sweeps'],
    args: {
      groups: {
        type: 'groups',
        default: [],
        doc: 'the blocks, as lists of param names such as [[H], [W]]; every trained param in exactly one. Empty: each number is its own block (plain coordinate descent, for tiny problems)',
      },
      inner: {
        type: 'optimizer',
        default: { name: 'lbfgs', args: {} },
        doc: 'what minimises each block: lbfgs(), bfgs(), newton() or sgd(lr)',
      },
      sweeps: {
        type: 'int',
        min: 1,
        default: 50,
        doc: 'passes over all blocks: the length of the run when neither steps nor epochs is set',
      },
      inner_steps: { type: 'int', min: 1, default: 10, doc: 'iterations of inner on a block at each visit' },
      tolerance: {
        type: 'number',
        default: 1e-9,
        doc: 'stop when the largest gradient component, or the loss decrease of a sweep, falls below this',
      },
    },
  },
};

/**
 * The gradient transformations `chain(...)` composes, by the snake_case of their TypeScript names
 * (optax's names where optax has the transform). Updates are added to the params, so a chain ends
 * with `scale_by_learning_rate(lr)` (or `scale(-lr)`), as every named optimiser does.
 */
export const TRANSFORMS: Readonly<Record<string, CatalogueEntry>> = {
  identity: { doc: 'passes the updates through unchanged', positional: [], args: {} },
  scale: {
    doc: 'u·factor (scale(-1e-3) is a step of lr 1e-3 that reports no learning rate)',
    positional: ['factor'],
    args: { factor: { type: 'number', signed: true, doc: 'the multiplier' } },
  },
  scale_by_learning_rate: {
    doc: '−lr·u, reporting lr as the rate (where a schedule applies)',
    positional: ['lr'],
    args: { lr: { type: 'number', doc: 'learning rate' } },
  },
  clip_by_global_norm: {
    doc: 'u·min(1, max_norm/(‖u‖ + 1e-6)) over all params together (PyTorch’s clip_grad_norm_)',
    positional: ['max_norm'],
    args: { max_norm: { type: 'number', range: POSITIVE, doc: 'the largest global norm' } },
  },
  clip_by_value: {
    doc: 'clamps every element to [−max, max] (PyTorch’s clip_grad_value_)',
    positional: ['max'],
    args: { max: { type: 'number', range: { min: 0 }, doc: 'the largest magnitude' } },
  },
  trace: {
    doc: 'momentum: v = decay·v + u, output v (u + decay·v with nesterov)',
    positional: ['decay', 'nesterov'],
    args: {
      decay: { type: 'number', default: 0.9, range: DECAY, doc: 'momentum coefficient ρ' },
      nesterov: { type: 'boolean', default: false, doc: 'Nesterov’s form' },
    },
  },
  scale_by_adam: {
    doc: 'Adam’s m̂/(√v̂ + eps)',
    positional: ['b1', 'b2', 'eps'],
    args: {
      b1: { type: 'number', default: 0.9, range: DECAY, doc: 'first-moment decay' },
      b2: { type: 'number', default: 0.999, range: DECAY, doc: 'second-moment decay' },
      eps: { type: 'number', default: 1e-8, doc: 'added to the denominator' },
      amsgrad: { type: 'boolean', default: false, doc: 'use the running maximum of the second moment' },
      bias_correction: biasCorrection,
    },
  },
  scale_by_rms: {
    doc: 'RMSProp’s u/(√s + eps), s = decay·s + (1 − decay)·u²',
    positional: ['decay', 'eps'],
    args: {
      decay: { type: 'number', default: 0.99, range: DECAY, doc: 'decay of the squared average' },
      eps: { type: 'number', default: 1e-8, doc: 'added to the denominator' },
      centered: { type: 'boolean', default: false, doc: 'divide by the variance estimate' },
      eps_inside: epsInside,
    },
  },
  scale_by_adagrad: {
    doc: 'AdaGrad’s u/(√s + eps), s = s + u²',
    positional: ['eps'],
    args: {
      eps: { type: 'number', default: 1e-10, doc: 'added to the denominator' },
      eps_inside: epsInside,
    },
  },
  scale_by_adadelta: {
    doc: 'AdaDelta’s Δ',
    positional: ['rho', 'eps'],
    args: {
      rho: { type: 'number', default: 0.9, range: DECAY, doc: 'decay of the running averages' },
      eps: { type: 'number', default: 1e-6, doc: 'added inside the square roots' },
    },
  },
  add_decayed_weights: {
    doc: 'u + weight_decay·x: decoupled decay, after the scaling and before scale_by_learning_rate',
    positional: ['weight_decay'],
    args: { weight_decay: { type: 'number', default: 0.01, doc: 'λ' } },
  },
  add_l2: {
    doc: 'u + weight_decay·x placed first, so it passes through the scaling (PyTorch’s weight_decay)',
    positional: ['weight_decay'],
    args: { weight_decay: { type: 'number', doc: 'λ' } },
  },
};

export const SCHEDULES: Readonly<Record<string, CatalogueEntry>> = {
  constant: { doc: 'the base learning rate throughout', positional: [], args: {} },
  step: {
    doc: 'multiply by factor every `every` steps',
    positional: ['every', 'factor'],
    args: {
      every: { type: 'int', min: 1, doc: 'steps between decays' },
      factor: { type: 'number', default: 0.1, doc: 'multiplier at each decay' },
    },
  },
  multistep: {
    doc: 'multiply by factor at each milestone step',
    positional: ['milestones', 'factor'],
    args: {
      milestones: { type: 'numbers', range: { min: 0 }, doc: 'steps at which to decay' },
      factor: { type: 'number', default: 0.1, doc: 'multiplier at each milestone' },
    },
  },
  exponential: {
    doc: 'lr·rate^step',
    positional: ['rate'],
    args: {
      rate: {
        type: 'number',
        range: POSITIVE,
        // Above 1 the rate grows: the learning-rate range test (gradus doctor) is one such schedule.
        doc: 'factor per step: below 1 a decay, above 1 a growth (a learning-rate range test)',
      },
    },
  },
  cosine: {
    doc: 'cosine decay from lr to min over `steps` steps',
    positional: ['steps'],
    args: {
      steps: { type: 'int', min: 1, doc: 'length of the decay' },
      min: { type: 'number', default: 0, doc: 'final value, as a fraction of lr' },
    },
  },
  linear: {
    doc: 'linear decay from lr to end·lr over `steps` steps (the lectures’ decay to ε_τ over τ steps)',
    positional: ['steps', 'end'],
    args: {
      steps: { type: 'int', min: 1, doc: 'τ, the length of the decay' },
      end: { type: 'number', default: 0.01, doc: 'final value as a fraction of lr (ε_τ/ε_0)' },
    },
  },
  inverse_sqrt: {
    doc: 'lr/√(1 + step/scale)',
    positional: ['scale'],
    args: { scale: { type: 'number', default: 1, range: POSITIVE, doc: 'steps per unit of decay' } },
  },
  inverse_time: {
    doc: 'lr/(1 + step/scale): the 1/t decay, for which Σ lr = ∞ and Σ lr² < ∞ (the convergence conditions of SGD)',
    positional: ['scale'],
    args: {
      scale: {
        type: 'number',
        default: 1,
        range: POSITIVE,
        doc: 'steps per unit of decay (τ in lr·τ/(τ + t))',
      },
    },
  },
  warmup: {
    doc: 'linear warmup from 0 over `steps` steps, then another schedule',
    positional: ['steps', 'then'],
    args: {
      steps: { type: 'int', min: 1, doc: 'length of the warmup' },
      // biome-ignore lint/suspicious/noThenProperty: `then` is the argument name users write: warmup(steps, then = cosine(...)).
      then: { type: 'schedule', doc: 'the schedule after warmup (its step counts from the end of warmup)' },
    },
  },
  cyclical: {
    doc: 'triangular cycles between low·lr and lr with half-period `period`',
    positional: ['period', 'low'],
    args: {
      period: { type: 'int', min: 1, doc: 'steps from low to high' },
      low: { type: 'number', default: 0.1, range: FRACTION, doc: 'lowest value as a fraction of lr' },
    },
  },
  plateau: {
    doc: 'multiply by factor when the validation loss has not improved for `patience` evaluations (host-side)',
    positional: ['factor', 'patience'],
    args: {
      factor: {
        type: 'number',
        default: 0.1,
        range: OPEN_FRACTION,
        doc: 'multiplier at each reduction',
      },
      patience: { type: 'int', default: 10, doc: 'evaluations without improvement before reducing' },
    },
  },
};

export const DATASETS: Readonly<Record<string, CatalogueEntry>> = {
  spiral: {
    doc: 'the three-armed spiral of the lectures (points per class)',
    positional: ['classes', 'points', 'seed'],
    args: {
      classes: { type: 'int', range: { min: 1, max: MAX_CLASSES }, default: 3, doc: 'number of arms' },
      points: { type: 'int', range: { min: 1, max: MAX_POINTS }, default: 100, doc: 'points per class' },
      seed: { type: 'int', range: SEED, default: 0, doc: 'noise seed' },
    },
  },
  moons: {
    doc: 'two interleaving half circles',
    positional: ['points', 'noise', 'seed'],
    args: {
      points: { type: 'int', range: { min: 1, max: MAX_POINTS }, default: 100, doc: 'points per class' },
      noise: { type: 'number', default: 0.1, doc: 'standard deviation of the noise' },
      seed: { type: 'int', range: SEED, default: 0, doc: 'noise seed' },
    },
  },
  blobs: {
    doc: 'Gaussian blobs',
    positional: ['classes', 'points', 'seed'],
    args: {
      classes: { type: 'int', range: { min: 1, max: MAX_CLASSES }, default: 3, doc: 'number of blobs' },
      points: { type: 'int', range: { min: 1, max: MAX_POINTS }, default: 100, doc: 'points per class' },
      seed: { type: 'int', range: SEED, default: 0, doc: 'seed' },
    },
  },
  mnist: { doc: 'MNIST digits: 60,000 training and 10,000 test images', positional: [], args: {} },
  iris: { doc: "Fisher's iris data set", positional: [], args: {} },
};

/** Scalar training settings: key → type and allowed range. `optimizer`, `schedule` and `data` are structured. */
export const TRAIN_SETTINGS: Readonly<
  Record<string, { type: ArgType | 'optimizer' | 'data'; doc: string; range?: Range }>
> = {
  optimizer: { type: 'optimizer', doc: 'the optimiser, e.g. adam(lr = 1e-3)' },
  schedule: { type: 'schedule', doc: 'learning-rate schedule' },
  batch: { type: 'int', range: { min: 1, max: MAX_STEPS }, doc: 'minibatch size' },
  epochs: { type: 'int', range: { min: 1, max: MAX_STEPS }, doc: 'passes over the training data' },
  steps: { type: 'int', range: { min: 1, max: MAX_STEPS }, doc: 'optimisation steps (instead of epochs)' },
  shuffle: { type: 'boolean', doc: 'reshuffle every epoch (default true)' },
  seed: { type: 'int', range: SEED, doc: 'seed of initialisation, dropout and shuffling' },
  clip: { type: 'number', range: POSITIVE, doc: 'clip the gradient to this global norm' },
  polyak: {
    type: 'number',
    range: OPEN_FRACTION,
    doc: 'Polyak averaging of the parameters, with this decay',
  },
  early_stop: { type: 'int', range: { min: 1 }, doc: 'stop after this many evaluations without improvement' },
  restore_best: {
    type: 'boolean',
    doc: 'with early_stop: end with the params of the best evaluation (default true)',
  },
  data: {
    type: 'data',
    doc: 'training data: spiral(...), moons(...), blobs(...), mnist, iris, or a file path',
  },
  validation: {
    type: 'number',
    range: OPEN_FRACTION,
    doc: 'fraction of the training data held out for validation',
  },
};

/**
 * Names a `metric` may not take: the fields of a training log line (`step`, `epoch`, `eval`,
 * `loss`, `lr`, `grad_norm`, …), which a metric of the same name would overwrite (resuming selects
 * log lines by `step`), and `__proto__`, which a JSON object cannot hold as a plain key.
 */
export const RESERVED_METRIC_NAMES: ReadonlySet<string> = new Set([
  'step',
  'epoch',
  'eval',
  'loss',
  'lr',
  'grad_norm',
  'plateau_scale',
  'end_of_run',
  'seconds',
  '__proto__',
]);
