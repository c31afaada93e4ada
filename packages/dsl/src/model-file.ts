import { GradusError } from '@gradus/autodiff';
import { readRegularFile, UnreadableFile } from '@gradus/optim';
import { type CheckedModel, checkSource, ModelErrors, UsageError } from './check.js';
import type { SourceFile } from './diagnostics/index.js';
import { type Lowered, type LowerOptions, readHyperFlags } from './lower/index.js';

export { type CheckedModel, checkSource, ModelErrors, UsageError } from './check.js';

/** A `.model` file larger than this is not a model (and would only exhaust memory in the parser). */
export const MAX_SOURCE_BYTES = 1 << 20;

export function readSource(path: string): SourceFile {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(path, MAX_SOURCE_BYTES, 'a .model file');
  } catch (e) {
    if (e instanceof UnreadableFile && e.reason === 'too-large')
      throw new UsageError(
        `${path} is too large: a .model file is text of at most ${MAX_SOURCE_BYTES} bytes`,
      );
    if (e instanceof UnreadableFile) throw new UsageError(e.message);
    throw e;
  }
  const text = bytes.toString('utf8');
  if (text.includes('\u0000')) throw new UsageError(`${path} is a binary file, not a .model file`);
  return { name: path, text };
}

/**
 * Reads and lowers a model file, or throws `ModelErrors` with every diagnostic. Without an
 * explicit seed, the graph's random streams (dropout) use the `train` block's seed, like the
 * initialisation does, so one seed governs a run.
 */
export function loadModel(path: string, opts: LowerOptions = {}): CheckedModel & { lowered: Lowered } {
  const file = readSource(path);
  let checked = checkSource(file, opts);
  if (!checked.lowered) throw new ModelErrors(checked.file, checked.diagnostics);
  const trainSeed = checked.lowered.model.train.seed;
  if (opts.seed === undefined && trainSeed !== undefined && trainSeed !== 0) {
    checked = checkSource(file, { ...opts, seed: trainSeed });
  }
  return checked as CheckedModel & { lowered: Lowered };
}

/**
 * An error raised while running the model in `path` (a batch that a reshape cannot divide, say)
 * whose diagnostics carry spans into that file, as `ModelErrors` so that it renders with the
 * file's line and caret; undefined for any other error.
 */
export function locateInModel(e: unknown, path: string): ModelErrors | undefined {
  if (!(e instanceof GradusError) || !e.diagnostics.some((d) => d.span)) return undefined;
  let file: SourceFile;
  try {
    file = readSource(path);
  } catch {
    return undefined;
  }
  return new ModelErrors(file, e.diagnostics);
}

/**
 * The `--hyper name=value` flags of a command as overrides for the model in `path`, checked
 * against its declarations; a bad flag throws `ModelErrors` rendered against the flag's text
 * (`--hyper:1:1: error[E0173]: the model has no hyper-parameter 'lamda'`).
 */
export function hyperFlags(
  path: string,
  flags: readonly string[] | undefined,
  opts: LowerOptions = {},
): Record<string, number> | undefined {
  if (!flags || flags.length === 0) return undefined;
  const { hypers, ...rest } = opts;
  const declared = loadModel(path, rest).lowered.model.hypers;
  const read = readHyperFlags(flags, declared);
  if ('hypers' in read) return { ...hypers, ...read.hypers };
  throw new ModelErrors({ name: '--hyper', text: read.text }, read.diagnostics);
}
