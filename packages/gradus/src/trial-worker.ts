/**
 * A search's worker thread: runs one `gradus train …` at a time, in-process, exactly as the
 * command line would (the same flags, the same run directory), and posts back what it printed.
 * Shipped as its own file (`dist/trial-worker.js`) because a worker thread starts from a file.
 */
import { parentPort } from 'node:worker_threads';
import { runCliAsync } from './cli/main.js';
import type { TrialJob, TrialOutput } from './search/pool.js';

if (!parentPort) throw new Error('trial-worker.ts runs as a worker thread');
const port = parentPort;

port.on('message', async (job: TrialJob) => {
  const out: string[] = [];
  const err: string[] = [];
  const started = performance.now();
  let code: number;
  try {
    code = await runCliAsync(job.argv, { out: (t) => out.push(t), err: (t) => err.push(t), tty: false });
  } catch (e) {
    err.push(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    code = 2;
  }
  const reply: TrialOutput = {
    id: job.id,
    code,
    out: out.join('\n'),
    err: err.join('\n'),
    seconds: (performance.now() - started) / 1000,
  };
  port.postMessage(reply);
});
