/**
 * Worker threads that run trials: each thread takes the next trial when it is free, so fast and
 * slow trials share the cores well. Which thread runs a trial changes nothing about it (its
 * settings and seed are fixed before it is queued), so results do not depend on `--workers`.
 */
import { Worker } from 'node:worker_threads';
import { workerSpec } from '../threads.js';

/** One trial for a worker: the `gradus` arguments it runs. */
export interface TrialJob {
  readonly id: number;
  readonly argv: readonly string[];
}

/** What the trial's command printed and returned. */
export interface TrialOutput {
  readonly id: number;
  readonly code: number;
  readonly out: string;
  readonly err: string;
  readonly seconds: number;
}

/**
 * Persistent trial threads: each takes the next trial when it is free, so fast and slow trials
 * share the cores well, and a thread's start (loading Gradus, ~50 ms built, seconds from the
 * sources) is paid once, not per trial. A thread that dies (out of memory, say) fails its trial
 * with the reason and is replaced by a fresh one.
 */
export class TrialThreads {
  private readonly spec = workerSpec('trial-worker');
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private readonly waiting: { job: TrialJob; resolve: (r: TrialOutput) => void }[] = [];
  private readonly running = new Map<Worker, { job: TrialJob; resolve: (r: TrialOutput) => void }>();
  private closed = false;

  constructor(private readonly size: number) {}

  /** Runs one trial on the next free thread. */
  run(job: TrialJob): Promise<TrialOutput> {
    return new Promise((resolve) => {
      this.waiting.push({ job, resolve });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.waiting.length > 0 && !this.closed) {
      let worker = this.idle.pop();
      if (!worker) {
        if (this.all.size >= this.size) return;
        worker = this.spawn();
      }
      const next = this.waiting.shift() as { job: TrialJob; resolve: (r: TrialOutput) => void };
      this.running.set(worker, next);
      worker.postMessage(next.job);
    }
  }

  private spawn(): Worker {
    const worker = new Worker(this.spec.script, { eval: this.spec.eval, stdout: true, stderr: true });
    // Trials print through their own Io; anything else a thread writes is dropped, not mixed
    // into the search's output.
    worker.stdout.resume();
    worker.stderr.resume();
    this.all.add(worker);
    worker.on('message', (r: TrialOutput) => {
      const current = this.running.get(worker);
      this.running.delete(worker);
      this.idle.push(worker);
      current?.resolve(r);
      this.dispatch();
    });
    const fail = (why: string) => {
      const current = this.running.get(worker);
      this.running.delete(worker);
      this.all.delete(worker);
      const i = this.idle.indexOf(worker);
      if (i >= 0) this.idle.splice(i, 1);
      if (current)
        current.resolve({
          id: current.job.id,
          code: 2,
          out: '',
          err: `the worker thread failed: ${why}`,
          seconds: 0,
        });
      this.dispatch();
    };
    worker.on('error', (e) => fail(e.message));
    worker.on('exit', (code) => {
      if (this.all.has(worker)) fail(`it exited with code ${code}`);
    });
    return worker;
  }

  /** Ends every thread; trials not yet started are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
    const workers = [...this.all];
    this.all.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * Runs `jobs` on `workers` threads, calling `onDone` as each finishes (in finishing order); once
 * `shouldStop` says so, trials not started yet are not started.
 */
export async function runPool(
  jobs: readonly TrialJob[],
  workers: number,
  onDone: (result: TrialOutput) => void,
  shouldStop: () => boolean = () => false,
): Promise<void> {
  const threads = new TrialThreads(Math.max(1, Math.min(workers, jobs.length)));
  try {
    const queue = [...jobs];
    const lane = async () => {
      for (let job = queue.shift(); job && !shouldStop(); job = queue.shift()) onDone(await threads.run(job));
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, jobs.length)) }, lane));
  } finally {
    await threads.close();
  }
}
