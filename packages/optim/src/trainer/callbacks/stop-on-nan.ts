import type { Callback } from '../callback.js';
import { messageNumber as fmt } from './format.js';

/** A loss this many times the first one is divergence, stopped before it overflows to ∞. */
export const DIVERGED_FACTOR = 1e8;
/** A run that ends with its loss this many times the first one has diverged, if slowly. */
export const ENDED_DIVERGED_FACTOR = 100;
/** A run that ends with its loss this many times the first one did not learn: a warning. */
export const ENDED_ABOVE_FACTOR = 2;
/**
 * Divergence is judged against the first loss, but never against less than this: a model that
 * starts at a loss of exactly 0 (at its minimum) has not diverged when the loss becomes 1e-4.
 */
export const DIVERGENCE_FLOOR = 1;

const reference = (first: number): number => Math.max(Math.abs(first), DIVERGENCE_FLOOR);

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
      else if (e.loss > DIVERGED_FACTOR * reference(first))
        ctx.stop('diverged', divergedMessage(first, e.loss, e.step, e.lr), { keep: false });
    },
    onTrainEnd(ctx) {
      const { firstLoss, lastLoss = Number.NaN } = ctx.run;
      if (firstLoss === undefined || ctx.stopped || ctx.step <= 1) return;
      if (lastLoss > ENDED_DIVERGED_FACTOR * reference(firstLoss))
        ctx.stop('diverged', divergedMessage(firstLoss, lastLoss, ctx.step, undefined));
      else if (firstLoss > 0 && lastLoss > ENDED_ABOVE_FACTOR * firstLoss)
        ctx.warn(
          `the run ended with a training loss of ${fmt(lastLoss)}, ${fmt(lastLoss / firstLoss)} times its first (${fmt(firstLoss)}): it did not learn. ` +
            'The learning rate is probably too high (or far too low for the schedule), or the model cannot fit the data',
        );
    },
  };
}

function nanMessage(loss: number, step: number, lr: number | undefined): string {
  if (step === 1) {
    // The first loss is computed at the initial params, before any update: no learning rate has
    // played a part yet.
    return (
      `the loss is ${loss} at step 1, at the initial params, before any update: the model or its data produce it, not the learning rate. ` +
      'Look for log or sqrt of values ≤ 0, division by zero, or NaN/∞ in the data (`gradus doctor` checks the model at its initial params); training stopped'
    );
  }
  return (
    `the loss became ${loss} at step ${step}: step ${step - 1} moved the params to where the loss is not a finite number${lr !== undefined ? ` (learning rate ${fmt(lr)})` : ''}. ` +
    'The learning rate is probably too high, or the data holds extreme values; training stopped'
  );
}

function divergedMessage(first: number, last: number, step: number, lr: number | undefined): string {
  return (
    `training diverged: the loss grew from ${fmt(first)} at step 1 to ${fmt(last)} at step ${step}. ` +
    `The learning rate${lr !== undefined ? ` (${fmt(lr)})` : ''} is probably too high: on a quadratic, gradient descent diverges once lr > 2/λmax`
  );
}
