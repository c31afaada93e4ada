import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, repoModel } from './helpers.js';

/**
 * Run directories: every `gradus train` leaves `runs/<model>/<n>/` (or `--run-dir DIR`) with its
 * resolved settings, checkpoint, log and summary, and nothing already there is touched unless
 * asked.
 */

const tmp = mkdtempSync(join(tmpdir(), 'gradus-rundir-'));
// This file's runs go to a folder of its own, so their numbers are known.
const root = join(tmp, 'runs');
process.env.GRADUS_RUNS = root;
let count = 0;
const fresh = (name: string) => join(tmp, `${++count}-${name}`);
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!);
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const readLines = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
/** Every file under `dir` with its bytes and modification time. */
const snapshot = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => {
      const p = join(dir, f);
      const st = statSync(p);
      return [f, st.isDirectory() ? 'dir' : `${st.mtimeMs}:${readFileSync(p, 'utf8')}`];
    }),
  );

const ravine = repoModel('ravine.model');
const spiral = repoModel('spiral_softmax.model');

describe('every gradus train writes a run directory', () => {
  it('runs/<model>/<n>: settings, checkpoint, log and summary; the path printed at the start and the end', () => {
    const r = cli('train', spiral, '--steps', '12', '--set', 'validation=0.2');
    expect(r.code).toBe(0);
    const dir = join(root, 'SpiralSoftmax', '1');
    expect(readdirSync(dir).sort()).toEqual([
      'checkpoint.json',
      'log.jsonl',
      'settings.json',
      'summary.json',
    ]);
    const lines = r.out.trim().split('\n');
    const runLines = lines.filter((l) => l.startsWith('run: '));
    expect(runLines).toEqual([`run: ${dir}`, `run: ${dir}`]);
    expect(lines.indexOf(runLines[0])).toBeLessThan(3);
    expect(lines.at(-1)).toBe(`run: ${dir}`);

    const manifest = readJson(join(dir, 'settings.json'));
    expect(manifest.format).toBe('gradus-run');
    expect(manifest.model).toBe('SpiralSoftmax');
    expect(manifest.file).toBe(spiral);
    expect(manifest.modelHash).toMatch(/^[0-9a-f]{64}$/);
    const s = manifest.settings;
    // Every value used, defaults included.
    expect(s).toMatchObject({
      file: spiral,
      model: 'SpiralSoftmax',
      dtype: 'f64',
      backend: 'cpu',
      seed: 0,
      steps: 12,
      validation: 0.2,
      evaluation: 'validation',
      shuffle: true,
      fullBatch: false,
    });
    expect(s.optimizer).toMatch(/^\w+\(lr = /);
    expect(typeof s.batch).toBe('number');
    expect(s.data).toMatch(/^spiral\(/);
    expect(typeof s.hypers).toBe('object');
    expect(manifest.outputs).toEqual({ checkpoint: dir, log: join(dir, 'log.jsonl') });

    const log = readLines(join(dir, 'log.jsonl'));
    expect(log.filter((l) => l.eval === undefined).map((l) => l.step)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    expect(readJson(join(dir, 'checkpoint.json')).step).toBe(12);

    const summaryText = readFileSync(join(dir, 'summary.json'), 'utf8');
    expect(summaryText.trim().split('\n')).toHaveLength(1);
    const summary = JSON.parse(summaryText);
    expect(summary.steps).toBe(12);
    expect(summary.stopped).toBeNull();
    expect(summary.evaluation.split).toBe('validation');
    // The summary's losses are the log's: the last step's loss and the last evaluation.
    expect(summary.loss).toBe(log.filter((l) => l.eval === undefined).at(-1).loss);
    expect(summary.evaluation.loss).toBe(log.filter((l) => l.eval !== undefined).at(-1).loss);
    expect(typeof summary.seconds).toBe('number');
  });

  it('the next run takes the next number, and --json names its directory', () => {
    const r = cli('train', spiral, '--steps', '3', '--json');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    const res = lastJson(r.out);
    expect(res.runDir).toBe(join(root, 'SpiralSoftmax', '2'));
    const summary = readJson(join(res.runDir, 'summary.json'));
    expect(summary.loss).toBe(res.loss);
    expect(summary.steps).toBe(res.steps);
  });

  it('a stopped run says why in its summary', () => {
    const r = cli('train', ravine, '--optimizer', 'sgd(lr = 0.021)', '--json');
    expect(r.code).toBe(1);
    const summary = readJson(join(lastJson(r.out).runDir, 'summary.json'));
    expect(summary.stopped).toBe('diverged');
    expect(summary.message).toMatch(/diverged/);
  });

  it('--run-dir DIR writes there; --log, --checkpoint and --plot still redirect their outputs', () => {
    const dir = fresh('mine');
    const log = fresh('elsewhere.jsonl');
    const ck = fresh('ck');
    const r = cli('train', ravine, '--steps', '4', '--run-dir', dir, '--log', log, '--checkpoint', ck);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`run: ${dir}`);
    expect(readdirSync(dir).sort()).toEqual(['settings.json', 'summary.json']);
    expect(
      readLines(log)
        .filter((l) => l.eval === undefined)
        .map((l) => l.step),
    ).toEqual([1, 2, 3, 4]);
    expect(readJson(join(ck, 'checkpoint.json')).step).toBe(4);
    expect(readJson(join(dir, 'settings.json')).outputs).toEqual({ log, checkpoint: ck });
  });

  it('--charts draws into the run directory', () => {
    const dir = fresh('charts');
    const r = cli('train', ravine, '--steps', '5', '--run-dir', dir, '--charts');
    expect(r.code).toBe(0);
    expect(readdirSync(join(dir, 'charts')).sort()).toEqual([
      'grad_norm.svg',
      'index.html',
      'loss.svg',
      'lr.svg',
      'path.svg',
    ]);
  });
});

describe('bad run directories', () => {
  it('an existing, non-empty run directory without --overwrite or --resume: exit 1, nothing touched', () => {
    const dir = fresh('taken');
    expect(cli('train', ravine, '--steps', '3', '--run-dir', dir).code).toBe(0);
    writeFileSync(join(dir, 'notes.txt'), 'my notes');
    const before = snapshot(dir);
    const r = cli('train', ravine, '--steps', '5', '--run-dir', dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error: the run directory ${dir} already exists and is not empty`);
    expect(r.err).toMatch(/hint: pass --resume .* to continue that run, --overwrite to replace it/);
    expect(r.out).toBe('');
    expect(snapshot(dir)).toEqual(before);

    // A directory holding only somebody's own file is not empty either.
    const other = fresh('other');
    mkdirSync(other);
    writeFileSync(join(other, 'data.csv'), '1,2\n');
    expect(cli('train', ravine, '--run-dir', other).code).toBe(1);
    expect(readdirSync(other)).toEqual(['data.csv']);
  });

  it('--overwrite replaces the run', () => {
    const dir = fresh('again');
    expect(cli('train', ravine, '--steps', '3', '--run-dir', dir).code).toBe(0);
    const r = cli('train', ravine, '--steps', '5', '--run-dir', dir, '--overwrite', '--json');
    expect(r.code).toBe(0);
    expect(readJson(join(dir, 'summary.json')).steps).toBe(5);
    expect(readLines(join(dir, 'log.jsonl')).filter((l) => l.eval === undefined)).toHaveLength(5);
  });

  it('an empty directory is fine, a file is not', () => {
    const empty = fresh('empty');
    mkdirSync(empty);
    expect(cli('train', ravine, '--steps', '2', '--run-dir', empty).code).toBe(0);
    const file = fresh('file');
    writeFileSync(file, 'x');
    const r = cli('train', ravine, '--run-dir', file, '--overwrite');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`the run directory ${file} is a file`);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('an unwritable runs/ is a clear error naming it', () => {
    const blocked = fresh('blocked');
    writeFileSync(blocked, 'not a directory');
    const saved = process.env.GRADUS_RUNS;
    process.env.GRADUS_RUNS = join(blocked, 'runs');
    try {
      const r = cli('train', ravine, '--steps', '2');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/error: cannot make a run directory in .*blocked\/runs\/Ravine: ENOTDIR/);
      expect(r.err).toMatch(/hint: choose a writable place with --run-dir DIR, or set GRADUS_RUNS/);
      expect(r.out).toBe('');
    } finally {
      process.env.GRADUS_RUNS = saved;
    }
    // A read-only folder (when the tests do not run as root, who may write anywhere).
    if (process.getuid?.() !== 0) {
      const ro = fresh('readonly');
      mkdirSync(ro);
      chmodSync(ro, 0o555);
      const r = cli('train', ravine, '--steps', '2', '--run-dir', join(ro, 'run'));
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/cannot make the run directory .*readonly\/run: EACCES/);
      chmodSync(ro, 0o755);
    }
  });

  it('a run refused before it starts leaves no run directory', () => {
    const before = existsSync(join(root, 'Ravine')) ? readdirSync(join(root, 'Ravine')).sort() : [];
    expect(cli('train', ravine, '--optimizer', 'adamm(lr = 1)').code).toBe(1);
    expect(cli('train', ravine, '--epochs', '2', '--steps', '3').code).toBe(1);
    const after = existsSync(join(root, 'Ravine')) ? readdirSync(join(root, 'Ravine')).sort() : [];
    expect(after).toEqual(before);
  });
});
