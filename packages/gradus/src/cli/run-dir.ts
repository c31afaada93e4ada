/**
 * Run directories, in the style of Lightning's `lightning_logs/version_N`: every `gradus train`
 * writes `runs/<model>/<n>/` (or `--run-dir DIR`) holding the resolved settings, the checkpoint,
 * the JSONL log, the charts when asked for, and a one-line summary. `gradus search` puts its own
 * directories (`runs/<model>/search-<n>/`) beside them with the same allocation.
 *
 * Everything here is a small function of the file system: allocation is race-free (a plain
 * `mkdir`, which fails if another process made the directory first), JSON files are written
 * through a temporary file and a rename, and a lock file keeps two runs out of one directory.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError } from '@gradus/dsl';

/** The files of a run directory. */
export const RUN_FILES = {
  settings: 'settings.json',
  checkpoint: 'checkpoint.json',
  log: 'log.jsonl',
  summary: 'summary.json',
  lock: 'run.lock',
  charts: 'charts',
} as const;

/** `format` of a run's `settings.json`. */
export const RUN_FORMAT = 'gradus-run';
export const RUN_VERSION = 1;

/** Where runs go unless `--run-dir` names one: `$GRADUS_RUNS`, else `./runs`. */
export const runsRoot = (env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string =>
  resolve(cwd, env.GRADUS_RUNS || 'runs');

/** A model name as a directory name: anything but letters, digits, `_`, `.` and `-` becomes `_`. */
export const dirName = (model: string): string => {
  const safe = model.replace(/[^A-Za-z0-9_.-]/g, '_');
  return safe === '' || safe === '.' || safe === '..' ? '_' : safe;
};

const code = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? String(e);

/**
 * The next free `<parent>/<prefix><n>` (n = 1, 2, …: one more than the largest there), made with
 * a plain `mkdir` so that two processes allocating at once never get the same one: the loser's
 * `mkdir` fails with EEXIST and it takes the next number. `parent` is made if missing.
 */
export function allocateNumbered(parent: string, prefix = ''): string {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^${escaped}([1-9][0-9]*)$`);
  try {
    mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw cannotWrite(parent, e);
  }
  let n = 1;
  for (const f of readdirSync(parent)) {
    const m = pattern.exec(f);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  for (;;) {
    const dir = join(parent, `${prefix}${n}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (e) {
      if (code(e) !== 'EEXIST') throw cannotWrite(parent, e);
      n++;
    }
  }
}

function cannotWrite(dir: string, e: unknown): UsageError {
  return new UsageError(
    `cannot make a run directory in ${shownPath(dir)}: ${code(e)}`,
    'choose a writable place with --run-dir DIR, or set GRADUS_RUNS to a writable folder',
  );
}

/** A fresh `<root>/<model>/<n>/`. */
export const newRunDir = (root: string, model: string): string =>
  allocateNumbered(join(root, dirName(model)));

/** A directory that exists and holds something. */
export function isNonEmptyDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

/**
 * Checks, before anything is written, that `dir` may become this run's directory: it must not
 * be a file, and a directory that holds something is only reused with `--overwrite` or when this
 * run continues it (`--resume`).
 */
export function checkRunDir(
  dir: string,
  o: { readonly overwrite?: boolean; readonly resuming?: boolean },
): void {
  let isDir = false;
  try {
    const st = statSync(dir);
    isDir = st.isDirectory();
    if (!isDir)
      throw new UsageError(`the run directory ${shownPath(dir)} is a file`, 'choose another --run-dir');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    return; // It does not exist yet: it is made when the run starts.
  }
  if (o.overwrite || o.resuming) return;
  if (readdirSync(dir).length > 0)
    throw new UsageError(
      `the run directory ${shownPath(dir)} already exists and is not empty`,
      `pass --resume ${shownPath(dir)} to continue that run, --overwrite to replace it, or choose another --run-dir`,
    );
}

/** Makes `dir` (and its parents) for a run, with a clear error when it cannot be made. */
export function makeRunDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(
      `cannot make the run directory ${shownPath(dir)}: ${code(e)}`,
      'choose a writable place with --run-dir DIR, or set GRADUS_RUNS to a writable folder',
    );
  }
}

/** Writes through a temporary file and a rename: a crash leaves the old file or the new one. */
export function writeFileAtomic(path: string, text: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** `writeFileAtomic` of one JSON value, with a usage error naming the file when it fails. */
export function writeJsonAtomic(path: string, value: unknown, indent?: number): void {
  try {
    writeFileAtomic(path, `${JSON.stringify(value, jsonSafe, indent)}\n`);
  } catch (e) {
    throw new UsageError(`cannot write ${shownPath(path)}: ${code(e)}`);
  }
}

/** NaN and ±∞ are not JSON: they are written as the strings "NaN", "Infinity", "-Infinity". */
const jsonSafe = (_k: string, v: unknown): unknown =>
  typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;

/** A path as the user should see it: relative to the working directory when it is inside it. */
export function shownPath(path: string, cwd: string = process.cwd()): string {
  const abs = resolve(cwd, path);
  const rel = relative(cwd, abs);
  return rel === '' ? '.' : !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

/** The sha256 of a text, hex: a model's fingerprint. */
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** What a run's `settings.json` holds. */
export interface RunManifest {
  readonly format: typeof RUN_FORMAT;
  readonly version: number;
  /** Gradus's version. */
  readonly gradus: string;
  readonly model: string;
  /** The model file, absolute. */
  readonly file: string;
  /** sha256 of the model file's text when the run started. */
  readonly modelHash: string;
  /** ISO time the run (or its latest resumption) started. */
  readonly created: string;
  /** Every value the run used, defaults included. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Where its outputs went (absolute): `checkpoint` (a directory), `log`, `trace`, `charts`. */
  readonly outputs?: Readonly<Record<string, string>>;
}

/** A run directory: it has a `settings.json` of a run. */
export function isRunDir(dir: string): boolean {
  return readRunManifest(dir) !== undefined;
}

/**
 * The `settings.json` of the run in `dir`; undefined if it has none. A file that is there but is
 * not a run's settings is an error naming it.
 */
export function readRunManifest(dir: string): RunManifest | undefined {
  const path = join(dir, RUN_FILES.settings);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  let json: Partial<RunManifest>;
  try {
    json = JSON.parse(text) as Partial<RunManifest>;
  } catch {
    throw new UsageError(`${shownPath(path)} is not valid JSON`, 'the run directory is damaged');
  }
  if (
    typeof json !== 'object' ||
    json === null ||
    json.format !== RUN_FORMAT ||
    typeof json.settings !== 'object' ||
    json.settings === null
  )
    throw new UsageError(`${shownPath(path)} is not the settings of a Gradus run`);
  return json as RunManifest;
}

/**
 * `--run DIR` of eval, predict and export: a run directory (or a checkpoint directory) with a
 * checkpoint in it, else a usage error saying what `DIR` is instead.
 */
export function openRun(dir: string): { manifest: RunManifest | undefined; checkpointDir: string } {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch {
    throw new UsageError(
      `--run ${dir}: no such directory`,
      'give a directory that gradus train wrote (runs/<model>/<n>)',
    );
  }
  if (!st.isDirectory())
    throw new UsageError(
      `--run ${dir} is not a directory`,
      'give a directory that gradus train wrote (runs/<model>/<n>)',
    );
  const manifest = readRunManifest(dir);
  if (!existsSync(join(dir, RUN_FILES.checkpoint)))
    throw new UsageError(
      manifest
        ? `the run ${shownPath(dir)} has no checkpoint yet (no ${RUN_FILES.checkpoint}): it stopped before its first one`
        : `${shownPath(dir)} is not a run: it has neither ${RUN_FILES.settings} nor ${RUN_FILES.checkpoint}`,
      'give a directory that gradus train wrote (runs/<model>/<n>)',
    );
  return { manifest, checkpointDir: dir };
}

// ---------------------------------------------------------------------------------------------
// The lock: one run per directory.

export interface LockInfo {
  readonly pid: number;
  readonly host: string;
  /** ISO time. */
  readonly started: string;
}

/** Whether process `pid` is alive on this host (EPERM: alive, but another user's). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return code(e) === 'EPERM';
  }
}

export interface LockEnv {
  readonly pid?: number;
  readonly host?: string;
  readonly now?: () => Date;
  readonly alive?: (pid: number) => boolean;
  /** Told when a stale lock is taken over. */
  readonly warn?: (message: string) => void;
}

function readLock(path: string): LockInfo | undefined {
  try {
    const j = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockInfo>;
    if (typeof j.pid === 'number' && typeof j.host === 'string')
      return { pid: j.pid, host: j.host, started: String(j.started ?? '?') };
  } catch {
    // Unreadable or half-written: treated as stale below.
  }
  return undefined;
}

/**
 * Takes `dir/run.lock` for this process (pid, host and start time), made with an exclusive
 * create so that of two runs starting at once exactly one gets it. A lock held by a live process,
 * or by one on another host (which cannot be checked), is a usage error naming it; a lock whose
 * process no longer runs on this host (a run killed with `kill -9`) is stale and is taken over
 * with a warning. Returns the function that releases it.
 */
export function acquireLock(dir: string, env: LockEnv = {}): () => void {
  const path = join(dir, RUN_FILES.lock);
  const me: LockInfo = {
    pid: env.pid ?? process.pid,
    host: env.host ?? hostname(),
    started: (env.now ?? (() => new Date()))().toISOString(),
  };
  const alive = env.alive ?? pidAlive;
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, `${JSON.stringify(me)}\n`, { flag: 'wx' });
      break;
    } catch (e) {
      if (code(e) !== 'EEXIST' || attempt > 0)
        throw new UsageError(`cannot lock the run directory ${shownPath(dir)}: ${code(e)}`);
    }
    const held = readLock(path);
    if (held && (held.host !== me.host || alive(held.pid)))
      throw new UsageError(
        `the run directory ${shownPath(dir)} is in use by process ${held.pid} on ${held.host} (since ${held.started})`,
        held.host === me.host
          ? 'wait for that run to end, or train into another --run-dir'
          : `if that run has ended, delete ${shownPath(path)}; else train into another --run-dir`,
      );
    env.warn?.(
      held
        ? `warning: taking over the stale lock of process ${held.pid} on ${held.host} (since ${held.started}), which no longer runs`
        : `warning: taking over the unreadable lock file ${shownPath(path)}`,
    );
    try {
      unlinkSync(path);
    } catch {
      // Someone else took it over first: the exclusive create below decides.
    }
  }
  return () => {
    const held = readLock(path);
    if (held && held.pid === me.pid && held.host === me.host && held.started === me.started)
      rmSync(path, { force: true });
  };
}
