import { resolve } from 'node:path';
import {
  type CallSpec,
  ModelErrors,
  parseSetFlag,
  parseSettingFlag,
  splitSetFlag,
  type TrainConfig,
  UsageError,
} from '@gradus/dsl';

/** Flags that override a model's `train { }` settings, shared by `train` and `schedule`. */
export interface SettingFlags {
  readonly data?: string;
  readonly optimizer?: string;
  readonly schedule?: string;
  readonly epochs?: number;
  readonly steps?: number;
  readonly batch?: number;
  readonly seed?: number;
  /** `--set key=value`, repeatable: any `train { }` setting, checked by the block's rules. */
  readonly set?: readonly string[];
}

/** The dedicated flag of a setting, for "given twice" errors. */
const FLAG_OF: Readonly<Record<string, keyof SettingFlags>> = {
  data: 'data',
  optimizer: 'optimizer',
  schedule: 'schedule',
  epochs: 'epochs',
  steps: 'steps',
  batch: 'batch',
  seed: 'seed',
};

/** A data flag that names a file: a path, or a name ending in a data file's extension. */
const looksLikePath = (text: string): boolean => /[/\\]|\.(json|csv|npy|npz)$/i.test(text);

/**
 * The model's training settings with the flags applied. Flag values are validated by the same
 * rules as the `train { }` block, and their diagnostics render against the flag's own text.
 */
export function applySettingFlags(base: TrainConfig, flags: SettingFlags): TrainConfig {
  if (flags.epochs !== undefined && flags.steps !== undefined)
    throw new UsageError('give either --epochs or --steps, not both');
  const config: TrainConfig = { ...base };
  const sets = readSetFlags(flags);
  if (sets.has('epochs') && sets.has('steps'))
    throw new UsageError('give either --set epochs=… or --set steps=…, not both');
  for (const [key, { text, value }] of sets) {
    // A file named on the command line is relative to the working directory, not the model.
    if (key === 'data' && looksLikePath(value)) {
      config.data = { path: resolve(value) };
      continue;
    }
    const into: TrainConfig = {};
    const diagnostics = parseSetFlag(text, into);
    if (diagnostics.length > 0) throw new ModelErrors({ name: '--set', text }, diagnostics);
    // Like --epochs and --steps, either one replaces the other.
    if (key === 'epochs') delete config.steps;
    if (key === 'steps') delete config.epochs;
    if (into.data && 'path' in into.data) into.data = { path: resolve(into.data.path) };
    if (into.optimizer) into.optimizer = withoutSpans(into.optimizer);
    if (into.schedule) into.schedule = withoutSpans(into.schedule);
    Object.assign(config, into);
  }
  for (const key of ['optimizer', 'schedule'] as const) {
    const text = flags[key];
    if (text === undefined) continue;
    const diagnostics = parseSettingFlag(key, text, config);
    if (diagnostics.length > 0) throw new ModelErrors({ name: `--${key}`, text }, diagnostics);
    // Its spans are offsets into the flag, not the model file: errors found later (when training
    // starts) would point at the wrong text, so they print without a location.
    if (config[key]) config[key] = withoutSpans(config[key]);
  }
  if (flags.data !== undefined) {
    if (looksLikePath(flags.data)) config.data = { path: flags.data };
    else {
      const diagnostics = parseSettingFlag('data', flags.data, config);
      if (diagnostics.length > 0) throw new ModelErrors({ name: '--data', text: flags.data }, diagnostics);
    }
  }
  if (flags.epochs !== undefined) {
    config.epochs = flags.epochs;
    delete config.steps;
  }
  if (flags.steps !== undefined) {
    config.steps = flags.steps;
    delete config.epochs;
  }
  if (flags.batch !== undefined) config.batch = flags.batch;
  if (flags.seed !== undefined) config.seed = flags.seed;
  return config;
}

/**
 * The `--set` flags by key, each checked to be `key=value` and given once (by `--set` or by the
 * setting's own flag); values are checked when applied.
 */
function readSetFlags(flags: SettingFlags): Map<string, { text: string; value: string }> {
  const sets = new Map<string, { text: string; value: string }>();
  for (const text of flags.set ?? []) {
    const split = splitSetFlag(text);
    if (!split) {
      const diagnostics = parseSetFlag(text, {});
      throw new ModelErrors({ name: '--set', text }, diagnostics);
    }
    if (sets.has(split.key)) throw new UsageError(`--set ${split.key} is given twice`);
    const own = FLAG_OF[split.key];
    if (own !== undefined && flags[own] !== undefined)
      throw new UsageError(`${split.key} is given twice: by --set ${split.key}=… and by --${own}`);
    sets.set(split.key, { text, value: split.value });
  }
  return sets;
}

/** A call from a flag without its spans, which are offsets into the flag rather than the model file. */
function withoutSpans(c: CallSpec): CallSpec {
  const args = Object.fromEntries(
    Object.entries(c.args).map(([k, v]) => [
      k,
      typeof v === 'object' && !Array.isArray(v)
        ? withoutSpans(v as CallSpec)
        : Array.isArray(v) && v.some((e) => typeof e === 'object' && !Array.isArray(e))
          ? (v as CallSpec[]).map(withoutSpans)
          : v,
    ]),
  );
  return { name: c.name, args };
}

/** The optimiser a run uses when neither the model nor a flag names one. */
export const DEFAULT_OPTIMIZER: CallSpec = { name: 'sgd', args: { lr: 0.01 } };

/** `adam(lr = 0.001, ...)`, for headers and reports; a chain's transformations are positional. */
export function describeCall(c: CallSpec): string {
  const args = Object.entries(c.args)
    .map(([k, v]) => {
      if (Array.isArray(v) && v.some((e) => typeof e === 'object' && !Array.isArray(e)))
        return (v as CallSpec[]).map(describeCall).join(', ');
      const text =
        typeof v === 'object' && !Array.isArray(v)
          ? describeCall(v as CallSpec)
          : Array.isArray(v)
            ? `[${v.map((e) => (Array.isArray(e) ? `[${e.join(', ')}]` : e)).join(', ')}]`
            : String(v);
      return `${k} = ${text}`;
    })
    .join(', ');
  return `${c.name}(${args})`;
}
