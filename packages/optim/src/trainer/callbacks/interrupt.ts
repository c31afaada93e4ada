import type { Callback } from '../callback.js';
import { checkpoints } from './checkpoints.js';

export interface InterruptOptions {
  /**
   * Save a checkpoint here when interrupted. For a run that saves none otherwise: a run with a
   * `checkpointDir` of its own already saves one when any callback stops it.
   */
  readonly checkpointDir?: string;
  /** Saved with that checkpoint, for a resume to compare. */
  readonly settings?: Readonly<Record<string, string | number>>;
  /** Told the path of that checkpoint. */
  readonly onSave?: (path: string, step: number) => void;
}

/**
 * Ctrl-C as a callback, in the manner of Lightning's graceful shutdown: once an interrupt is
 * requested, the run stops after the step in progress, which finishes with its hooks, its
 * scheduled evaluation (so a resumed run's log is exactly an uninterrupted run's) and its
 * checkpoint, but without the extra end-of-run evaluation. The run's result has
 * `stopped.reason === 'interrupted'`. A request during the last step changes nothing: that run
 * ends anyway.
 *
 * `requested` is read after every step: a function, or an Int32Array whose element 0 another
 * thread sets to non-zero. It is read with `Atomics.load`, so over a SharedArrayBuffer it works
 * across threads: the training loop is synchronous, and a signal handler on its own thread would
 * never run while it trains, so the `gradus` binary trains in a worker thread and sets the flag
 * from its main thread.
 */
export function interrupt(requested: Int32Array | (() => boolean), options: InterruptOptions = {}): Callback {
  const isRequested = typeof requested === 'function' ? requested : () => Atomics.load(requested, 0) !== 0;
  const saver = options.checkpointDir
    ? checkpoints(options.checkpointDir, {
        ...(options.settings ? { settings: options.settings } : {}),
        ...(options.onSave ? { onSave: options.onSave } : {}),
      })
    : undefined;
  return {
    name: 'interrupt',
    onStep(e, ctx) {
      if (e.step < e.totalSteps && isRequested())
        ctx.stop('interrupted', `interrupted at step ${e.step}`, { evaluate: false });
    },
    onStepEnd(ctx) {
      if (ctx.stopped?.reason === 'interrupted') saver?.onStepEnd?.(ctx);
    },
  };
}
