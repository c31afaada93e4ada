import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cliAsync, repoModel } from './helpers.js';

/**
 * Ctrl-C during `gradus train`, on the real binary (from the sources, through tsx): the run
 * stops after the step in progress with a checkpoint and the command to resume it, which then
 * ends exactly where an uninterrupted run ends; a second Ctrl-C exits at once without writing.
 * Every wait is for a line the process prints, never a fixed time.
 */

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repo, 'packages/gradus/src/bin.ts');
const tsx = join(repo, 'node_modules/.bin/tsx');
const tmp = mkdtempSync(join(tmpdir(), 'gradus-interrupt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Running {
  readonly proc: ChildProcess;
  out: string;
  err: string;
  /** Resolves once `pattern` appears in what the process printed on `stream`. */
  waitFor(stream: 'out' | 'err', pattern: RegExp): Promise<RegExpMatchArray>;
  readonly exited: Promise<number | null>;
}

function gradus(cwd: string, ...args: string[]): Running {
  const proc = spawn(tsx, [bin, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GRADUS_RUNS: 'runs', TSX_TSCONFIG_PATH: join(repo, 'tsconfig.json') },
  });
  const waiting: (() => void)[] = [];
  const r: Running = {
    proc,
    out: '',
    err: '',
    waitFor(stream, pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = r[stream].match(pattern);
          if (m) resolve(m);
          else if (proc.exitCode !== null)
            reject(new Error(`exited ${proc.exitCode} before printing ${pattern}:\n${r.out}\n${r.err}`));
          else return false;
          return true;
        };
        const retry = () => {
          if (!check()) waiting.push(retry);
        };
        retry();
      });
    },
    exited: new Promise((resolve) => proc.on('close', (code) => resolve(code))),
  };
  const wake = () => {
    for (const w of waiting.splice(0)) w();
  };
  proc.stdout?.on('data', (d) => {
    r.out += String(d);
    wake();
  });
  proc.stderr?.on('data', (d) => {
    r.err += String(d);
    wake();
  });
  proc.on('close', wake);
  return r;
}

/** The words of a command as printed (plain words, or single-quoted ones). */
const words = (command: string): string[] =>
  [...command.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => m[2] ?? m[1].replace(/'\\''/g, "'"));

/** Every line of a JSON-lines file, parsed (a half-written line would throw). */
const jsonLines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { step: number; loss: number; eval?: string });

describe('Ctrl-C during gradus train', () => {
  it('stops after the step in progress, checkpoints, prints how to resume and exits 130; resuming ends exactly as one run does', async () => {
    const dir = mkdtempSync(join(tmp, 'once-'));
    const model = repoModel('two_layer.model');
    // 20,000 steps, a progress line every 1,000: long enough to be interrupted on a busy machine.
    const args = ['train', model, '--epochs', '4000', '--log', 'run.jsonl'];
    const run = gradus(dir, ...args);
    await run.waitFor('out', /^epoch \d+ {2}step \d+ {2}train loss/m);
    run.proc.kill('SIGINT');
    const code = await run.exited;
    expect(code, run.err).toBe(130);
    expect(run.err).toMatch(/^interrupted: stopping after the current step/m);
    const m = run.err.match(/^interrupted at step (\d+); resume with: (gradus train .* --resume (\S+))$/m);
    expect(m, run.err).not.toBeNull();
    const step = Number(m![1]);
    const resumeDir = m![3];
    expect(step).toBeGreaterThan(0);
    expect(step).toBeLessThan(20_000);
    // The run's own directory.
    expect(resumeDir).toMatch(/(^|\/)runs\/TwoLayerNet\/\d+$/);
    expect(run.out).not.toMatch(/^done:/m);

    // A valid checkpoint at the step reported, and a log of complete lines ending there.
    const checkpoint = JSON.parse(readFileSync(resolve(dir, resumeDir, 'checkpoint.json'), 'utf8'));
    expect(checkpoint.step).toBe(step);
    expect(readFileSync(resolve(dir, resumeDir, 'checkpoint.json'), 'utf8')).not.toMatch(/tmp/);
    const log = jsonLines(join(dir, 'run.jsonl'));
    expect(log.at(-1)?.step).toBe(step);

    // The printed command, run as printed (with --json for the final loss), finishes the run.
    const resumeArgs = words(m![2]).slice(1);
    expect(resumeArgs).toEqual([...args, '--resume', resumeDir]);
    const cwd = process.cwd();
    let resumed: Awaited<ReturnType<typeof cliAsync>>;
    let whole: Awaited<ReturnType<typeof cliAsync>>;
    try {
      process.chdir(dir);
      resumed = await cliAsync(...resumeArgs, '--json');
      whole = await cliAsync('train', model, '--epochs', '4000', '--log', 'whole.jsonl', '--json');
    } finally {
      process.chdir(cwd);
    }
    expect(resumed.code, resumed.err).toBe(0);
    expect(whole.code, whole.err).toBe(0);
    const a = JSON.parse(resumed.out.trim().split('\n').at(-1)!);
    const b = JSON.parse(whole.out.trim().split('\n').at(-1)!);
    expect(a.steps).toBe(20_000);
    expect(a.loss).toBe(b.loss);
    expect(a.evaluation).toEqual(b.evaluation);
    // The resumed log is, line for line, the uninterrupted run's.
    expect(readFileSync(join(dir, 'run.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'whole.jsonl'), 'utf8'));
  }, 240_000);

  it('treats SIGTERM as Ctrl-C, and a second signal exits 130 at once without writing a checkpoint', async () => {
    const dir = mkdtempSync(join(tmp, 'twice-'));
    // One step multiplies 640 × 640 matrices a dozen times: the second signal arrives within it.
    writeFileSync(
      join(dir, 'slow.model'),
      `model Slow {
  dim n = 640
  param W: [n, n] init glorot_uniform
  let A = W @ W
  let B = A @ A
  loss = mean((B @ B)^2)
  train {
    optimizer = sgd(lr = 0.01)
    steps = 20
  }
}
`,
    );
    const run = gradus(dir, 'train', 'slow.model', '--log', 'run.jsonl');
    await run.waitFor('out', /^epoch 1 {2}step 1 {2}train loss/m);
    run.proc.kill('SIGTERM');
    await run.waitFor('err', /^interrupted: stopping after the current step/m);
    run.proc.kill('SIGINT');
    const code = await run.exited;
    expect(code, run.err).toBe(130);
    expect(run.err).toMatch(/^interrupted again: exiting at once$/m);
    expect(run.err).not.toMatch(/resume with/);
    // No checkpoint, no temporary file; the log's lines are whole.
    const runDirs = existsSync(join(dir, 'runs'))
      ? readdirSync(join(dir, 'runs'), { recursive: true }).map(String)
      : [];
    expect(
      runDirs.filter((f) => f.endsWith('checkpoint.json') || f.includes('.tmp')),
      run.err,
    ).toEqual([]);
    for (const line of jsonLines(join(dir, 'run.jsonl'))) expect(line.step).toBeGreaterThan(0);
  }, 240_000);
});
