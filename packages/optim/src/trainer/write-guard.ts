/**
 * Writes that a process exit never cuts in half. The `gradus` binary trains in a worker thread
 * while its main thread handles Ctrl-C; a second Ctrl-C ends the process at once, which would
 * stop the training thread wherever it is: between writing a checkpoint's temporary file and
 * renaming it, say, or in the middle of rewriting a log. So every write of a run's files goes
 * through `guardedWrite`, and the main thread exits only between writes (`claimExit`).
 *
 * The two threads share one Int32Array slot: 0 idle, 1 while a write runs, 2 once the process is
 * exiting. A write that finds 2 never starts (its thread sleeps until the process is gone). With
 * no slot shared (tests, the TypeScript API, `gradus` commands in one thread) writes just run.
 */

const IDLE = 0;
const WRITING = 1;
const EXITING = 2;

let guard: { readonly slots: Int32Array; readonly index: number } | undefined;
let depth = 0;

/** In the thread that writes: share the slot `slots[index]` with the thread that may exit. */
export function shareWriteGuard(slots: Int32Array | undefined, index = 0): void {
  guard = slots ? { slots, index } : undefined;
}

/** Runs `write` (file system calls) so that the process never exits in the middle of it. */
export function guardedWrite<T>(write: () => T): T {
  if (!guard || depth > 0) return write();
  const { slots, index } = guard;
  if (Atomics.compareExchange(slots, index, IDLE, WRITING) !== IDLE) {
    // The process is exiting: this write must not start. Sleep until the exit ends this thread.
    for (;;) Atomics.wait(slots, index, EXITING);
  }
  depth++;
  try {
    return write();
  } finally {
    depth--;
    Atomics.store(slots, index, IDLE);
    Atomics.notify(slots, index);
  }
}

/**
 * In the thread that exits: waits until no write is in progress and marks the slot so that none
 * starts; after it resolves the process may exit without leaving a file half-written.
 */
export async function claimExit(slots: Int32Array, index = 0): Promise<void> {
  for (;;) {
    const was = Atomics.compareExchange(slots, index, IDLE, EXITING);
    if (was !== WRITING) return;
    // A write takes milliseconds; polling keeps this thread's event loop (and its output) going.
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
