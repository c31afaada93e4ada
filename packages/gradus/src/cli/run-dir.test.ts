import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  acquireLock,
  allocateNumbered,
  checkRunDir,
  dirName,
  newRunDir,
  openRun,
  RUN_FILES,
  readRunManifest,
  runsRoot,
  shownPath,
  writeFileAtomic,
} from './run-dir.js';

const tmp = mkdtempSync(join(tmpdir(), 'gradus-run-dir-'));
let count = 0;
const fresh = () => {
  const d = join(tmp, `d${++count}`);
  mkdirSync(d);
  return d;
};

describe('runsRoot', () => {
  it('is ./runs of the working directory, or $GRADUS_RUNS (relative to it)', () => {
    expect(runsRoot({}, '/home/u/proj')).toBe('/home/u/proj/runs');
    expect(runsRoot({ GRADUS_RUNS: 'out/r' }, '/home/u/proj')).toBe('/home/u/proj/out/r');
    expect(runsRoot({ GRADUS_RUNS: '/data/runs' }, '/home/u/proj')).toBe('/data/runs');
    expect(runsRoot({ GRADUS_RUNS: '' }, '/w')).toBe('/w/runs');
  });
});

describe('allocateNumbered', () => {
  it('makes 1, 2, 3 … in turn, one past the largest number there, ignoring other names', () => {
    const parent = join(fresh(), 'Model');
    expect(allocateNumbered(parent)).toBe(join(parent, '1'));
    expect(allocateNumbered(parent)).toBe(join(parent, '2'));
    mkdirSync(join(parent, '7'));
    mkdirSync(join(parent, 'search-40'));
    mkdirSync(join(parent, '012'));
    writeFileSync(join(parent, 'notes'), '');
    expect(allocateNumbered(parent)).toBe(join(parent, '8'));
    expect(allocateNumbered(parent, 'search-')).toBe(join(parent, 'search-41'));
    expect(readdirSync(join(parent, '8'))).toEqual([]);
  });

  it('never gives two processes allocating at once the same directory', async () => {
    const parent = join(fresh(), 'Race');
    const module = fileURLToPath(new URL('./run-dir.ts', import.meta.url));
    const script = `import(${JSON.stringify(module)}).then((m) => { for (let i = 0; i < 10; i++) console.log(m.allocateNumbered(${JSON.stringify(parent)})); });`;
    const runs = Array.from(
      { length: 3 },
      () =>
        new Promise<string[]>((done, fail) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: 'pipe' });
          let out = '';
          child.stdout.on('data', (b) => {
            out += b;
          });
          child.on('error', fail);
          child.on('close', (code) =>
            code === 0 ? done(out.trim().split('\n')) : fail(new Error(`exit ${code}`)),
          );
        }),
    );
    const dirs = (await Promise.all(runs)).flat();
    expect(dirs).toHaveLength(30);
    expect(new Set(dirs).size).toBe(30);
    expect(
      readdirSync(parent)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  }, 60_000);

  it('names the directory it cannot make, with a hint', () => {
    const file = join(fresh(), 'file');
    writeFileSync(file, 'x');
    expect(() => newRunDir(file, 'M')).toThrow(/cannot make a run directory in .*file\/M: (ENOTDIR|EEXIST)/);
    try {
      newRunDir(file, 'M');
    } catch (e) {
      expect((e as { hint?: string }).hint).toMatch(/--run-dir/);
    }
  });
});

describe('dirName', () => {
  it('keeps letters, digits, _ . - and replaces the rest, never yielding . or ..', () => {
    expect(dirName('TwoLayerNet')).toBe('TwoLayerNet');
    expect(dirName('a/b\\c d')).toBe('a_b_c_d');
    expect(dirName('..')).toBe('_');
    expect(dirName('')).toBe('_');
  });
});

describe('checkRunDir', () => {
  it('accepts a missing or empty directory; refuses a non-empty one unless overwriting or resuming', () => {
    const base = fresh();
    expect(() => checkRunDir(join(base, 'missing'), {})).not.toThrow();
    const empty = join(base, 'empty');
    mkdirSync(empty);
    expect(() => checkRunDir(empty, {})).not.toThrow();
    const full = join(base, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'settings.json'), '{}');
    expect(() => checkRunDir(full, {})).toThrow(/run directory .*full already exists and is not empty/);
    expect(() => checkRunDir(full, { overwrite: true })).not.toThrow();
    expect(() => checkRunDir(full, { resuming: true })).not.toThrow();
    expect(() => checkRunDir(join(full, 'settings.json'), { overwrite: true })).toThrow(/is a file/);
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file whole and leaves no temporary file', () => {
    const d = fresh();
    const f = join(d, 'a.json');
    writeFileSync(f, 'old');
    writeFileAtomic(f, 'new');
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(readdirSync(d)).toEqual(['a.json']);
  });

  it('leaves the old file and no temporary one when the write fails', () => {
    const d = fresh();
    mkdirSync(join(d, 'a.json')); // A directory in the way: the rename fails.
    expect(() => writeFileAtomic(join(d, 'a.json'), 'new')).toThrow();
    expect(readdirSync(d)).toEqual(['a.json']);
  });
});

describe('readRunManifest and openRun', () => {
  it('reads a run, says when a directory is no run, and refuses a damaged settings.json', () => {
    const d = fresh();
    expect(readRunManifest(d)).toBeUndefined();
    expect(() => openRun(d)).toThrow(/is not a run: it has neither settings.json nor checkpoint.json/);
    expect(() => openRun(join(d, 'nope'))).toThrow(/no such directory/);
    writeFileSync(join(d, RUN_FILES.settings), '{"format": "gradus-run", "settings": {"seed": 1}}');
    expect(readRunManifest(d)?.settings).toEqual({ seed: 1 });
    expect(() => openRun(d)).toThrow(/has no checkpoint yet/);
    writeFileSync(join(d, RUN_FILES.checkpoint), '{}');
    expect(openRun(d).checkpointDir).toBe(d);
    writeFileSync(join(d, RUN_FILES.settings), '{"format": "other"}');
    expect(() => readRunManifest(d)).toThrow(/is not the settings of a Gradus run/);
    writeFileSync(join(d, RUN_FILES.settings), '{"form');
    expect(() => readRunManifest(d)).toThrow(/is not valid JSON/);
  });
});

describe('acquireLock', () => {
  const now = () => new Date('2026-01-02T03:04:05Z');

  it('writes pid, host and start time, refuses a second run while the first lives, and releases', () => {
    const d = fresh();
    const release = acquireLock(d, { pid: 101, host: 'h', now, alive: () => true });
    expect(JSON.parse(readFileSync(join(d, RUN_FILES.lock), 'utf8'))).toEqual({
      pid: 101,
      host: 'h',
      started: '2026-01-02T03:04:05.000Z',
    });
    expect(() => acquireLock(d, { pid: 102, host: 'h', alive: () => true })).toThrow(
      /in use by process 101 on h \(since 2026-01-02T03:04:05.000Z\)/,
    );
    release();
    expect(readdirSync(d)).toEqual([]);
    acquireLock(d, { pid: 102, host: 'h', alive: () => true });
  });

  it('takes over a stale lock (its process is gone) with a warning', () => {
    const d = fresh();
    acquireLock(d, { pid: 101, host: 'h', now });
    const warnings: string[] = [];
    const release = acquireLock(d, {
      pid: 102,
      host: 'h',
      alive: (pid) => pid !== 101,
      warn: (m) => warnings.push(m),
    });
    expect(warnings).toEqual([
      'warning: taking over the stale lock of process 101 on h (since 2026-01-02T03:04:05.000Z), which no longer runs',
    ]);
    expect(JSON.parse(readFileSync(join(d, RUN_FILES.lock), 'utf8')).pid).toBe(102);
    release();
  });

  it("never takes another host's lock, and a release does not remove a lock taken over since", () => {
    const d = fresh();
    const release = acquireLock(d, { pid: 101, host: 'a', alive: () => false });
    expect(() => acquireLock(d, { pid: 5, host: 'b', alive: () => false })).toThrow(
      /in use by process 101 on a/,
    );
    const takeOver = acquireLock(d, { pid: 7, host: 'a', alive: () => false });
    release(); // 101's release: the lock is 7's now.
    expect(JSON.parse(readFileSync(join(d, RUN_FILES.lock), 'utf8')).pid).toBe(7);
    takeOver();
    expect(readdirSync(d)).toEqual([]);
  });

  it('a live process of this host is really checked: this one is alive', () => {
    const d = fresh();
    const release = acquireLock(d);
    expect(() => acquireLock(d)).toThrow(new RegExp(`in use by process ${process.pid}`));
    release();
  });
});

describe('shownPath', () => {
  it('is relative inside the working directory, absolute outside it', () => {
    expect(shownPath('/w/runs/M/1', '/w')).toBe('runs/M/1');
    expect(shownPath('/w', '/w')).toBe('.');
    expect(shownPath('/elsewhere/x', '/w')).toBe('/elsewhere/x');
  });
});
