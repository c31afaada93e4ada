import type { Tensor } from '@gradus/autodiff';
import type { Callback, TrainContext } from '../callback.js';
import { messageNumber as fmt } from './format.js';

export interface EarlyStopOptions {
  /** Evaluations in a row without a better evaluation loss before the run stops. */
  readonly patience: number;
  /**
   * End the run with the params of the best evaluation, when a later one was worse (on a stop
   * and at the end of the run). They are written into the step before the final checkpoint.
   */
  readonly restoreBest?: boolean;
  /** Told which step's params were restored, and their evaluation loss. */
  readonly onRestore?: (step: number, loss: number, message: string) => void;
}

/**
 * Early stopping: stops the run once `patience` scheduled evaluations in a row have not bettered
 * the best evaluation loss. Its count and best loss (and, with `restoreBest`, the best params and
 * their step) are in the run state, so a resumed run continues the count. End-of-run
 * evaluations, and evaluations after another stop, do not count.
 */
export function earlyStop(options: EarlyStopOptions): Callback {
  const { patience } = options;
  /** The loss of the run's latest evaluation: nothing is restored unless it is worse than the best. */
  let latest: number | undefined;
  const restore = (ctx: TrainContext) => {
    const { bestStep, bestParams, best } = ctx.run.earlyStop;
    if (!options.restoreBest || bestStep === undefined || !bestParams) return;
    if (latest === undefined || !(latest > best)) return;
    const params: Record<string, Tensor> = Object.create(null);
    for (const [name, data] of Object.entries(bestParams)) {
      const now = ctx.exe.read(name);
      params[name] = { shape: now.shape, dtype: now.dtype, data: Float64Array.from(data) };
    }
    ctx.setParams(params);
    const split = ctx.evalSplit ?? 'evaluation';
    options.onRestore?.(
      bestStep,
      best,
      `restored the params of step ${bestStep}, the best evaluation (${split} loss ${fmt(best)})`,
    );
  };
  return {
    name: 'earlyStop',
    onEval(e, ctx) {
      latest = e.loss;
      if (e.endOfRun || ctx.stopped) return;
      const { best, since } = ctx.run.earlyStop;
      const better = e.loss < best;
      const kept = better && options.restoreBest ? ctx.evaluatedParams() : undefined;
      ctx.run = {
        ...ctx.run,
        earlyStop: {
          ...ctx.run.earlyStop,
          best: better ? e.loss : best,
          since: better ? 0 : since + 1,
          ...(kept
            ? {
                bestStep: e.step,
                bestParams: Object.fromEntries(Object.entries(kept).map(([k, t]) => [k, Array.from(t.data)])),
              }
            : {}),
        },
      };
      if (ctx.run.earlyStop.since >= patience)
        ctx.stop(
          'early_stop',
          `stopped early at step ${e.step}: no better evaluation loss for ${patience} evaluations`,
        );
    },
    onStepEnd(ctx) {
      // Before the checkpoints callback writes the run's last checkpoint.
      const stopped = ctx.stopped;
      if (stopped?.reason === 'early_stop' || (!stopped && ctx.step === ctx.totalSteps)) restore(ctx);
    },
  };
}
