import type { CallSpec } from '../catalogue.js';
import { hostRunLength, isHostDriven } from '../host/host-driver.js';
import type { GradientTransformation } from '../transforms/types.js';

/** The epochs of a run that gives neither `steps` nor `epochs`. */
export const DEFAULT_EPOCHS = 10;
/** The minibatch size of a run that gives none. */
export const DEFAULT_BATCH = 32;

export interface RunLengthInput {
  /** Training rows (after any validation split); 0 for a model without data. */
  readonly rows: number;
  readonly batch?: number;
  readonly epochs?: number;
  readonly steps?: number;
  /** The optimiser: a host-driven one (lbfgs, newton, coordinate) takes every row at every step. */
  readonly optimizer?: CallSpec | GradientTransformation;
}

export interface RunLength {
  /** Rows per step. */
  readonly batch: number;
  readonly batchesPerEpoch: number;
  /** The run's total steps. */
  readonly totalSteps: number;
  /** True for a host-driven optimiser, whose every step is one pass over all the training data. */
  readonly fullBatch: boolean;
  /** How the length was given: `steps` (or coordinate's sweeps), or `epochs`. */
  readonly by: 'steps' | 'epochs';
  readonly epochs: number;
}

/**
 * How long a run is, from its settings and the training rows: the one rule `gradus train`, the
 * trainer and `gradus schedule` count steps by. The batch is `batch` (32) capped at the rows, or
 * all of them for a host-driven optimiser; an epoch is ⌈rows / batch⌉ steps (one step without
 * data); the total is `steps`, else coordinate's `sweeps` when neither is given, else `epochs`
 * (10) epochs.
 */
export function runLength(r: RunLengthInput): RunLength {
  const catalogue =
    r.optimizer && 'args' in r.optimizer && !('update' in r.optimizer) ? r.optimizer : undefined;
  const fullBatch = catalogue !== undefined && isHostDriven(catalogue);
  const rows = Math.max(0, r.rows);
  const batch = fullBatch ? Math.max(1, rows) : Math.max(1, Math.min(r.batch ?? DEFAULT_BATCH, rows || 1));
  const batchesPerEpoch = rows === 0 ? 1 : Math.ceil(rows / batch);
  const hostSteps = r.epochs === undefined && catalogue ? hostRunLength(catalogue) : undefined;
  const steps = r.steps ?? hostSteps;
  const epochs = r.epochs ?? DEFAULT_EPOCHS;
  return steps !== undefined
    ? {
        batch,
        batchesPerEpoch,
        totalSteps: steps,
        fullBatch,
        by: 'steps',
        epochs: Math.ceil(steps / batchesPerEpoch),
      }
    : { batch, batchesPerEpoch, totalSteps: epochs * batchesPerEpoch, fullBatch, by: 'epochs', epochs };
}
