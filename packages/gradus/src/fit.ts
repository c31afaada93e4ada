/**
 * `fit(model, settings, callbacks)`: training from TypeScript, as `gradus train` trains. The model
 * is a `.model` file, a model from `loadModel`, or a builder graph; the settings are the `train { }`
 * block's, checked by the block's own rules (a bad value is the diagnostic the block would give);
 * callbacks are the trainer's `Callback`s, which can also stop the run (`ctx.stop`).
 */
import { dirname, resolve } from 'node:path';
import { fromJSON, type Graph, suggest, toJSON } from '@gradus/autodiff';
import { type Backend, cpu, cpuFallingBack, gpu, gpuProblem, js } from '@gradus/backends';
import {
  type CheckedModel,
  type Lowered,
  type LowerOptions,
  loadModel,
  lower,
  ModelErrors,
  parseSetFlag,
  type TrainConfig,
  UsageError,
} from '@gradus/dsl';
import {
  type Callback,
  type CallSpec,
  type DataSpec,
  type GradientTransformation,
  isCallSpec,
  runLength,
  TRAIN_SETTINGS,
  type TrainResult,
  train,
} from '@gradus/optim';
import { DEFAULT_OPTIMIZER, describeCall } from './cli/run-config.js';
import { type InMemoryData, type InputDecl, type PreparedData, prepareData } from './prepare-data.js';
import { scheduleLengthWarning } from './run-length.js';

/** A graph for each mode: training (dropout on, batch statistics) and evaluation. */
export type GraphFactory = (mode: 'train' | 'eval') => Graph;

/**
 * What `fit` trains: a `.model` file's path, a model from `loadModel` (relowered for each mode
 * and seed, as `gradus train` does), a `Lowered` model or a builder graph (copied, so the one
 * given is left as it is; evaluation uses a copy of it too), or a function building the graph of
 * each mode.
 */
export type FitModel =
  | string
  | (CheckedModel & { readonly lowered: Lowered })
  | Lowered
  | Graph
  | GraphFactory;

/** A backend by name (as `--backend`) or a `Backend` object. */
export type BackendChoice = 'cpu' | 'js' | 'gpu' | 'auto' | Backend;

/**
 * The `train { }` block's settings, with the block's names, types and checks; each one given
 * replaces the model file's. Beside them: the dtype, the backend, hyper-parameter values, a
 * checkpoint directory and where warnings go.
 */
export interface FitSettings {
  /** `'adam(lr = 1e-2)'`, `'chain(clip_by_global_norm(1), scale_by_adam(), scale(-1e-3))'`, a call, or a transformation object (`adam(1e-2)`, `chain(...)`). */
  readonly optimizer?: string | CallSpec | GradientTransformation;
  /** `'warmup(steps = 50, then = cosine(steps = 2000))'` or a call; scales a catalogue optimiser's lr. */
  readonly schedule?: string | CallSpec;
  /** `'spiral(points = 50)'`, `'mnist'`, a file path (relative to the working directory), a data spec, or columns in memory. */
  readonly data?: string | DataSpec | InMemoryData;
  readonly batch?: number;
  readonly epochs?: number;
  readonly steps?: number;
  readonly shuffle?: boolean;
  readonly seed?: number;
  readonly clip?: number;
  readonly polyak?: number;
  readonly early_stop?: number;
  readonly restore_best?: boolean;
  readonly validation?: number;
  readonly dtype?: 'f32' | 'f64';
  readonly backend?: BackendChoice;
  /** Values for the model file's hyper-parameters. */
  readonly hypers?: Readonly<Record<string, number>>;
  /** Save a checkpoint here every epoch and at the end. */
  readonly checkpoint?: string;
  /** Evaluate every this many steps (default: once per epoch). */
  readonly eval_every?: number;
  /** Where warnings go (a schedule longer than the run, a backend fallback); default `console.warn`. */
  readonly warn?: (message: string) => void;
}

/** What `fit` returns: the trainer's result, the loss of every step, and the settings it ran with. */
export interface FitResult extends TrainResult {
  /** The training loss of every step, in order. */
  readonly losses: readonly number[];
  readonly model: string;
  /** The resolved settings: every value used, defaults included. */
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  readonly data: Pick<PreparedData, 'description' | 'rows'>;
  readonly warnings: readonly string[];
}

const EXTRA_KEYS = ['dtype', 'backend', 'hypers', 'checkpoint', 'eval_every', 'warn'] as const;

/** A setting's value as text for the block's parser, or a type error naming what it must be. */
function settingText(key: string, v: unknown, type: string): string {
  const want = (what: string): never => {
    throw new UsageError(
      `settings.${key} must be ${what}, got ${typeof v === 'string' ? `'${v}'` : String(v)}`,
    );
  };
  if (type === 'boolean') return typeof v === 'boolean' ? String(v) : want('true or false');
  if (type === 'optimizer' || type === 'schedule' || type === 'data') {
    if (typeof v === 'string') return v;
    if (typeof v === 'object' && v !== null && 'name' in v && 'args' in v) return describeCall(v as CallSpec);
    return want(
      `a ${type} call such as ${type === 'optimizer' ? "'adam(lr = 1e-3)'" : "'cosine(steps = 100)'"}`,
    );
  }
  if (typeof v !== 'number') return want('a number');
  // Exponent form for numbers the parser reads as written (1e-7, 1e+21).
  return Number.isFinite(v) ? String(v) : want('a finite number');
}

/** A data flag that names a file: a path, or a name ending in a data file's extension. */
const looksLikePath = (text: string): boolean => /[/\\]|\.(json|csv|npy|npz)$/i.test(text);

interface Resolved {
  readonly config: TrainConfig;
  /** A transformation object given as the optimiser (not a catalogue call). */
  readonly transform?: GradientTransformation;
  /** In-memory data, or a data spec given in the settings (relative to the working directory). */
  readonly data?: DataSpec | InMemoryData;
  readonly dataFromSettings: boolean;
}

/**
 * The model's train block with `settings` applied, each value checked by the block's rules (the
 * same diagnostics as in a file, rendered against `settings.<key>`).
 */
export function applySettings(base: TrainConfig, settings: FitSettings): Resolved {
  const config: TrainConfig = { ...base };
  let transform: GradientTransformation | undefined;
  let data: DataSpec | InMemoryData | undefined = config.data;
  let dataFromSettings = false;
  const known = [...Object.keys(TRAIN_SETTINGS), ...EXTRA_KEYS];
  if (settings.epochs !== undefined && settings.steps !== undefined)
    throw new UsageError('give either settings.epochs or settings.steps, not both');
  for (const [key, v] of Object.entries(settings)) {
    if (v === undefined || (EXTRA_KEYS as readonly string[]).includes(key)) continue;
    const spec = Object.hasOwn(TRAIN_SETTINGS, key) ? TRAIN_SETTINGS[key] : undefined;
    if (!spec) {
      const s = suggest(key, known);
      throw new UsageError(
        `unknown training setting '${key}'`,
        s ? `did you mean ${s}?` : `known settings: ${known.join(', ')}`,
      );
    }
    if (key === 'optimizer' && typeof v === 'object' && v !== null && !isCallSpec(v as CallSpec)) {
      transform = v as GradientTransformation;
      delete config.optimizer;
      continue;
    }
    if (key === 'data') {
      dataFromSettings = true;
      if (typeof v === 'object' && v !== null && ('train' in v || 'path' in v)) {
        data = 'path' in v ? { path: resolve((v as { path: string }).path) } : (v as InMemoryData);
        continue;
      }
      if (typeof v === 'string' && looksLikePath(v)) {
        data = { path: resolve(v) };
        continue;
      }
    }
    const text = `${key} = ${settingText(key, v, spec.type)}`;
    const into: TrainConfig = {};
    const diagnostics = parseSetFlag(text, into);
    if (diagnostics.length > 0) throw new ModelErrors({ name: `settings.${key}`, text }, diagnostics);
    if (key === 'epochs') delete config.steps;
    if (key === 'steps') delete config.epochs;
    Object.assign(config, into);
    if (key === 'data') data = into.data;
  }
  return { config, ...(transform ? { transform } : {}), ...(data ? { data } : {}), dataFromSettings };
}

function chooseBackend(
  choice: BackendChoice | undefined,
  dtype: 'f32' | 'f64' | undefined,
  warn: (m: string) => void,
): { backend: Backend; dtype: 'f32' | 'f64' } {
  if (typeof choice === 'object') return { backend: choice, dtype: dtype ?? 'f64' };
  const name = choice ?? 'cpu';
  if (name === 'cpu') return { backend: cpu, dtype: dtype ?? 'f64' };
  if (name === 'js') return { backend: js, dtype: dtype ?? 'f64' };
  if (name !== 'gpu' && name !== 'auto')
    throw new UsageError(`settings.backend must be cpu, js, gpu or auto, got '${String(name)}'`);
  const problem = gpuProblem();
  if (name === 'gpu') {
    if (problem !== undefined)
      throw new UsageError(`backend gpu: ${problem}`, "use backend 'cpu', or 'auto'");
    if (dtype === 'f64')
      throw new UsageError(
        'the gpu backend computes in single precision',
        "use dtype 'f32' with backend 'gpu'",
      );
    return { backend: gpu, dtype: 'f32' };
  }
  if (problem === undefined && dtype !== 'f64') return { backend: gpu, dtype: 'f32' };
  warn(
    `backend auto: using the cpu backend (${problem !== undefined ? `no GPU: ${problem}` : 'f64 was asked for and the gpu backend is single precision'})`,
  );
  return { backend: cpuFallingBack((m) => warn(`backend auto: ${m}`)), dtype: dtype ?? 'f32' };
}

const isGraph = (m: unknown): m is Graph =>
  typeof m === 'object' && m !== null && 'inputs' in m && 'variables' in m && 'outputs' in m && 'nodes' in m;

/** A copy of a graph (training adds the step to the graph it is given). */
const copyOf = (g: Graph): Graph => fromJSON(toJSON(g));

interface Prepared {
  readonly name: string;
  readonly train: Graph;
  readonly eval: Graph;
  readonly inputs: readonly InputDecl[];
  readonly block: TrainConfig;
  /** What a data path in the model's own train block is relative to. */
  readonly baseDir: string;
}

function graphInputs(g: Graph): InputDecl[] {
  return [...g.inputs]
    .filter(([name]) => !name.startsWith('$'))
    .map(([name, node]) => ({ name, shape: node.shape, dtype: node.dtype }));
}

/** The training and evaluation graphs of `model` for this run's dtype and seed. */
function graphsOf(
  model: FitModel,
  dtype: 'f32' | 'f64',
  seedOf: (block: TrainConfig) => number,
  hypers: FitSettings['hypers'],
): Prepared {
  if (typeof model === 'function') {
    const train = model('train');
    return {
      name: 'model',
      train,
      eval: model('eval'),
      inputs: graphInputs(train),
      block: {},
      baseDir: process.cwd(),
    };
  }
  if (isGraph(model)) {
    const train = copyOf(model);
    return {
      name: 'model',
      train,
      eval: copyOf(model),
      inputs: graphInputs(train),
      block: {},
      baseDir: process.cwd(),
    };
  }
  const opts: LowerOptions = { floatDtype: dtype, ...(hypers ? { hypers } : {}) };
  const relower = (
    load: (o: LowerOptions) => Lowered,
    block: TrainConfig,
    baseDir: string,
    name: string,
  ): Prepared => {
    const seed = seedOf(block);
    const t = load({ ...opts, seed, mode: 'train' });
    const e = load({ ...opts, seed, mode: 'eval' });
    return { name, train: t.graph, eval: e.graph, inputs: t.model.inputs, block, baseDir };
  };
  if (typeof model === 'string') {
    const probe = loadModel(model, opts).lowered.model;
    return relower((o) => loadModel(model, o).lowered, probe.train, dirname(resolve(model)), probe.name);
  }
  if ('program' in model) {
    const load = (o: LowerOptions): Lowered => {
      const { result, diagnostics } = lower(model.program, o);
      if (!result) throw new ModelErrors(model.file, diagnostics);
      return result;
    };
    return relower(load, model.lowered.model.train, process.cwd(), model.lowered.model.name);
  }
  if (hypers)
    throw new UsageError('settings.hypers needs the model file (or loadModel’s result), not a lowered model');
  return {
    name: model.model.name,
    train: copyOf(model.graph),
    eval: copyOf(model.graph),
    inputs: model.model.inputs,
    block: model.model.train,
    baseDir: process.cwd(),
  };
}

/**
 * Trains `model` with `settings` (over the model's own `train { }` block, if it has one) and
 * `callbacks`, as `gradus train` does: the same checks, data preparation (validation split, test
 * split scored once at the end), run length, optimisers and callbacks. Returns the trained params,
 * the loss of every step, the last evaluation (and `test`), and the settings used.
 *
 * ```ts
 * const r = fit('models/two_layer.model', { optimizer: 'adam(lr = 1e-2)', epochs: 50 });
 * ```
 */
export function fit(
  model: FitModel,
  settings: FitSettings = {},
  callbacks: Callback | readonly Callback[] = [],
): FitResult {
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    (settings.warn ?? console.warn)(m);
  };
  const { backend, dtype } = chooseBackend(settings.backend, settings.dtype, warn);
  if (settings.dtype !== undefined && settings.dtype !== 'f32' && settings.dtype !== 'f64')
    throw new UsageError(`settings.dtype must be 'f32' or 'f64', got '${String(settings.dtype)}'`);
  let resolved: Resolved | undefined;
  const prepared = graphsOf(
    model,
    dtype,
    (block) => {
      resolved = applySettings(block, settings);
      return resolved.config.seed ?? 0;
    },
    settings.hypers,
  );
  resolved ??= applySettings(prepared.block, settings);
  const { config, transform } = resolved;
  const seed = config.seed ?? 0;
  const data = prepareData({
    modelName: prepared.name,
    inputs: prepared.inputs,
    graph: prepared.train,
    ...(resolved.data ? { data: resolved.data } : {}),
    baseDir: resolved.dataFromSettings ? process.cwd() : prepared.baseDir,
    ...(config.validation !== undefined ? { validation: config.validation } : {}),
    seed,
  });
  const optimizer: CallSpec | GradientTransformation = transform ?? config.optimizer ?? DEFAULT_OPTIMIZER;
  const length = runLength({
    rows: data.rows.train,
    optimizer,
    ...(config.batch !== undefined ? { batch: config.batch } : {}),
    ...(config.epochs !== undefined ? { epochs: config.epochs } : {}),
    ...(config.steps !== undefined ? { steps: config.steps } : {}),
  });
  if (config.schedule) {
    const w = scheduleLengthWarning(config.schedule, length.totalSteps);
    if (w) warn(w);
  }
  const losses: number[] = [];
  const user = Array.isArray(callbacks) ? callbacks : [callbacks as Callback];
  const record: Callback = { name: 'losses', onStep: (e) => void losses.push(e.loss) };
  const used: Record<string, string | number | boolean> = {
    optimizer: isCallSpec(optimizer) ? describeCall(optimizer) : optimizer.name,
    schedule: config.schedule ? describeCall(config.schedule) : 'none',
    data: data.description,
    batch: length.batch,
    steps: length.totalSteps,
    seed,
    dtype,
    backend: backend.name,
    shuffle: config.shuffle ?? true,
  };
  for (const k of ['epochs', 'clip', 'polyak', 'early_stop', 'restore_best', 'validation'] as const)
    if (config[k] !== undefined) used[k] = config[k] as number | boolean;
  const result = train(
    {
      modelName: prepared.name,
      graph: prepared.train,
      evalGraph: prepared.eval,
      inputNames: prepared.inputs.map((i) => i.name),
      ...(data.train ? { train: data.train } : {}),
      ...(data.evaluation ? { evaluation: data.evaluation } : {}),
      ...(data.test ? { test: data.test } : {}),
      optimizer,
      ...(config.schedule ? { schedule: config.schedule } : {}),
      ...(config.batch !== undefined ? { batch: config.batch } : {}),
      steps: length.totalSteps,
      ...(config.shuffle !== undefined ? { shuffle: config.shuffle } : {}),
      seed,
      ...(config.clip !== undefined ? { clip: config.clip } : {}),
      ...(config.polyak !== undefined ? { polyak: config.polyak } : {}),
      ...(config.early_stop !== undefined ? { earlyStop: config.early_stop } : {}),
      ...(config.restore_best !== undefined ? { restoreBest: config.restore_best } : {}),
      backend,
      dtype,
      ...(settings.checkpoint !== undefined ? { checkpointDir: settings.checkpoint } : {}),
      ...(settings.eval_every !== undefined ? { evalEvery: settings.eval_every } : {}),
      settings: Object.fromEntries(
        Object.entries(used).map(([k, v]) => [k, typeof v === 'boolean' ? String(v) : v]),
      ),
    },
    [record, ...user],
  );
  return {
    ...result,
    losses,
    model: prepared.name,
    settings: used,
    data: { description: data.description, rows: data.rows },
    warnings: [...warnings, ...result.warnings],
  };
}
