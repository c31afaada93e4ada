import type { Tensor } from '@gradus/autodiff';
import type { Callback } from '../callback.js';
import { saveCheckpoint } from '../checkpoint.js';

export interface CheckpointOptions {
  /** Also save every this many steps (besides every epoch and the end). */
  readonly every?: number;
  /** Saved with each checkpoint, for a resume to compare. */
  readonly settings?: Readonly<Record<string, string | number>>;
  /** Told the path of every checkpoint written. */
  readonly onSave?: (path: string, step: number) => void;
}

/**
 * Saves a checkpoint into `dir` (atomically, see saveCheckpoint) after every epoch, every
 * `every` steps, at the last step, and when a callback stops the run (but not after a stop at
 * once, such as NaN). A checkpoint holds every variable of the step and the run state, so a
 * resumed run continues bit-identically.
 */
export function checkpoints(dir: string, options: CheckpointOptions = {}): Callback {
  return {
    name: 'checkpoints',
    onStepEnd(ctx) {
      const k = ctx.step;
      const due =
        k % ctx.batchesPerEpoch === 0 ||
        k === ctx.totalSteps ||
        (options.every !== undefined && k % options.every === 0);
      if (!due && !ctx.stopped) return;
      const variables: Record<string, Tensor> = Object.create(null);
      for (const name of ctx.exe.variables) variables[name] = ctx.exe.read(name);
      const path = saveCheckpoint(dir, {
        model: ctx.modelName,
        step: k,
        seed: ctx.seed,
        dtype: ctx.dtype,
        variables,
        run: ctx.run,
        ...(options.settings ? { settings: options.settings } : {}),
      });
      options.onSave?.(path, k);
    },
  };
}
