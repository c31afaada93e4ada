/**
 * `gradus train` runs in a worker thread, started once (~50 ms built), so that this, the main
 * thread, stays free to handle Ctrl-C: the training loop is synchronous, and a signal handler on
 * its own thread would never run while it trains. The first SIGINT or SIGTERM while the run trains
 * sets a flag in shared memory that the loop reads after every step (the `interrupt` callback):
 * the run stops after that step, writes its checkpoint and says how to resume, and the process
 * exits 130. A second one, or one before training begins or after it ends, exits 130 at once,
 * once no file write is in progress (see write-guard.ts in @gradus/optim).
 *
 * The thread prints through this one, a message a line, so standard output and standard error
 * keep the order the command wrote them in; the exit status is the command's.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { claimExit } from '@gradus/optim';
import { INTERRUPTED_EXIT, PHASE, SLOT, SLOT_COUNT } from './cli/interrupt.js';
import { workerSpec } from './threads.js';

/** What the training thread starts with. */
export interface TrainThreadData {
  readonly argv: readonly string[];
  readonly shared: Int32Array;
  readonly tty: boolean;
  readonly port: MessagePort;
}

/** From the training thread: a line for standard output or error, or the exit status. */
export type ThreadMessage = { readonly out: string } | { readonly err: string } | { readonly exit: number };

/** Runs `gradus <argv>` (a `train` command) in a worker thread; resolves with its exit status. */
export function trainInThread(argv: readonly string[]): Promise<number> {
  const shared = new Int32Array(new SharedArrayBuffer(SLOT_COUNT * Int32Array.BYTES_PER_ELEMENT));
  const { port1, port2 } = new MessageChannel();
  const tty = Boolean(process.stderr.isTTY);
  const spec = workerSpec('train-worker');
  const data: TrainThreadData = { argv, shared, tty, port: port2 };
  const worker = new Worker(spec.script, { eval: spec.eval, workerData: data, transferList: [port2] });

  let status: number | undefined;
  const print = (m: ThreadMessage) => {
    if ('out' in m) process.stdout.write(`${m.out}\n`);
    else if ('err' in m) process.stderr.write(`${m.err}\n`);
    else status = m.exit;
  };
  port1.on('message', print);
  /** Prints whatever the thread has sent and this thread has not yet printed. */
  const drain = () => {
    for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) print(m.message);
  };

  let signals = 0;
  let exiting = false;
  const exitNow = async (why: string) => {
    if (exiting) return;
    exiting = true;
    await claimExit(shared, SLOT.write);
    drain();
    process.stderr.write(`${why}\n`);
    process.exit(INTERRUPTED_EXIT);
  };
  const onSignal = () => {
    signals++;
    const phase = Atomics.load(shared, SLOT.phase);
    if (signals === 1 && phase === PHASE.training) {
      Atomics.store(shared, SLOT.interrupts, 1);
      drain();
      process.stderr.write('interrupted: stopping after the current step (Ctrl-C again exits at once)\n');
      return;
    }
    void exitNow(
      signals > 1
        ? 'interrupted again: exiting at once'
        : phase === PHASE.before
          ? 'interrupted before training began'
          : 'interrupted after the last step',
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let failure: Error | undefined;
  worker.on('error', (e) => {
    failure = e;
  });
  return new Promise((resolve) => {
    worker.on('exit', (code) => {
      drain();
      port1.close();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (status !== undefined) return resolve(status);
      const why = failure ? (failure.stack ?? failure.message) : `it exited with code ${code}`;
      process.stderr.write(
        `internal error: the training thread failed: ${why}\n  = note: this is a bug in Gradus; set GRADUS_DEBUG=1 for a stack trace\n`,
      );
      resolve(2);
    });
  });
}
