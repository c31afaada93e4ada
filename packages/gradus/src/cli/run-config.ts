import { type CallSpec, ModelErrors, parseSettingFlag, type TrainConfig, UsageError } from '@gradus/dsl';

/** Flags that override a model's `train { }` settings, shared by `train` and `schedule`. */
export interface SettingFlags {
  readonly data?: string;
  readonly optimizer?: string;
  readonly schedule?: string;
  readonly epochs?: number;
  readonly steps?: number;
  readonly batch?: number;
  readonly seed?: number;
}

/**
 * The model's training settings with the flags applied. Flag values are validated by the same
 * rules as the `train { }` block, and their diagnostics render against the flag's own text.
 */
export function applySettingFlags(base: TrainConfig, flags: SettingFlags): TrainConfig {
  if (flags.epochs !== undefined && flags.steps !== undefined)
    throw new UsageError('give either --epochs or --steps, not both');
  const config: TrainConfig = { ...base };
  for (const key of ['optimizer', 'schedule'] as const) {
    const text = flags[key];
    if (text === undefined) continue;
    const diagnostics = parseSettingFlag(key, text, config);
    if (diagnostics.length > 0) throw new ModelErrors({ name: `--${key}`, text }, diagnostics);
  }
  if (flags.data !== undefined) {
    if (/[/\\]|\.(json|csv|npy)$/i.test(flags.data)) config.data = { path: flags.data };
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

/** The optimiser a run uses when neither the model nor a flag names one. */
export const DEFAULT_OPTIMIZER: CallSpec = { name: 'sgd', args: { lr: 0.01 } };

/** `adam(lr = 0.001, ...)`, for headers and reports. */
export function describeCall(c: CallSpec): string {
  const args = Object.entries(c.args)
    .map(([k, v]) => {
      const text =
        typeof v === 'object' && !Array.isArray(v)
          ? describeCall(v as CallSpec)
          : Array.isArray(v)
            ? `[${v.join(', ')}]`
            : String(v);
      return `${k} = ${text}`;
    })
    .join(', ');
  return `${c.name}(${args})`;
}
