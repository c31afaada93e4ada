import { diagnostic, GradusError, type Graph, type Tensor } from '@gradus/autodiff';
import type { Backend, Executable } from '@gradus/backends';
import type { CallSpec } from '../catalogue.js';
import type { Columns } from '../data/load.js';
import { isHostDriven, prepareHostDriven } from '../host/host-driver.js';
import { lsuv } from '../init/lsuv.js';
import { optimizerFromSpec } from '../optimizers.js';
import { scheduleFromSpec } from '../schedules/from-spec.js';
import { isPlateauSchedule, PLATEAU_VARIABLE } from '../schedules/library.js';
import type { PlateauRule } from '../schedules/plateau.js';
import { buildTrainStep, paramsOf } from '../step.js';
import { Batcher, gatherRows } from './batches.js';
import { type Checkpoint, type RunState, saveCheckpoint } from './checkpoint.js';

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
  readonly evaluation?: EvalSet;
  readonly optimizer: CallSpec;
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
   * param, and evaluation (and `averagedParams`) uses it, debiased by 1 − decay^t.
   */
  readonly polyak?: number;
  /** Stop after this many evaluations without a better evaluation loss. */
  readonly earlyStop?: number;
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

export interface StepEvent {
  /** 1-based number of the step just taken. */
  readonly step: number;
  readonly epoch: number;
  /** The loss at the params the step started from. */
  readonly loss: number;
  /** The learning rate the step used. */
  readonly lr?: number;
  readonly gradNorm?: number;
  readonly metrics: Readonly<Record<string, number>>;
  /** The params after the step (only with `traceParams`). */
  readonly params?: Readonly<Record<string, Float64Array>>;
  readonly totalSteps: number;
}

export interface EvalEvent {
  readonly step: number;
  readonly epoch: number;
  readonly split: string;
  readonly loss: number;
  readonly metrics: Readonly<Record<string, number>>;
  /** Reduce-on-plateau's multiplier after this evaluation, when the schedule is `plateau`. */
  readonly plateauScale?: number;
  /**
   * An extra evaluation at the end of a run that does not end on the evaluation schedule. It
   * only reports: reduce-on-plateau and early stopping ignore it, as an uninterrupted run (of
   * which this run may be the first part) never makes it.
   */
  readonly endOfRun?: boolean;
}

export interface TrainHooks {
  /** The params the first step will start from (initialised, or restored from the checkpoint). */
  onStart?(params: Readonly<Record<string, Tensor>>): void;
  onStep?(e: StepEvent): void;
  onEval?(e: EvalEvent): void;
  onCheckpoint?(path: string, step: number): void;
}

export type StopReason = 'nan' | 'diverged' | 'early_stop';

export interface TrainResult {
  /** The global step reached (a resumed run counts the steps before the checkpoint). */
  readonly steps: number;
  readonly epochs: number;
  /** The training loss of the last step taken. */
  readonly finalLoss: number;
  readonly evaluation?: EvalEvent;
  readonly seconds: number;
  readonly compileSeconds: number;
  readonly stopped?: { readonly reason: StopReason; readonly message: string };
  readonly params: Readonly<Record<string, Tensor>>;
}

const EVAL_CHUNK = 2048;
/** A loss this many times the first one is divergence, stopped before it overflows to ∞. */
const DIVERGED_FACTOR = 1e8;

/**
 * Trains a model: one compiled training-step graph (forward, backward, optimiser update) run once
 * per minibatch on a backend, where params and optimiser state stay between steps. Evaluates the
 * evaluation graph on the evaluation set every epoch (driving reduce-on-plateau and early
 * stopping), stops on NaN/∞ and on divergence with a message saying what probably happened, and
 * checkpoints atomically. A function, not a class: a run's state is the backend's variables, the
 * step number and the small `RunState`, all of which a checkpoint holds.
 *
 * The host-driven optimisers `lbfgs` and `newton` (see host/host-driver.ts) are full batch: one
 * step is one iteration over ALL the training data (`batch` and `shuffle` do not apply, and an
 * epoch is one step). The compiled graph then gives the loss and gradients (and the Hessian),
 * and the host takes the step; evaluation, checkpoints, the NaN and divergence stops and the
 * hooks are the same. They also stop once converged (reason `early_stop`, with a message).
 */
export function train(spec: TrainSpec, hooks: TrainHooks = {}): TrainResult {
  const g = spec.graph;
  const lossNode = g.loss();
  if (!lossNode) throw new Error('internal: the training graph has no loss');
  const host = isHostDriven(spec.optimizer)
    ? prepareHostDriven(g, spec.optimizer, {
        ...(spec.schedule ? { schedule: spec.schedule } : {}),
        ...(spec.clip !== undefined ? { clip: spec.clip } : {}),
        ...(spec.polyak !== undefined ? { polyak: spec.polyak } : {}),
      })
    : undefined;
  const optimizer = host
    ? undefined
    : optimizerFromSpec(spec.optimizer, spec.schedule ? { schedule: spec.schedule } : {});
  if (optimizer)
    buildTrainStep(
      g,
      g.value(lossNode),
      paramsOf(g),
      optimizer,
      spec.clip !== undefined ? { clip: spec.clip } : {},
    );
  const averaged = spec.polyak !== undefined ? addPolyakAverages(g, spec.polyak) : undefined;
  const metricNames = [...g.outputs]
    .filter(([n, o]) => o.kind === 'metric' && n !== 'lr' && n !== 'grad_norm')
    .map(([n]) => n);
  const paramNames = g.params().map((p) => p.attrs.name as string);

  const rows = spec.inputNames.length === 0 ? 0 : (spec.train?.[spec.inputNames[0]].shape[0] ?? 0);
  const batch = host ? Math.max(1, rows) : Math.max(1, Math.min(spec.batch ?? 32, rows || 1));
  const shuffle = host ? false : (spec.shuffle ?? true);
  const batcher = new Batcher(spec.train ?? {}, spec.inputNames, batch, shuffle, spec.seed);
  const totalSteps = spec.steps ?? (spec.epochs ?? 10) * batcher.batchesPerEpoch;
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

  const plateauRule = findPlateauRule(optimizer?.lr, spec.schedule, exe);
  let run: RunState = {
    earlyStop: { best: Number.POSITIVE_INFINITY, since: 0 },
    ...(plateauRule ? { plateau: plateauRule.init() } : {}),
  };
  let start = 0;
  if (!spec.resume) initialiseLsuv(spec, exe, batcher);
  if (spec.resume) {
    restore(exe, g, spec.resume, new Set(paramNames));
    start = spec.resume.step;
    if (spec.resume.run) run = { ...run, ...spec.resume.run };
  }
  const compileSeconds = (performance.now() - t0) / 1000;

  const evaluate = (step: number, endOfRun: boolean): EvalEvent | undefined => {
    if (!evalExe) return undefined;
    for (const name of evalExe.variables)
      if (exe.variables.includes(name)) evalExe.write(name, exe.read(name));
    if (averaged) for (const p of paramNames) evalExe.write(p, averaged(exe, p, step));
    const sums: Record<string, number> = {};
    let seen = 0;
    for (let s = 0; s < Math.max(evalRows, 1); s += EVAL_CHUNK) {
      const take = evalRows === 0 ? 0 : Math.min(EVAL_CHUNK, evalRows - s);
      const feeds =
        evalRows === 0
          ? {}
          : gatherRows(
              evalSet.columns,
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
    const loss = sums.loss / seen;
    let plateauScale: number | undefined;
    if (plateauRule && run.plateau && !endOfRun) {
      // Reduce-on-plateau reads the evaluation loss; the new multiplier applies from the next step.
      const plateau = plateauRule.update(run.plateau, loss);
      run = { ...run, plateau };
      exe.write(PLATEAU_VARIABLE, plateau.multiplier);
      plateauScale = plateau.multiplier;
    }
    const e: EvalEvent = {
      step,
      epoch: batcher.epochOf(Math.max(step - 1, 0)),
      split: evalSet.split,
      loss,
      metrics,
      ...(plateauScale !== undefined ? { plateauScale } : {}),
      ...(endOfRun ? { endOfRun } : {}),
    };
    hooks.onEval?.(e);
    return e;
  };

  const checkpoint = (k: number) => {
    if (!spec.checkpointDir) return;
    const variables: Record<string, Tensor> = Object.create(null);
    for (const name of exe.variables) variables[name] = exe.read(name);
    const path = saveCheckpoint(spec.checkpointDir, {
      model: spec.modelName,
      step: k,
      seed: spec.seed,
      dtype: spec.dtype,
      variables,
      run,
      ...(spec.settings ? { settings: spec.settings } : {}),
    });
    hooks.onCheckpoint?.(path, k);
  };

  if (hooks.onStart) hooks.onStart(Object.fromEntries(paramNames.map((p) => [p, exe.read(p)])));
  const t1 = performance.now();
  let lastEval: EvalEvent | undefined;
  let stopped: TrainResult['stopped'];
  let step = start;
  const evalEvery = spec.evalEvery ?? batcher.batchesPerEpoch;
  const stepFeed: Tensor = { shape: [], dtype: 'i32', data: new Float64Array(1) };

  while (step < totalSteps) {
    const feeds: Record<string, Tensor> = batcher.feeds(step);
    // Random ops (dropout) draw from (seed, $step): the same masks on a resumed run.
    stepFeed.data[0] = step + 1;
    feeds.$step = stepFeed;
    const out = host ? host.step(exe, feeds, step + 1) : exe.run(feeds);
    step++;
    const loss = out.loss.data[0];
    const firstLoss = run.firstLoss ?? loss;
    run = { ...run, firstLoss, lastLoss: loss };
    const metrics: Record<string, number> = {};
    for (const m of metricNames) if (out[m]) metrics[m] = out[m].data[0];
    const lr = out.lr?.data[0];
    hooks.onStep?.({
      step,
      epoch: batcher.epochOf(step - 1),
      loss,
      ...(lr !== undefined ? { lr } : {}),
      ...(out.grad_norm ? { gradNorm: out.grad_norm.data[0] } : {}),
      metrics,
      ...(spec.traceParams
        ? { params: Object.fromEntries(paramNames.map((p) => [p, exe.read(p).data])) }
        : {}),
      totalSteps,
    });
    // No checkpoint after these two: the params are already ruined, and the last good checkpoint
    // is the one to resume from (with a lower learning rate).
    if (!Number.isFinite(loss)) {
      stopped = { reason: 'nan', message: nanMessage(loss, step, lr) };
      break;
    }
    if (loss > DIVERGED_FACTOR * Math.max(Math.abs(firstLoss), 1e-12)) {
      stopped = { reason: 'diverged', message: divergedMessage(firstLoss, loss, step, lr) };
      break;
    }
    if (!stopped && host?.finished) stopped = host.finished;
    const scheduled = step % evalEvery === 0;
    if (scheduled || step === totalSteps || stopped) {
      lastEval = evaluate(step, !scheduled);
      if (lastEval && scheduled && !stopped && spec.earlyStop !== undefined) {
        const { best, since } = run.earlyStop;
        const better = lastEval.loss < best;
        run = { ...run, earlyStop: { best: better ? lastEval.loss : best, since: better ? 0 : since + 1 } };
        if (run.earlyStop.since >= spec.earlyStop) {
          stopped = {
            reason: 'early_stop',
            message: `stopped early at step ${step}: no better evaluation loss for ${spec.earlyStop} evaluations`,
          };
        }
      }
    }
    const due =
      step % batcher.batchesPerEpoch === 0 ||
      step === totalSteps ||
      (spec.checkpointEvery !== undefined && step % spec.checkpointEvery === 0);
    if (due || stopped) checkpoint(step);
    if (stopped) break;
  }
  const { firstLoss, lastLoss = Number.NaN } = run;
  if (!stopped && firstLoss !== undefined && lastLoss > 100 * Math.max(Math.abs(firstLoss), 1e-12)) {
    stopped = { reason: 'diverged', message: divergedMessage(firstLoss, lastLoss, step, undefined) };
  }
  const seconds = (performance.now() - t1) / 1000;
  const params: Record<string, Tensor> = Object.create(null);
  for (const p of paramNames) params[p] = exe.read(p);
  return {
    steps: step,
    epochs: batcher.epochOf(Math.max(step - 1, 0)) + 1,
    finalLoss: lastLoss,
    ...(lastEval ? { evaluation: lastEval } : {}),
    seconds,
    compileSeconds,
    ...(stopped ? { stopped } : {}),
    params,
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
 * The host rule behind `opt.plateau_scale`: the optimiser's own plateau schedule, or a `plateau`
 * nested in the schedule spec (`warmup(then = plateau(...))` reads the same variable).
 */
function findPlateauRule(
  lr: unknown,
  schedule: CallSpec | undefined,
  exe: Executable,
): PlateauRule | undefined {
  if (!exe.variables.includes(PLATEAU_VARIABLE)) return undefined;
  if (isPlateauSchedule(lr)) return lr.rule;
  const find = (c: CallSpec): CallSpec | undefined => {
    if (c.name === 'plateau') return c;
    for (const v of Object.values(c.args))
      if (typeof v === 'object' && !Array.isArray(v)) {
        const hit = find(v as CallSpec);
        if (hit) return hit;
      }
    return undefined;
  };
  const spec = schedule && find(schedule);
  const s = spec && scheduleFromSpec(spec);
  if (isPlateauSchedule(s)) return s.rule;
  throw new Error(`internal: '${PLATEAU_VARIABLE}' exists but no plateau schedule drives it`);
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

function nanMessage(loss: number, step: number, lr: number | undefined): string {
  const before =
    step > 1
      ? `: step ${step - 1} moved the params to where the loss is not a finite number`
      : ', at the initial params';
  return (
    `the loss became ${loss} at step ${step}${before}${lr !== undefined ? ` (learning rate ${fmt(lr)})` : ''}. ` +
    'The learning rate is probably too high, or the data holds extreme values; training stopped'
  );
}

function divergedMessage(first: number, last: number, step: number, lr: number | undefined): string {
  return (
    `training diverged: the loss grew from ${fmt(first)} at step 1 to ${fmt(last)} at step ${step}. ` +
    `The learning rate${lr !== undefined ? ` (${fmt(lr)})` : ''} is probably too high: on a quadratic, gradient descent diverges once lr > 2/λmax`
  );
}

function fmt(x: number): string {
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(3) : String(Number(x.toPrecision(6)));
}

/** State name of a param's Polyak average. */
export const polyakName = (param: string): string => `polyak.${param}`;

/**
 * Adds `polyak.<p> ← decay·polyak.<p> + (1 − decay)·p_new` to the step graph for every param and
 * returns how to read the debiased average after `step` steps: the zero-started moving average
 * divided by 1 − decay^step, which is the exact weighted mean of the iterates so far.
 */
function addPolyakAverages(
  g: Graph,
  decay: number,
): (exe: Executable, param: string, step: number) => Tensor {
  if (!(decay > 0 && decay < 1)) {
    throw new GradusError(
      diagnostic('E0907', `polyak must be a decay in (0, 1), such as 0.99; got ${decay}`),
    );
  }
  for (const p of g.params()) {
    const name = p.attrs.name as string;
    const next = g.updates.get(name);
    if (!next) continue;
    const avg = g.state(polyakName(name), p.shape, { kind: 'zeros' }, p.dtype);
    g.assign(polyakName(name), avg.mul(decay).add(g.value(next).mul(1 - decay)));
  }
  return (exe, param, step) => {
    const t = exe.read(polyakName(param));
    const correction = 1 - decay ** Math.max(step, 1);
    return { ...t, data: t.data.map((v) => v / correction) };
  };
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
