import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliAsync, repoModel } from './helpers.js';

/**
 * `gradus search --queue`: a real redis-server on a free loopback port, two `gradus worker`
 * processes, and a search through them that gives the same trials as a local search with the
 * same seed — also when one worker is killed in the middle of a trial (BullMQ's stalled-job
 * check hands the trial to the other worker).
 */

const tmp = mkdtempSync(join(tmpdir(), 'gradus-queue-'));
const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repo, 'packages/gradus/src/bin.ts');
const tsx = join(repo, 'node_modules/.bin/tsx');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

const gradus = cliAsync;

interface Worker {
  readonly proc: ChildProcess;
  log: string;
}

function startWorker(url: string): Promise<Worker> {
  const proc = spawn(tsx, [bin, 'worker', '--queue', url, '--lock-seconds', '2'], {
    cwd: tmp,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TSX_TSCONFIG_PATH: join(repo, 'tsconfig.json') },
  });
  const w: Worker = { proc, log: '' };
  return new Promise((resolve, reject) => {
    proc.stderr?.on('data', (d) => {
      w.log += String(d);
      if (w.log.includes('waiting for trials')) resolve(w);
    });
    proc.on('exit', (code) => reject(new Error(`worker exited ${code}: ${w.log}`)));
  });
}

const waitFor = async (f: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('gradus search --queue', () => {
  let redis: ChildProcess;
  let url: string;
  const workers: Worker[] = [];

  beforeAll(async () => {
    if (spawnSync('redis-server', ['--version']).status !== 0)
      throw new Error(
        'these tests need redis-server (Debian: apt-get install redis-server; .ci/run installs it)',
      );
    const port = await freePort();
    redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    url = `redis://127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 300));
    workers.push(await startWorker(url), await startWorker(url));
  }, 120_000);

  afterAll(() => {
    for (const w of workers) w.proc.kill('SIGKILL');
    redis?.kill('SIGKILL');
  });

  it('gives the trials of a local search, with a worker killed mid-trial', async () => {
    // Long enough trials (the ravine for 100,000 steps at learning rates that all converge) that one is still running when it is killed.
    const flags = [
      '--space',
      'lr=loguniform(1e-4, 1e-2)',
      '--trials',
      '4',
      '--seed',
      '9',
      '--train=--steps=100000',
      '--json',
    ];
    const local = await gradus(
      'search',
      repoModel('ravine.model'),
      ...flags,
      '--workers',
      '2',
      '--dir',
      join(tmp, 'local'),
    );
    expect(local.code).toBe(0);
    const search = gradus(
      'search',
      repoModel('ravine.model'),
      ...flags,
      '--queue',
      url,
      '--dir',
      join(tmp, 'queued'),
    );
    const victim = workers[0];
    await waitFor(() => victim.log.includes('started'), 60_000);
    victim.proc.kill('SIGKILL');
    const queued = await search;
    expect(queued.err).toBe('');
    expect(queued.code).toBe(0);
    const strip = (out: string) =>
      (
        JSON.parse(out.trim().split('\n').at(-1) as string).trials as {
          params: unknown;
          loss: unknown;
          status: string;
        }[]
      ).map((t) => ({ params: t.params, loss: t.loss, status: t.status }));
    expect(strip(queued.out)).toEqual(strip(local.out));
    const trials = JSON.parse(queued.out.trim().split('\n').at(-1) as string).trials as { run: string }[];
    // The run directories came back from the workers.
    for (const t of trials) expect(existsSync(join(t.run, 'log.jsonl')), t.run).toBe(true);
  }, 240_000);
});
