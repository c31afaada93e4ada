import type { Callback } from '../callback.js';
import { compactNumber as fmt } from './format.js';
import type { Printer } from './printer.js';

/**
 * What a run prints as it goes. On a terminal (`printer.tty`): a bar on standard error redrawn
 * in place at most ten times a second. Otherwise: plain lines on standard output, one every
 * `printEvery` evaluations (about twenty per run) and the last one.
 */
export function progress(printer: Printer): Callback {
  let evals = 0;
  let lastPrinted = 0;
  let started = 0;
  let printEvery = 1;
  return {
    name: 'progress',
    onTrainBegin(ctx) {
      started = Date.now();
      printEvery = Math.max(1, Math.floor(ctx.totalSteps / ctx.batchesPerEpoch / 20));
    },
    onStep(e) {
      if (!printer.tty || !(Date.now() - lastPrinted > 100 || e.step === e.totalSteps)) return;
      lastPrinted = Date.now();
      const done = e.step / e.totalSteps;
      const elapsed = (Date.now() - started) / 1000;
      const eta = done > 0 ? (elapsed / done) * (1 - done) : 0;
      const bar = '█'.repeat(Math.round(done * 24)).padEnd(24, '·');
      const metrics = Object.entries(e.metrics)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join('  ');
      // Back to the start of the line, clear it, and (as err ends the text with a newline) up one
      // line again: the bar redraws in place.
      printer.err(
        `\r${bar} epoch ${e.epoch + 1}  step ${e.step}/${e.totalSteps}  loss ${fmt(e.loss)}  ${metrics}  ETA ${eta.toFixed(0)}s\u001b[K\u001b[1A`,
      );
    },
    onEval(e, ctx) {
      evals++;
      const final = e.step >= ctx.totalSteps;
      if (printer.tty || !(evals % printEvery === 0 || final)) return;
      const metrics = Object.entries(e.metrics)
        .map(([k, v]) => `  ${e.split} ${k} ${fmt(v)}`)
        .join('');
      printer.out(`epoch ${e.epoch + 1}  step ${e.step}  ${e.split} loss ${fmt(e.loss)}${metrics}`);
    },
    onTrainEnd() {
      if (printer.tty) printer.err('');
    },
  };
}
