/**
 * Ctrl-C during `gradus train`. The `gradus` binary runs the command in a worker thread (see
 * train-thread.ts) and shares an Int32Array with it: the main thread counts the signals, the
 * training thread says where the run is and guards its writes. The first Ctrl-C (or SIGTERM)
 * during training stops the run after the step in progress, with a checkpoint; outside the
 * training loop, or a second time, the process exits at once (between two file writes).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Callback, interrupt } from '@gradus/optim';
import type { Io } from './output.js';

/** The slots of the shared Int32Array. `interrupts` is element 0, which `interrupt()` reads. */
export const SLOT = { interrupts: 0, phase: 1, write: 2, columns: 3 } as const;
export const SLOT_COUNT = 4;
/** Where the run is (`SLOT.phase`): Ctrl-C stops the run gracefully only while it trains. */
export const PHASE = { before: 0, training: 1, after: 2 } as const;
/** The exit status after Ctrl-C (128 + SIGINT), after SIGTERM as well. */
export const INTERRUPTED_EXIT = 130;

/** What a command run in the training thread gets (`Io.interrupt`). */
export interface Interruptible {
  readonly shared: Int32Array;
  /** The arguments `gradus` was started with, for the command that resumes the run. */
  readonly argv: readonly string[];
}

export interface InterruptSetup {
  /** The interrupt callback, which also tells the main thread when training begins and ends. */
  readonly callback: Callback;
  /** Prints how to resume and returns the exit status, for a run that was interrupted. */
  report(message: string): number;
}

/**
 * Ctrl-C for one run: it checkpoints into `checkpointDir` (the run's own, which saves at any
 * stop), or else into a directory of its own under `runs/<model>/`, made only when interrupted.
 */
export function interruptSetup(
  it: Interruptible,
  io: Io,
  run: {
    readonly model: string;
    readonly checkpointDir: string | undefined;
    readonly settings: Readonly<Record<string, string | number>>;
  },
): InterruptSetup {
  const dir = run.checkpointDir ?? freshDir(join('runs', run.model, `interrupted-${stamp(new Date())}`));
  const inner = interrupt(it.shared, run.checkpointDir ? {} : { checkpointDir: dir, settings: run.settings });
  return {
    callback: {
      ...inner,
      onTrainBegin() {
        Atomics.store(it.shared, SLOT.phase, PHASE.training);
      },
      onTrainEnd() {
        Atomics.store(it.shared, SLOT.phase, PHASE.after);
      },
    },
    report(message) {
      io.err(`${message}; resume with: ${resumeCommand(it.argv, dir)}`);
      return INTERRUPTED_EXIT;
    },
  };
}

/** `gradus train …` with the same arguments, any `--resume` replaced by `--resume dir`. */
export function resumeCommand(argv: readonly string[], dir: string): string {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--resume') i++;
    else if (!argv[i].startsWith('--resume=')) kept.push(argv[i]);
  }
  return ['gradus', ...kept, '--resume', dir].map(shellWord).join(' ');
}

/** A word as a POSIX shell reads it back: as it is when it is plain, else in single quotes. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `base`, or `base-2`, `base-3`, … if it exists: an earlier interrupted run is never overwritten. */
function freshDir(base: string): string {
  let dir = base;
  for (let k = 2; existsSync(dir); k++) dir = `${base}-${k}`;
  return dir;
}

const stamp = (d: Date) => {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
};
