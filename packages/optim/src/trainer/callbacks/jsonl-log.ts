import type { Callback } from '../callback.js';
import type { LineWriter } from './json-lines.js';

/**
 * The run's log: one JSON line per step (`step`, `epoch`, `loss`, `lr`, `grad_norm` and the
 * metrics) and one per evaluation (`eval` naming the split, the loss and metrics,
 * `plateau_scale` when reduce-on-plateau runs, `end_of_run` for an end-of-run evaluation).
 */
export function jsonlLog(write: LineWriter): Callback {
  return {
    name: 'jsonlLog',
    onStep(e) {
      write({
        step: e.step,
        epoch: e.epoch,
        loss: e.loss,
        ...(e.lr !== undefined ? { lr: e.lr } : {}),
        ...(e.gradNorm !== undefined ? { grad_norm: e.gradNorm } : {}),
        ...e.metrics,
      });
    },
    onEval(e) {
      write({
        eval: e.split,
        step: e.step,
        epoch: e.epoch,
        loss: e.loss,
        ...e.metrics,
        ...(e.plateauScale !== undefined ? { plateau_scale: e.plateauScale } : {}),
        ...(e.endOfRun ? { end_of_run: true } : {}),
      });
    },
  };
}
