import type { Graph, Tensor } from '@gradus/autodiff';
import type { Backend } from '@gradus/backends';
import type { CallSpec } from '../catalogue.js';
import type { Columns } from '../data/load.js';
import { optimizerFromSpec } from '../optimizers.js';
import { buildTrainStep, paramsOf } from '../step.js';
import { Batcher, gatherRows } from './batches.js';
import { type Checkpoint, saveCheckpoint } from './checkpoint.js';

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
  readonly epochs?: number;
  readonly steps?: number;
  readonly shuffle?: boolean;
  readonly seed: number;
  readonly clip?: number;
  /** Stop after this many evaluations without a better evaluation loss. */
  readonly earlyStop?: number;
  readonly backend: Backend;
  readonly dtype: 'f32' | 'f64';
  /** Save a checkpoint here after every epoch and at the end. */
  readonly checkpointDir?: string;
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
  readonly lr?: number;
  readonly gradNorm?: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly params?: Readonly<Record<string, Float64Array>>;
  readonly totalSteps: number;
}

export interface EvalEvent {
  readonly step: number;
  readonly epoch: number;
  readonly split: string;
  readonly loss: number;
  readonly metrics: Readonly<Record<string, number>>;
}

export interface TrainHooks {
  onStep?(e: StepEvent): void;
  onEval?(e: EvalEvent): void;
  onCheckpoint?(path: string, step: number): void;
}

export type StopReason = 'nan' | 'diverged' | 'early_stop';

export interface TrainResult {
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

/**
 * Trains a model: one compiled training-step graph (forward, backward, optimiser update) run once
 * per minibatch on a backend, where params and optimiser state stay between steps. Evaluates the
 * evaluation graph on the evaluation set every epoch, stops on NaN/∞ and on divergence with a
 * message saying what probably happened, and checkpoints atomically. A function, not a class:
 * all of a run's state is in the backend's variables and the step number.
 */
export function train(spec: TrainSpec, hooks: TrainHooks = {}): TrainResult {
  const g = spec.graph;
  const lossNode = g.loss();
  if (!lossNode) throw new Error('internal: the training graph has no loss');
  const optimizer = optimizerFromSpec(spec.optimizer, spec.schedule ? { schedule: spec.schedule } : {});
  buildTrainStep(
    g,
    g.value(lossNode),
    paramsOf(g),
    optimizer,
    spec.clip !== undefined ? { clip: spec.clip } : {},
  );
  const metricNames = [...g.outputs].filter(([, o]) => o.kind === 'metric').map(([n]) => n);
  const paramNames = g.params().map((p) => p.attrs.name as string);

  const rows = spec.inputNames.length === 0 ? 0 : (spec.train?.[spec.inputNames[0]].shape[0] ?? 0);
  const batch = Math.max(1, Math.min(spec.batch ?? 32, rows || 1));
  const batcher = new Batcher(spec.train ?? {}, spec.inputNames, batch, spec.shuffle ?? true, spec.seed);
  const totalSteps = spec.steps ?? (spec.epochs ?? 10) * batcher.batchesPerEpoch;

  const t0 = performance.now();
  const exe = spec.backend.compile(g, { dtype: spec.dtype, seed: spec.seed });
  const evalExe = spec.evalGraph
    ? spec.backend.compile(spec.evalGraph, {
        dtype: spec.dtype,
        seed: spec.seed,
        outputs: evalOutputs(spec.evalGraph),
      })
    : undefined;
  let start = 0;
  if (spec.resume) {
    for (const [name, t] of Object.entries(spec.resume.variables)) {
      if (exe.variables.includes(name)) exe.write(name, t);
    }
    start = spec.resume.step;
  }
  const compileSeconds = (performance.now() - t0) / 1000;

  const evaluate = (step: number): EvalEvent | undefined => {
    if (!evalExe) return undefined;
    for (const name of evalExe.variables)
      if (exe.variables.includes(name)) evalExe.write(name, exe.read(name));
    const set =
      spec.evaluation ??
      (spec.train ? { split: 'train', columns: spec.train } : { split: 'train', columns: {} });
    const n = spec.inputNames.length === 0 ? 0 : set.columns[spec.inputNames[0]].shape[0];
    const sums: Record<string, number> = {};
    let seen = 0;
    for (let s = 0; s < Math.max(n, 1); s += EVAL_CHUNK) {
      const take = n === 0 ? 0 : Math.min(EVAL_CHUNK, n - s);
      const feeds =
        n === 0
          ? {}
          : gatherRows(
              set.columns,
              spec.inputNames,
              Int32Array.from({ length: take }, (_, i) => s + i),
            );
      const out = evalExe.run(feeds);
      const weight = n === 0 ? 1 : take;
      for (const [name, t] of Object.entries(out)) sums[name] = (sums[name] ?? 0) + weight * t.data[0];
      seen += weight;
    }
    const metrics: Record<string, number> = {};
    for (const name of metricNames) if (name in sums) metrics[name] = sums[name] / seen;
    const e: EvalEvent = {
      step,
      epoch: batcher.epochOf(Math.max(step - 1, 0)),
      split: set.split,
      loss: sums.loss / seen,
      metrics,
    };
    hooks.onEval?.(e);
    return e;
  };

  const t1 = performance.now();
  let firstLoss: number | undefined;
  let lastLoss = Number.NaN;
  let lastEval: EvalEvent | undefined;
  let best = Number.POSITIVE_INFINITY;
  let sinceBest = 0;
  let stopped: TrainResult['stopped'];
  let step = start;
  const evalEvery = spec.evalEvery ?? batcher.batchesPerEpoch;
  const checkpoint = (k: number) => {
    if (!spec.checkpointDir) return;
    const variables: Record<string, Tensor> = {};
    for (const name of exe.variables) variables[name] = exe.read(name);
    const path = saveCheckpoint(spec.checkpointDir, {
      model: spec.modelName,
      step: k,
      seed: spec.seed,
      dtype: spec.dtype,
      variables,
    });
    hooks.onCheckpoint?.(path, k);
  };

  while (step < totalSteps) {
    const feeds: Record<string, Tensor> = batcher.feeds(step);
    feeds.$step = { shape: [], dtype: 'i32', data: Float64Array.of(step + 1) };
    const out = exe.run(feeds);
    step++;
    const loss = out.loss.data[0];
    firstLoss ??= loss;
    lastLoss = loss;
    const metrics: Record<string, number> = {};
    for (const m of metricNames) if (out[m] && m !== 'lr' && m !== 'grad_norm') metrics[m] = out[m].data[0];
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
    if (!Number.isFinite(loss)) {
      stopped = {
        reason: 'nan',
        message: `the loss became ${loss} at step ${step}${lr !== undefined ? ` (learning rate ${fmt(lr)})` : ''}: the learning rate is probably too high, or the data holds extreme values; training stopped`,
      };
      break;
    }
    if (loss > 1e8 * Math.max(Math.abs(firstLoss), 1e-12)) {
      stopped = { reason: 'diverged', message: divergedMessage(firstLoss, loss, step, lr) };
      break;
    }
    const epochEnded = step % batcher.batchesPerEpoch === 0;
    if (step % evalEvery === 0 || step === totalSteps) {
      lastEval = evaluate(step);
      if (lastEval && spec.earlyStop !== undefined) {
        if (lastEval.loss < best) {
          best = lastEval.loss;
          sinceBest = 0;
        } else if (++sinceBest >= spec.earlyStop) {
          stopped = {
            reason: 'early_stop',
            message: `stopped early at step ${step}: no better evaluation loss for ${spec.earlyStop} evaluations`,
          };
        }
      }
    }
    if (epochEnded || step === totalSteps || stopped) checkpoint(step);
    if (stopped) break;
  }
  if (!stopped && firstLoss !== undefined && lastLoss > 100 * Math.max(Math.abs(firstLoss), 1e-12)) {
    stopped = { reason: 'diverged', message: divergedMessage(firstLoss, lastLoss, step, undefined) };
  }
  const seconds = (performance.now() - t1) / 1000;
  const params: Record<string, Tensor> = {};
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
