import type { Graph, Tensor } from '@gradus/autodiff';
import type { Executable } from '@gradus/backends';
import type { RunState } from './checkpoint.js';

/**
 * The callback interface of the training loop, in the style of Keras callbacks and Lightning's
 * hooks. The loop (loop.ts) only runs steps and evaluations; everything else — stopping on NaN,
 * early stopping, reduce-on-plateau, Polyak evaluation, checkpoints, logs, progress, charts,
 * Ctrl-C — is a `Callback`, and a user's own callbacks are called the same way, after the
 * built-in ones.
 */

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
  /**
   * Reduce-on-plateau's multiplier after this evaluation, when the schedule is `plateau`. Set by
   * the plateau callback, which runs before the callbacks that report evaluations.
   */
  plateauScale?: number;
  /**
   * An extra evaluation at the end of a run that does not end on the evaluation schedule. It
   * only reports: reduce-on-plateau and early stopping ignore it, as an uninterrupted run (of
   * which this run may be the first part) never makes it.
   */
  readonly endOfRun?: boolean;
}

/** Why a run ended before its last step. */
export type StopReason = 'nan' | 'diverged' | 'early_stop' | 'interrupted' | (string & {});

export interface Stop {
  readonly reason: StopReason;
  readonly message: string;
}

export interface StopOptions {
  /**
   * `false`: end at once, without the end-of-run evaluation and without a checkpoint (the params
   * are ruined, as after a NaN). Default `true`: the step's evaluation and checkpoint still happen.
   */
  readonly keep?: boolean;
  /** Skip the end-of-run evaluation (a Ctrl-C wants out quickly); the checkpoint is still written. */
  readonly evaluate?: boolean;
}

/** What every hook sees: where the run is, its state, and how to stop it. */
export interface TrainContext {
  readonly modelName: string;
  /** The global step reached (a resumed run counts the steps before its checkpoint). */
  readonly step: number;
  /** The step the run started from: 0, or the checkpoint's step. */
  readonly startStep: number;
  readonly totalSteps: number;
  readonly batchesPerEpoch: number;
  /** Rows in one minibatch. */
  readonly batch: number;
  readonly seed: number;
  readonly dtype: 'f32' | 'f64';
  /** The split evaluations report on ('test', 'validation' or 'train'), if there is an evaluation graph. */
  readonly evalSplit?: string;
  readonly paramNames: readonly string[];
  /** The compiled training step: its variables are the params, the optimiser state and the rest. */
  readonly exe: Executable;
  /**
   * The loop's host state, saved with every checkpoint. Callbacks that remember things between
   * steps (early stopping, reduce-on-plateau) keep them here so a resumed run continues exactly.
   */
  run: RunState;
  /** Set once a callback (or the optimiser) has stopped the run. */
  readonly stopped: Stop | undefined;
  /** Ends the run after the current step. The first stop wins. */
  stop(reason: StopReason, message: string, options?: StopOptions): void;
  /**
   * Records a warning about the run that is not a reason to stop it (a run that ended above its
   * first loss): the result carries it, and the CLI prints it and puts it in `--json`.
   */
  warn(message: string): void;
  /** The current params, read from the backend. */
  params(): Record<string, Tensor>;
  /** The params the last evaluation scored (the Polyak averages when Polyak averaging is on). */
  evaluatedParams(): Readonly<Record<string, Tensor>> | undefined;
  /** Writes params into the training step (restoring a best evaluation, say). */
  setParams(params: Readonly<Record<string, Tensor>>): void;
}

/** Everything is optional; hooks run in the order the callbacks are given. */
export interface Callback {
  /** For messages. */
  readonly name?: string;
  /** Before compiling: the training-step graph (forward, backward, update) may gain state. */
  onGraph?(g: Graph): void;
  /** Once, before the first step; the params are initialised or restored from the checkpoint. */
  onTrainBegin?(ctx: TrainContext): void;
  onStep?(e: StepEvent, ctx: TrainContext): void;
  /**
   * Before an evaluation: the params to score instead of the current ones (Polyak averages).
   * The first callback that returns params wins.
   */
  evalParams?(ctx: TrainContext): Readonly<Record<string, Tensor>> | undefined;
  onEval?(e: EvalEvent, ctx: TrainContext): void;
  /** After the step's evaluation, if any: where checkpoints are written. */
  onStepEnd?(ctx: TrainContext): void;
  /** After the last step; a callback may still `stop` (a run that diverged slowly). */
  onTrainEnd?(ctx: TrainContext): void;
}

export interface TrainResult {
  /** The global step reached (a resumed run counts the steps before the checkpoint). */
  readonly steps: number;
  readonly epochs: number;
  /** The training loss of the last step taken. */
  readonly finalLoss: number;
  /** The last evaluation during training (of the validation split, when there is one). */
  readonly evaluation?: EvalEvent;
  /**
   * The test split's one evaluation after the last step, when the spec has a `test` split
   * (callbacks also see it as an `onEval` of split `test`, `endOfRun` set).
   */
  readonly test?: EvalEvent;
  readonly seconds: number;
  readonly compileSeconds: number;
  readonly stopped?: Stop;
  /** What callbacks warned about (`ctx.warn`), in order; empty for a run without surprises. */
  readonly warnings: readonly string[];
  /** When early stopping restored the params of its best evaluation: which step's, and their loss. */
  readonly restored?: { readonly step: number; readonly loss: number; readonly message: string };
  readonly params: Readonly<Record<string, Tensor>>;
}
