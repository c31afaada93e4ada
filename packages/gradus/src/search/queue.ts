/**
 * Searches across machines, on an existing queue rather than a home-made one: BullMQ over Redis.
 * The search puts each trial on the queue as a job (the model's text, its hash, the Gradus
 * version and the trial's `gradus train` arguments); `gradus worker` processes run jobs on any
 * number of machines and send back what the trial printed and the files of its run directory,
 * which the search writes into its own directory. A worker that dies mid-trial stops renewing
 * its job's lock; BullMQ's stalled-job check then gives the job to another worker, and the
 * search reports the retry.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { diagnostic, GradusError } from '@gradus/autodiff';
import { Job, Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import { VERSION } from '../version.js';
import { type TrialOutput, TrialThreads } from './pool.js';
import type { PlannedTrial } from './search.js';

/** The one queue every search and worker shares; jobs carry their search's id. */
export const QUEUE_NAME = 'gradus-trials';

/** Placeholders in a job's arguments, replaced by the worker's own paths. */
const MODEL = '{model}';
const RUN = '{run}';

export interface TrialJobData {
  readonly version: string;
  readonly search: string;
  readonly index: number;
  readonly modelName: string;
  readonly modelText: string;
  readonly modelHash: string;
  readonly argv: readonly string[];
}

export interface TrialJobResult {
  readonly output: TrialOutput;
  /** The run directory's files, relative path → base64. */
  readonly files: Readonly<Record<string, string>>;
}

/** BullMQ connection options from `redis://[user:password@]host:port[/db]`. */
export function redisConnection(url: string) {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw queueError(`--queue ${url} is not a URL`, 'e.g. --queue redis://127.0.0.1:6379');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw queueError(`--queue ${url}: only redis:// and rediss:// queues are supported`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw queueError(`--queue ${url}: '${u.pathname.slice(1)}' is not a database number`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ's blocking commands must wait for Redis however long it is away.
    maxRetriesPerRequest: null,
  };
}

const queueError = (message: string, hint?: string) =>
  new GradusError(diagnostic('E0963', message, hint === undefined ? {} : { hint }));

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Every file under `dir`, as relative path → base64. */
function collectFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

/** Writes a returned run directory's files under `dir` (paths that would leave it are refused). */
export function writeFiles(dir: string, files: Readonly<Record<string, string>>): void {
  for (const [rel, data] of Object.entries(files)) {
    const path = join(dir, rel);
    if (relative(dir, path).startsWith('..') || rel.includes('\0')) continue;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, Buffer.from(data, 'base64'));
  }
}

/**
 * The job of one planned trial: the model's path and the run directory in its arguments become
 * placeholders, as a worker on another machine has its own.
 */
export function trialJobData(
  search: string,
  plan: PlannedTrial,
  model: { name: string; file: string; text: string; hash: string },
): TrialJobData {
  const argv = plan.argv.map((a, i) => {
    if (a === model.file) return MODEL;
    if (plan.argv[i - 1] === '--run-dir') return RUN;
    return a;
  });
  return {
    version: VERSION,
    search,
    index: plan.index,
    modelName: model.name,
    modelText: model.text,
    modelHash: model.hash,
    argv,
  };
}

/** Runs one job on this machine: checks it, runs the trial in a thread, returns its run's files. */
export async function processTrialJob(data: TrialJobData, threads: TrialThreads): Promise<TrialJobResult> {
  if (data.version !== VERSION)
    throw new UnrecoverableError(
      `this worker runs Gradus ${VERSION} but the search runs Gradus ${data.version}: install the same version on both`,
    );
  if (sha256(data.modelText) !== data.modelHash)
    throw new UnrecoverableError(
      `the model of trial ${data.index} does not match its hash: the job is corrupt`,
    );
  const work = mkdtempSync(join(tmpdir(), 'gradus-worker-'));
  try {
    const model = join(work, `${basename(data.modelName).replace(/[^A-Za-z0-9_.-]/g, '_') || 'model'}.model`);
    writeFileSync(model, data.modelText);
    const run = join(work, 'run');
    const argv = data.argv.map((a) =>
      a === MODEL ? model : a.startsWith(RUN) ? run + a.slice(RUN.length) : a,
    );
    const output = await threads.run({ id: data.index, argv });
    let files: Record<string, string> = {};
    try {
      files = collectFiles(run);
    } catch {
      // A trial refused before it made its run directory: only its output goes back.
    }
    return { output, files };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface WorkerOptions {
  readonly queue: string;
  readonly concurrency?: number;
  /** How long a job stays with a worker that stops answering before another worker takes it. */
  readonly lockSeconds?: number;
  readonly log: (text: string) => void;
}

/** `gradus worker`: takes trials off the queue until stopped; resolves when closed. */
export async function runWorker(
  o: WorkerOptions,
): Promise<{ close: () => Promise<void>; closed: Promise<void> }> {
  const connection = redisConnection(o.queue);
  const lockDuration = Math.round((o.lockSeconds ?? 30) * 1000);
  const threads = new TrialThreads(o.concurrency ?? 1);
  const worker = new Worker<TrialJobData, TrialJobResult>(
    QUEUE_NAME,
    async (job) => {
      o.log(`trial ${job.data.index} of search ${job.data.search} (${job.data.modelName}): started`);
      const result = await processTrialJob(job.data, threads);
      o.log(`trial ${job.data.index} of search ${job.data.search}: done (exit ${result.output.code})`);
      return result;
    },
    {
      connection,
      concurrency: o.concurrency ?? 1,
      lockDuration,
      stalledInterval: Math.max(1000, Math.round(lockDuration / 2)),
      maxStalledCount: 3,
    },
  );
  worker.on('failed', (job, e) => {
    if (job) o.log(`trial ${job.data.index} of search ${job.data.search}: refused: ${e.message}`);
  });
  let lost = false;
  worker.on('error', (e) => {
    if (!lost) o.log(`lost the connection to ${o.queue} (${e.message}); waiting for it`);
    lost = true;
  });
  worker.on('ready', () => {
    if (lost) o.log(`connected to ${o.queue} again`);
    lost = false;
  });
  await worker.waitUntilReady();
  o.log(`worker: waiting for trials on ${o.queue} (Gradus ${VERSION}, concurrency ${o.concurrency ?? 1})`);
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  return {
    close: async () => {
      await worker.close();
      await threads.close();
      resolveClosed();
    },
    closed,
  };
}

/**
 * The queue runner of a search: every planned trial becomes a job (its id is the search's id and
 * the trial's index, so a resumed search never queues a trial twice), and each result is written
 * into the search directory as it arrives.
 */
export function queueRunner(
  url: string,
  search: string,
  dir: string,
  model: { name: string; file: string; text: string; hash: string },
  say: (text: string) => void,
) {
  return async (
    plans: readonly PlannedTrial[],
    onDone: (plan: PlannedTrial, output: TrialOutput, retries?: number) => void,
    shouldStop: () => boolean,
  ): Promise<void> => {
    const connection = redisConnection(url);
    const queue = new Queue<TrialJobData, TrialJobResult>(QUEUE_NAME, { connection });
    const events = new QueueEvents(QUEUE_NAME, { connection });
    let lost = false;
    const onError = (e: Error) => {
      if (!lost)
        say(
          `lost the connection to ${url} (${e.message}); the search waits for it (Ctrl-C stops it; --resume continues it)`,
        );
      lost = true;
    };
    queue.on('error', onError);
    events.on('error', onError);
    try {
      await queue.waitUntilReady();
      await events.waitUntilReady();
      const jobs = await Promise.all(
        plans.map((p) =>
          queue.add(`trial-${p.index}`, trialJobData(search, p, model), {
            jobId: `${search}-${p.index}`,
            attempts: 1,
            removeOnComplete: { age: 24 * 3600 },
            removeOnFail: { age: 24 * 3600 },
          }),
        ),
      );
      // Ctrl-C: trials not started yet leave the queue (their waits end); running ones finish.
      const removed = jobs.map(() => {
        let resolve: () => void = () => {};
        const promise = new Promise<'removed'>((r) => {
          resolve = () => r('removed');
        });
        return { promise, resolve, done: false };
      });
      const stopWatch = setInterval(() => {
        if (!shouldStop()) return;
        jobs.forEach((j, i) => {
          if (removed[i].done) return;
          j.remove().then(
            () => {
              removed[i].done = true;
              removed[i].resolve();
            },
            // Active (locked by a worker) or already finished: its result still comes.
            () => {},
          );
        });
      }, 500);
      try {
        await Promise.all(
          jobs.map(async (job, i) => {
            const plan = plans[i];
            try {
              const result = await Promise.race([job.waitUntilFinished(events), removed[i].promise]);
              if (result === 'removed') return;
              removed[i].done = true;
              writeFiles(join(dir, plan.run), result.files);
              const after = await Job.fromId<TrialJobData, TrialJobResult>(queue, job.id as string);
              // A job another worker took over after a stall was started more than once.
              const retries = Math.max(
                after?.stalledCounter ?? 0,
                (after?.attemptsStarted ?? 1) - 1,
                (after?.attemptsMade ?? 1) - 1,
              );
              onDone(plan, result.output, retries > 0 ? retries : undefined);
            } catch (e) {
              removed[i].done = true;
              onDone(plan, {
                id: plan.index,
                code: 1,
                out: '',
                err: `refused by the worker: ${(e as Error).message}`,
                seconds: 0,
              });
            }
          }),
        );
      } finally {
        clearInterval(stopWatch);
      }
    } finally {
      await events.close();
      await queue.close();
    }
  };
}
