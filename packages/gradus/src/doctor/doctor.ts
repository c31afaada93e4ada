/**
 * `gradus doctor`: the lectures' recipe for a new model, automated. Before tuning anything,
 * check that the loss starts where it should, that the model can fit a handful of examples, that
 * the learning rate sits where the loss falls, and that gradients reach every layer.
 */
import type { Chart } from '@gradus/optim';
import type { DoctorCheck } from './check.js';
import { type DoctorLoadOptions, loadDoctorModel } from './doctor-model.js';
import { checkGradientFlow } from './gradient-flow.js';
import { checkInitialLoss } from './initial-loss.js';
import { lrRangeTest } from './lr-range.js';
import { checkOverfitSmallSubset } from './overfit.js';

export interface DoctorOptions extends DoctorLoadOptions {
  /** Examples of the overfitting check (default 20). */
  readonly examples?: number;
  /** Steps of the learning-rate range test (default 200). */
  readonly rangeSteps?: number;
}

export interface DoctorReport {
  readonly model: string;
  readonly data: string;
  readonly checks: readonly DoctorCheck[];
  /** Charts to draw (the loss-vs-lr chart of the range test). */
  readonly charts: readonly Chart[];
}

/** Runs every check on the model file at `path`. */
export function doctor(path: string, opts: DoctorOptions = {}): DoctorReport {
  const m = loadDoctorModel(path, { maxRows: 2048, ...opts });
  const range = lrRangeTest(m, opts.rangeSteps !== undefined ? { steps: opts.rangeSteps } : {});
  const checks = [
    checkInitialLoss(m),
    checkOverfitSmallSubset(m, opts.examples !== undefined ? { examples: opts.examples } : {}),
    range.check,
    checkGradientFlow(m),
  ];
  return {
    model: m.lowered.model.name,
    data: m.dataDescription,
    checks,
    charts: range.chart ? [range.chart] : [],
  };
}
