import type { Callback } from '../callback.js';
import { messageNumber as fmt } from './format.js';

/** A loss this many times the first one is divergence, stopped before it overflows to ∞. */
export const DIVERGED_FACTOR = 1e8;
/** A run that ends with its loss this many times the first one has diverged, if slowly. */
export const ENDED_DIVERGED_FACTOR = 100;

/**
 * Stops at the first step whose loss is NaN or ±∞, and once the loss exceeds `DIVERGED_FACTOR`
 * times the first step's, with a message that says what probably happened. Such a stop is at
 * once: no evaluation and no checkpoint, since the params are already ruined and the last good
 * checkpoint is the one to resume from. A run that ends `ENDED_DIVERGED_FACTOR` times above its
 * first loss is reported as diverged too. The first loss is in the run state, so a resumed run
 * judges against the same one.
 */
export function stopOnNan(): Callback {
  return {
    name: 'stopOnNan',
    onStep(e, ctx) {
      const first = ctx.run.firstLoss ?? e.loss;
      if (!Number.isFinite(e.loss)) ctx.stop('nan', nanMessage(e.loss, e.step, e.lr), { keep: false });
      else if (e.loss > DIVERGED_FACTOR * Math.max(Math.abs(first), 1e-12))
        ctx.stop('diverged', divergedMessage(first, e.loss, e.step, e.lr), { keep: false });
    },
    onTrainEnd(ctx) {
      const { firstLoss, lastLoss = Number.NaN } = ctx.run;
      if (firstLoss !== undefined && lastLoss > ENDED_DIVERGED_FACTOR * Math.max(Math.abs(firstLoss), 1e-12))
        ctx.stop('diverged', divergedMessage(firstLoss, lastLoss, ctx.step, undefined));
    },
  };
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
