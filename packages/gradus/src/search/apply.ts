/**
 * What a searched name means for one model, and a trial's values applied to its settings.
 *
 * A name is, in this order: a hyper-parameter the model declares; `optimizer` or `schedule`
 * (a choice of name: `optimizer=choice(sgd, adam)`); `schedule.ARG`; a train setting (`batch`,
 * `clip`, `validation`, …); or an argument of the run's optimiser (`lr`, `beta1`, …). Values
 * are applied as the text a user would write in the `train { }` block, through the same
 * validation, so a trial can never run with a setting the file itself would refuse.
 */
import { type Diagnostic, GradusError } from '@gradus/autodiff';
import {
  type CallSpec,
  type HyperInfo,
  ModelErrors,
  parseSettingFlag,
  readHyperFlags,
  type TrainConfig,
} from '@gradus/dsl';
import {
  OPTIMIZERS,
  type SearchSpace,
  type SpaceValue,
  TRAIN_SETTINGS,
  type TrialParams,
} from '@gradus/optim';
import { DEFAULT_OPTIMIZER, describeCall } from '../cli/run-config.js';

export type Target =
  | { readonly kind: 'hyper' }
  | { readonly kind: 'optimizer' | 'schedule' }
  | { readonly kind: 'schedule-arg'; readonly arg: string }
  | { readonly kind: 'setting' }
  | { readonly kind: 'optimizer-arg' };

const own = (o: object, k: string) => Object.hasOwn(o, k);

/** Names a trial cannot change: they decide what a run is, not how it trains. */
const NOT_SEARCHABLE = new Set(['data', 'seed']);

/** Where each searched name goes, or an error naming the ones that go nowhere. */
export function resolveTargets(
  space: SearchSpace,
  hypers: readonly Pick<HyperInfo, 'name'>[],
  config: TrainConfig,
): ReadonlyMap<string, Target> {
  const out = new Map<string, Target>();
  const hyperNames = new Set(hypers.map((h) => h.name));
  const optimizers = new Set<string>([(config.optimizer ?? DEFAULT_OPTIMIZER).name]);
  const chosen = space.find((e) => e.name === 'optimizer');
  if (chosen && (chosen.dist.kind === 'choice' || chosen.dist.kind === 'grid'))
    for (const v of chosen.dist.values) optimizers.add(String(v));
  for (const { name } of space) {
    const dot = name.indexOf('.');
    if (hyperNames.has(name)) out.set(name, { kind: 'hyper' });
    else if (name === 'optimizer' || name === 'schedule') out.set(name, { kind: name });
    else if (dot >= 0) {
      if (name.slice(0, dot) !== 'schedule')
        throw usage(`--space ${name}: only schedule arguments are written with a dot (schedule.steps)`);
      out.set(name, { kind: 'schedule-arg', arg: name.slice(dot + 1) });
    } else if (NOT_SEARCHABLE.has(name))
      throw usage(`--space ${name}: '${name}' cannot be searched (use --seed of the search for seeds)`);
    else if (own(TRAIN_SETTINGS, name)) out.set(name, { kind: 'setting' });
    else if ([...optimizers].some((o) => own(OPTIMIZERS, o) && own(OPTIMIZERS[o].args, name)))
      out.set(name, { kind: 'optimizer-arg' });
    else {
      const known = [...hyperNames].map((h) => `${h} (hyper)`);
      throw usage(
        `--space ${name}: the model has no hyper-parameter '${name}', and it is neither a train setting nor an argument of ${[...optimizers].join(' or ')}`,
        known.length > 0 ? `hyper-parameters: ${known.join(', ')}` : undefined,
      );
    }
  }
  return out;
}

function usage(message: string, hint?: string): GradusError {
  return new GradusError({ code: 'E0961', severity: 'error', message, notes: [], ...(hint ? { hint } : {}) });
}

/** A number or word as it is written in a `train { }` block. */
function literal(v: SpaceValue): string {
  return typeof v === 'number' ? String(v) : v;
}

function check(key: string, text: string, into: TrainConfig): void {
  const diagnostics: Diagnostic[] = parseSettingFlag(key, text, into);
  if (diagnostics.length > 0) throw new ModelErrors({ name: `--space ${key}`, text }, diagnostics);
}

function withArg(call: CallSpec, arg: string, value: SpaceValue): string {
  const args = { ...call.args, [arg]: typeof value === 'number' ? value : value };
  return describeCall({ name: call.name, args: args as CallSpec['args'] });
}

/** A trial's settings: the model's train settings with the trial's values applied. */
export interface AppliedTrial {
  readonly config: TrainConfig;
  /** Overrides of the model's hyper-parameters (to lower the model with). */
  readonly hypers: Readonly<Record<string, number>>;
}

/**
 * Applies one trial's values. Names apply in a fixed order (the optimiser and schedule first,
 * so that their arguments apply to the chosen ones), each validated as the file would be.
 */
export function applyTrial(
  params: TrialParams,
  targets: ReadonlyMap<string, Target>,
  hypers: readonly Pick<HyperInfo, 'name' | 'type' | 'range'>[],
  base: TrainConfig,
): AppliedTrial {
  const config: TrainConfig = { ...base };
  const hyperTexts: string[] = [];
  const order = (t: Target) => (t.kind === 'optimizer' || t.kind === 'schedule' ? 0 : 1);
  const names = [...targets.keys()].sort(
    (a, b) => order(targets.get(a) as Target) - order(targets.get(b) as Target),
  );
  for (const name of names) {
    const target = targets.get(name) as Target;
    const value = params[name];
    if (value === undefined) continue;
    switch (target.kind) {
      case 'hyper':
        hyperTexts.push(`${name}=${literal(value)}`);
        break;
      case 'optimizer':
      case 'schedule':
        check(target.kind, `${literal(value)}()`, config);
        break;
      case 'schedule-arg': {
        if (!config.schedule)
          throw usage(`--space ${name}: the run has no schedule to set '${target.arg}' of`);
        check('schedule', withArg(config.schedule, target.arg, value), config);
        break;
      }
      case 'setting':
        check(name, literal(value), config);
        break;
      case 'optimizer-arg':
        check('optimizer', withArg(config.optimizer ?? DEFAULT_OPTIMIZER, name, value), config);
        break;
    }
  }
  if (hyperTexts.length === 0) return { config, hypers: Object.create(null) };
  const read = readHyperFlags(hyperTexts, hypers);
  if (!('hypers' in read)) throw new ModelErrors({ name: '--space', text: read.text }, read.diagnostics);
  return { config, hypers: read.hypers };
}
