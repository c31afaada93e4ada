import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GradusError } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE, type Checkpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.js';

const tmp = mkdtempSync(join(tmpdir(), 'gradus-ckpt-'));
let n = 0;
const dir = () => join(tmp, String(++n));

const sample: Checkpoint = {
  model: 'M',
  step: 7,
  seed: 3,
  dtype: 'f64',
  variables: {
    // Values whose shortest decimal forms are long, and an f32 value: all must come back exactly.
    W: {
      shape: [2, 2],
      dtype: 'f64',
      data: Float64Array.of(0.1 + 0.2, -1 / 3, Math.PI * 1e-300, 2 ** 53 + 2),
    },
    'opt.step': { shape: [], dtype: 'i32', data: Float64Array.of(7) },
    r: { shape: [1], dtype: 'f32', data: Float64Array.of(Math.fround(0.7)) },
  },
  // A plateau rule that has not seen an evaluation yet has best = ∞, which JSON cannot hold.
  run: {
    firstLoss: 28.5,
    lastLoss: 1e-9,
    plateau: { best: Number.POSITIVE_INFINITY, bad: 0, multiplier: 1, reductions: 0 },
    earlyStop: { best: Number.POSITIVE_INFINITY, since: 0 },
  },
  settings: { optimizer: 'sgd(lr = 0.1)', batch: 32 },
};

const errorOf = (f: () => unknown): GradusError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(GradusError);
    return e as GradusError;
  }
  throw new Error('expected an error');
};

describe('checkpoints', () => {
  it('round-trip every value exactly, non-finite run state included', () => {
    const d = dir();
    saveCheckpoint(d, sample);
    const back = loadCheckpoint(d);
    expect(back).toEqual(sample);
    expect(back.run?.plateau?.best).toBe(Number.POSITIVE_INFINITY);
  });

  it('are renamed into place: no temporary file is left, an older one is replaced whole', () => {
    const d = dir();
    saveCheckpoint(d, sample);
    saveCheckpoint(d, { ...sample, step: 8 });
    expect(readdirSync(d)).toEqual([CHECKPOINT_FILE]);
    expect(loadCheckpoint(d).step).toBe(8);
  });

  it('keep the previous checkpoint when a write fails', () => {
    const d = dir();
    saveCheckpoint(d, sample);
    // A directory where the temporary file goes makes the write fail (even for root).
    mkdirSync(join(d, `${CHECKPOINT_FILE}.tmp-${process.pid}`));
    const e = errorOf(() => saveCheckpoint(d, { ...sample, step: 9 })).diagnostics[0];
    expect(e.code).toBe('E0910');
    expect(e.message).toContain(d);
    expect(loadCheckpoint(d)).toEqual(sample);
    // A file where the directory should be.
    const file = dir();
    writeFileSync(file, 'not a directory');
    expect(errorOf(() => saveCheckpoint(join(file, 'x'), sample)).diagnostics[0].code).toBe('E0910');
  });

  const damaged = (text: string) => {
    const d = dir();
    mkdirSync(d);
    writeFileSync(join(d, CHECKPOINT_FILE), text);
    return errorOf(() => loadCheckpoint(d)).diagnostics[0];
  };

  it('that are damaged are clear errors, not crashes', () => {
    const good = (() => {
      const d = dir();
      saveCheckpoint(d, sample);
      return readFileSync(join(d, CHECKPOINT_FILE), 'utf8');
    })();
    expect(damaged(good.slice(0, good.length / 2)).message).toMatch(/is not valid JSON/);
    expect(damaged('null').message).toMatch(/is not a Gradus checkpoint/);
    expect(damaged('{"format": "other"}').message).toMatch(/is not a Gradus checkpoint/);
    expect(damaged(good.replace('"step":7', '"step":-1')).message).toMatch(/missing its model, step/);
    expect(damaged(good.replace('"shape":[2,2]', '"shape":[2,3]')).message).toMatch(/damaged variable 'W'/);
    expect(damaged(good.replace('"dtype":"i32"', '"dtype":"int"')).message).toMatch(/damaged variable/);
    for (const d of [damaged('{'), damaged(good.replace('"shape":[1]', '"shape":"1"'))]) {
      expect(d.code).toBe('E0912');
      expect(d.hint).toMatch(/resume from another one/);
    }
  });

  it('that are missing say where they were looked for', () => {
    const d = dir();
    const e = errorOf(() => loadCheckpoint(d)).diagnostics[0];
    expect(e.code).toBe('E0911');
    expect(e.message).toContain(join(d, CHECKPOINT_FILE));
  });
});
