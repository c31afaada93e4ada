import { GradusError } from '@gradus/autodiff';
import { ModelErrors, UsageError } from '@gradus/dsl';
import { compactNumber } from '@gradus/optim';
import type { Interruptible } from './interrupt.js';

/** Where the CLI writes; tests substitute buffers. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Colour and progress bars only on a terminal. */
  readonly tty: boolean;
  /** Set when `gradus train` runs in its own thread: Ctrl-C then stops training gracefully. */
  readonly interrupt?: Interruptible;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  tty: Boolean(process.stderr.isTTY),
};

/**
 * Prints an error the way a user should see it, and returns the exit code: 1 for anything the
 * user can fix (model diagnostics, bad files, bad flags), 2 for a bug in Gradus itself.
 */
export function reportError(e: unknown, io: Io): number {
  if (e instanceof ModelErrors) {
    io.err(e.render({ color: io.tty }));
    return 1;
  }
  if (e instanceof UsageError) {
    io.err(`error: ${e.message}${e.hint ? `\n  = hint: ${e.hint}` : ''}`);
    return 1;
  }
  if (e instanceof GradusError) {
    for (const d of e.diagnostics)
      io.err(`error[${d.code}]: ${d.message}${d.hint ? `\n  = hint: ${d.hint}` : ''}`);
    return 1;
  }
  const resource = resourceProblem(e);
  if (resource) {
    io.err(`error: ${resource.message}\n  = hint: ${resource.hint}`);
    return 1;
  }
  const message = e instanceof Error ? e.message : String(e);
  io.err(
    `internal error: ${message}\n  = note: this is a bug in Gradus; set GRADUS_DEBUG=1 for a stack trace`,
  );
  if (process.env.GRADUS_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
  return 2;
}

/** Errors of the machine, not of Gradus: memory, or a disk that is full or read-only. */
const OUT_OF_MEMORY =
  /Array buffer allocation failed|Invalid typed array length|Invalid array length|could not allocate memory|Out of memory/i;
const DISK: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
};

function resourceProblem(e: unknown): { message: string; hint: string } | undefined {
  if (!(e instanceof Error)) return undefined;
  if (e instanceof RangeError || OUT_OF_MEMORY.test(e.message)) {
    if (!OUT_OF_MEMORY.test(e.message)) return undefined;
    return {
      message: `out of memory: ${e.message}`,
      hint: 'the model or its data needs more memory than can be allocated: use a smaller --batch or smaller dims',
    };
  }
  const { code, path } = e as NodeJS.ErrnoException;
  if (code !== undefined && Object.hasOwn(DISK, code)) {
    return {
      message: `cannot write${path ? ` ${path}` : ''}: ${DISK[code]} (${code})`,
      hint: 'free some space, or write somewhere else, and run again',
    };
  }
  return undefined;
}

/** Formats a number compactly for tables. */
export const fmt = compactNumber;

/** A left-aligned text table. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
