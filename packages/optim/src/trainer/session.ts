import { diagnostic, GradusError, type Graph, type Tensor } from '@gradus/autodiff';
import type { Backend, Executable } from '@gradus/backends';
import type { CallSpec } from '../catalogue.js';
import type { Columns } from '../data/load.js';
import { type HostDriver, isHostDriven, prepareHostDriven } from '../host/host-driver.js';
import { lsuv } from '../init/lsuv.js';
import { optimizerFromSpec } from '../optimizers.js';
import { buildTrainStep, paramsOf } from '../step.js';
import type { GradientTransformation } from '../transforms/types.js';
import { Batcher, gatherRows } from './batches.js';
import type { Callback, EvalEvent } from './callback.js';
import type { Checkpoint, RunState } from './checkpoint.js';
import { runLength } from './run-length.js';

export interface EvalSet {
  /** Which split the numbers describe, for reports: 'test', 'validation' or 'train'. */
  readonly split: string;
  readonly columns: Columns;
}

export interface TrainSpec {
  readonly modelName: string;
  /** The model's training-mode graph with its `loss` (and metrics). It becomes the training step. */
  readonly graph: Graph;
  /** The evaluation-mode graph (dropout off, running statistics): same variable names. */
  readonly evalGraph?: Graph;
  /** The model's data inputs, in the order of the columns to feed. */
  readonly inputNames: readonly string[];
  readonly train?: Columns;
  /** What evaluations during training score (early stopping, plateau and reports read it). */
  readonly evaluation?: EvalSet;
  /**
   * A held-out split scored once, after the last step, with the params the run ends with (the
   * restored best ones, or the Polyak averages): reported as an evaluation of split `test` and
   * as `TrainResult.test`. Nothing during training reads it.
   */
  readonly test?: EvalSet;
  /**
   * A catalogue call as in a `train { }` block (`{ name: 'adam', args: { lr: 1e-3 } }`, the
   * host-driven `lbfgs`, `bfgs` and `newton` included), or any gradient transformation: a named
   * optimiser (`adam(1e-3)`) or a `chain(...)` of transforms.
   */
  readonly optimizer: CallSpec | GradientTransformation;
  /** A learning-rate schedule for a catalogue optimiser (a transformation carries its own). */
  readonly schedule?: CallSpec;
  /** Minibatch size (default: 32, or everything when there are fewer examples). */
  readonly batch?: number;
  /** The run's total length in epochs; a resumed run counts the steps before the checkpoint. */
  readonly epochs?: number;
  /** The run's total length in steps (not additional steps when resuming). */
  readonly steps?: number;
  readonly shuffle?: boolean;
  readonly seed: number;
  readonly clip?: number;
  /**
   * Polyak averaging with this decay: the step also keeps an exponential moving average of every
   * param, and evaluation uses it, debiased by 1 − decay^t.
   */
  readonly polyak?: number;
  /** Stop after this many evaluations without a better evaluation loss. */
  readonly earlyStop?: number;
  /**
   * With `earlyStop`: end the run with the params of the best evaluation (default true). Ignored
   * without `earlyStop`.
   */
  readonly restoreBest?: boolean;
  readonly backend: Backend;
  readonly dtype: 'f32' | 'f64';
  /** Save a checkpoint here after every epoch, every `checkpointEvery` steps and at the end. */
  readonly checkpointDir?: string;
  readonly checkpointEvery?: number;
  /** Saved with each checkpoint, for the caller to compare when resuming. */
  readonly settings?: Readonly<Record<string, string | number>>;
  /** Continue from this checkpoint. */
  readonly resume?: Checkpoint;
  /** Evaluate every this many steps (default: once per epoch). */
  readonly evalEvery?: number;
  /** Read the params back after every step for `onStep` (for traces of small models). */
  readonly traceParams?: boolean;
}

const EVAL_CHUNK = 2048;

export const isCallSpec = (o: CallSpec | GradientTransformation): o is CallSpec =>
  'args' in o && !('update' in o);

/** A compiled run, ready for the loop: the training step, the evaluation and where to start. */
export interface Session {
  readonly modelName: string;
  readonly seed: number;
  readonly dtype: 'f32' | 'f64';
  readonly traceParams: boolean;
  readonly exe: Executable;
  readonly batcher: Batcher;
  readonly totalSteps: number;
  readonly evalEvery: number;
  readonly startStep: number;
  readonly run: RunState;
  readonly compileSeconds: number;
  readonly paramNames: readonly string[];
  readonly metricNames: readonly string[];
  readonly host: HostDriver | undefined;
  /** The optimiser's learning rate (a plateau schedule carries its host rule), for catalogue ones. */
  readonly lr: unknown;
  readonly evalSplit: string | undefined;
  /**
   * Scores `params` (and the training step's other variables, such as batchnorm statistics) on
   * the evaluation set with the evaluation graph; undefined without one.
   */
  evaluate(
    params: Readonly<Record<string, Tensor>> | undefined,
    step: number,
    endOfRun: boolean,
  ): Omit<EvalEvent, 'plateauScale'> | undefined;
  /** Scores `params` on the spec's `test` split, as `evaluate` does; undefined without one. */
  evaluateTest?(
    params: Readonly<Record<string, Tensor>> | undefined,
    step: number,
  ): Omit<EvalEvent, 'plateauScale'> | undefined;
}

/**
 * Builds and compiles the training step for `spec` (callbacks' `onGraph` may add state first),
 * compiles the evaluation graph, and initialises or restores the variables.
 */
export function prepareSession(spec: TrainSpec, callbacks: readonly Callback[]): Session {
  const g = spec.graph;
  const lossNode = g.loss();
  if (!lossNode) throw new Error('internal: the training graph has no loss');
  const catalogue = isCallSpec(spec.optimizer) ? spec.optimizer : undefined;
  const host =
    catalogue && isHostDriven(catalogue)
      ? prepareHostDriven(g, catalogue, {
          ...(spec.schedule ? { schedule: spec.schedule } : {}),
          ...(spec.clip !== undefined ? { clip: spec.clip } : {}),
          ...(spec.polyak !== undefined ? { polyak: spec.polyak } : {}),
        })
      : undefined;
  let lr: unknown;
  if (!host) {
    const optimizer = catalogue
      ? optimizerFromSpec(catalogue, spec.schedule ? { schedule: spec.schedule } : {})
      : (spec.optimizer as GradientTransformation);
    if (!catalogue && spec.schedule)
      throw new GradusError(
        diagnostic(
          'E0903',
          `a schedule (${spec.schedule.name}) applies to a catalogue optimiser; ${optimizer.name} is a transformation`,
          { hint: 'put the schedule in the transformation, as scaleByLearningRate(schedule)' },
        ),
      );
    lr = catalogue ? (optimizer as { lr?: unknown }).lr : undefined;
    buildTrainStep(
      g,
      g.value(lossNode),
      paramsOf(g),
      optimizer,
      spec.clip !== undefined ? { clip: spec.clip } : {},
    );
  }
  for (const c of callbacks) c.onGraph?.(g);
  const metricNames = [...g.outputs]
    .filter(([n, o]) => o.kind === 'metric' && n !== 'lr' && n !== 'grad_norm')
    .map(([n]) => n);
  const paramNames = g.params().map((p) => p.attrs.name as string);

  const rows = spec.inputNames.length === 0 ? 0 : (spec.train?.[spec.inputNames[0]].shape[0] ?? 0);
  const length = runLength({
    rows,
    optimizer: spec.optimizer,
    ...(spec.batch !== undefined ? { batch: spec.batch } : {}),
    ...(spec.epochs !== undefined ? { epochs: spec.epochs } : {}),
    ...(spec.steps !== undefined ? { steps: spec.steps } : {}),
  });
  const batch = length.batch;
  const shuffle = host ? false : (spec.shuffle ?? true);
  const batcher = new Batcher(spec.train ?? {}, spec.inputNames, batch, shuffle, spec.seed);
  const totalSteps = length.totalSteps;
  const evalSet: EvalSet = spec.evaluation ?? { split: 'train', columns: spec.train ?? {} };
  const evalRows = spec.inputNames.length === 0 ? 0 : evalSet.columns[spec.inputNames[0]].shape[0];

  const t0 = performance.now();
  const exe = spec.backend.compile(g, {
    dtype: spec.dtype,
    seed: spec.seed,
    ...(host ? { outputs: host.outputs } : {}),
  });
  const evalExe = spec.evalGraph
    ? spec.backend.compile(spec.evalGraph, {
        dtype: spec.dtype,
        seed: spec.seed,
        outputs: evalOutputs(spec.evalGraph),
      })
    : undefined;
  // Backends specialise lazily, per binding of the batch dim; doing it here for the sizes the
  // run will use makes `compileSeconds` the compile time and keeps it out of the loop's time.
  const batchSizes = rows === 0 ? [0] : [batch, rows % batch].filter((n) => n > 0);
  for (const n of batchSizes) exe.source(dimsOf(g, spec.inputNames, spec.train, n));
  if (evalExe && spec.evalGraph) {
    const sizes = evalRows === 0 ? [0] : [Math.min(EVAL_CHUNK, evalRows), evalRows % EVAL_CHUNK];
    for (const n of sizes.filter((k, i) => k > 0 || (i === 0 && evalRows === 0)))
      evalExe.source(dimsOf(spec.evalGraph, spec.inputNames, evalSet.columns, n));
  }

  let run: RunState = { earlyStop: { best: Number.POSITIVE_INFINITY, since: 0 } };
  let startStep = 0;
  if (!spec.resume) initialiseLsuv(spec, exe, batcher);
  if (spec.resume) {
    restore(exe, g, spec.resume, new Set(paramNames));
    startStep = spec.resume.step;
    if (spec.resume.run) run = { ...run, ...spec.resume.run };
  }
  const compileSeconds = (performance.now() - t0) / 1000;

  const score = (
    set: EvalSet,
    params: Readonly<Record<string, Tensor>> | undefined,
    step: number,
    endOfRun: boolean,
  ): Omit<EvalEvent, 'plateauScale'> | undefined => {
    if (!evalExe) return undefined;
    const evalRows = spec.inputNames.length === 0 ? 0 : set.columns[spec.inputNames[0]].shape[0];
    for (const name of evalExe.variables)
      if (exe.variables.includes(name)) evalExe.write(name, exe.read(name));
    if (params) for (const [p, t] of Object.entries(params)) evalExe.write(p, t);
    const sums: Record<string, number> = {};
    let seen = 0;
    for (let s = 0; s < Math.max(evalRows, 1); s += EVAL_CHUNK) {
      const take = evalRows === 0 ? 0 : Math.min(EVAL_CHUNK, evalRows - s);
      const feeds =
        evalRows === 0
          ? {}
          : gatherRows(
              set.columns,
              spec.inputNames,
              Int32Array.from({ length: take }, (_, i) => s + i),
            );
      const out = evalExe.run(feeds);
      // Chunk means weighted by chunk size: the mean over the whole set.
      const weight = evalRows === 0 ? 1 : take;
      for (const [name, t] of Object.entries(out)) sums[name] = (sums[name] ?? 0) + weight * t.data[0];
      seen += weight;
    }
    const metrics: Record<string, number> = {};
    for (const name of metricNames) if (name in sums) metrics[name] = sums[name] / seen;
    return {
      step,
      epoch: batcher.epochOf(Math.max(step - 1, 0)),
      split: set.split,
      loss: sums.loss / seen,
      metrics,
      ...(endOfRun ? { endOfRun } : {}),
    };
  };
  const evaluate: Session['evaluate'] = (params, step, endOfRun) => score(evalSet, params, step, endOfRun);
  const test = spec.test;

  return {
    modelName: spec.modelName,
    seed: spec.seed,
    dtype: spec.dtype,
    traceParams: spec.traceParams ?? false,
    exe,
    batcher,
    totalSteps,
    evalEvery: spec.evalEvery ?? batcher.batchesPerEpoch,
    startStep,
    run,
    compileSeconds,
    paramNames,
    metricNames,
    host,
    lr,
    evalSplit: evalExe ? evalSet.split : undefined,
    evaluate,
    ...(test && evalExe ? { evaluateTest: (params, step) => score(test, params, step, true) } : {}),
  };
}

function evalOutputs(g: Graph): string[] {
  return [...g.outputs].filter(([, o]) => o.kind !== 'output').map(([n]) => n);
}

/** The binding of a graph's symbolic input dims for a batch of `n` rows of `columns`. */
function dimsOf(
  g: Graph,
  names: readonly string[],
  columns: Columns | undefined,
  n: number,
): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const name of names) {
    const shape = g.inputs.get(name)?.shape ?? [];
    shape.forEach((d, i) => {
      if (typeof d === 'string') dims[d] = i === 0 ? n : (columns?.[name].shape[i] ?? 0);
    });
  }
  return dims;
}

/**
 * Writes a checkpoint's variables into the executable, after checking that they are exactly the
 * run's: a missing or extra param means another model, a missing or extra optimiser state means
 * another optimiser, and either would silently continue a different run.
 */
function restore(exe: Executable, g: Graph, c: Checkpoint, params: ReadonlySet<string>): void {
  const fail = (message: string, hint: string) => {
    throw new GradusError(diagnostic('E0913', message, { hint }));
  };
  const otherModel = 'resume with the model that wrote the checkpoint';
  const otherOptimizer = 'resume with the optimizer and schedule the checkpointed run used';
  for (const name of exe.variables) {
    const saved = c.variables[name];
    const isParam = params.has(name);
    if (!saved) {
      if (isParam) fail(`the checkpoint has no param '${name}': it was written by another model`, otherModel);
      fail(
        `the checkpoint has no optimiser state '${name}': it was written by a run with another optimizer or schedule`,
        otherOptimizer,
      );
    }
    const declared = g.variables.get(name)!.shape;
    const same =
      declared.length === saved.shape.length &&
      declared.every((d, i) => typeof d !== 'number' || d === saved.shape[i]);
    if (!same)
      fail(
        `the checkpoint's '${name}' has shape [${saved.shape.join(', ')}], but this model's has [${declared.join(', ')}]`,
        isParam ? otherModel : otherOptimizer,
      );
  }
  for (const name of Object.keys(c.variables)) {
    if (!exe.variables.includes(name))
      fail(
        `the checkpoint has a variable '${name}' that this run does not`,
        name.startsWith('opt.') ? otherOptimizer : otherModel,
      );
  }
  for (const name of exe.variables) exe.write(name, c.variables[name]);
}

/**
 * Mishkin and Matas' LSUV for params declared `init lsuv`: rescales them on the first minibatch
 * (the evaluation graph, so dropout does not blur the variances) before the first step.
 */
function initialiseLsuv(spec: TrainSpec, exe: Executable, batcher: Batcher): void {
  const graph = spec.evalGraph ?? spec.graph;
  const wanted = graph.params().filter((p) => (p.attrs.init as { kind?: string } | null)?.kind === 'lsuv');
  if (wanted.length === 0) return;
  if (spec.inputNames.length === 0) {
    throw new GradusError(
      diagnostic('E0908', 'init lsuv needs data: it scales each layer on a batch of inputs'),
    );
  }
  const values: Record<string, Tensor> = Object.create(null);
  for (const name of exe.variables) if (graph.variables.has(name)) values[name] = exe.read(name);
  const { values: scaled } = lsuv(graph, values, batcher.feeds(0));
  for (const p of wanted) exe.write(p.attrs.name as string, scaled[p.attrs.name as string]);
}
