/**
 * `gradus train` in a worker thread (see train-thread.ts): it runs the command exactly as the
 * command line would, prints through the main thread (in order, one message a line) and guards
 * its file writes, so that Ctrl-C, handled on the main thread, can stop it cleanly. Shipped as
 * its own file (`dist/train-worker.js`) because a worker thread starts from a file.
 */
import { workerData } from 'node:worker_threads';
import { shareWriteGuard } from '@gradus/optim';
import { SLOT } from './cli/interrupt.js';
import { runCliAsync } from './cli/main.js';
import type { ThreadMessage, TrainThreadData } from './train-thread.js';

const data = workerData as TrainThreadData | undefined;
if (!data?.port) throw new Error('train-worker.ts runs as the worker thread of train-thread.ts');
const { argv, shared, tty, port } = data;
const send = (m: ThreadMessage) => port.postMessage(m);

shareWriteGuard(shared, SLOT.write);
let code: number;
try {
  code = await runCliAsync(argv, {
    out: (text) => send({ out: text }),
    err: (text) => send({ err: text }),
    tty,
    interrupt: { shared, argv },
  });
} catch (e) {
  send({ err: `internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` });
  code = 2;
}
send({ exit: code });
