import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../checkpoint.js';
import { train } from '../trainer.js';
import { checkpoints } from './checkpoints.js';
import { ravineSpec } from './fixture.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'gradus-ckpt-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('checkpoints', () => {
  it('saves every `every` steps and at the end, and a resumed run ends exactly where one run does', () => {
    const dir = tempDir();
    const saved: number[] = [];
    // Without data an epoch is one step, so every step ends an epoch and is saved.
    train(
      ravineSpec(0.01, 7, { evalEvery: 3 }),
      checkpoints(dir, { every: 3, onSave: (_, k) => saved.push(k) }),
    );
    expect(saved).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(readdirSync(dir)).toEqual(['checkpoint.json']);

    const whole = train(ravineSpec(0.01, 40, { optimizer: { name: 'momentum', args: { lr: 0.01 } } }));
    const first = tempDir();
    train(ravineSpec(0.01, 17, { optimizer: { name: 'momentum', args: { lr: 0.01 } } }), checkpoints(first));
    const resumed = train(
      ravineSpec(0.01, 40, {
        optimizer: { name: 'momentum', args: { lr: 0.01 } },
        resume: loadCheckpoint(first),
      }),
    );
    expect(resumed.finalLoss).toBe(whole.finalLoss);
    expect(Array.from(resumed.params.x.data)).toEqual(Array.from(whole.params.x.data));
  });

  it('writes no checkpoint after a stop at once (NaN)', () => {
    const dir = tempDir();
    const saved: number[] = [];
    train(ravineSpec(1e200, 5), checkpoints(dir, { onSave: (_, k) => saved.push(k) }));
    expect(saved).toEqual([1]);
  });
});
