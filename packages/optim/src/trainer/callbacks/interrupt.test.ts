import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { Callback } from '../callback.js';
import { loadCheckpoint } from '../checkpoint.js';
import { train } from '../trainer.js';
import { ravineSpec } from './fixture.js';
import { interrupt } from './interrupt.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'gradus-interrupt-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Sets `flag[0]` during step `at`, as a signal handler on another thread would. */
const raiseAt = (flag: Int32Array, at: number): Callback => ({
  onStep: (e) => {
    if (e.step === at) flag[0] = 1;
  },
});

const momentum = { name: 'momentum', args: { lr: 0.01 } };

describe('interrupt', () => {
  it('stops after the step in progress, with its scheduled evaluation but no end-of-run one', () => {
    const flag = new Int32Array(1);
    const steps: number[] = [];
    const evals: number[] = [];
    const r = train(ravineSpec(0.01, 100, { evalEvery: 5 }), [
      raiseAt(flag, 7),
      interrupt(flag),
      { onStep: (e) => steps.push(e.step), onEval: (e) => evals.push(e.step) },
    ]);
    expect(r.stopped).toEqual({ reason: 'interrupted', message: 'interrupted at step 7' });
    expect(r.steps).toBe(7);
    expect(steps.at(-1)).toBe(7);
    expect(evals).toEqual([5]);

    // Interrupted on an evaluation step, that evaluation still happens.
    const again = new Int32Array(1);
    const evals10: number[] = [];
    train(ravineSpec(0.01, 100, { evalEvery: 5 }), [
      raiseAt(again, 10),
      interrupt(again),
      { onEval: (e) => evals10.push(e.step) },
    ]);
    expect(evals10).toEqual([5, 10]);
  });

  it('reads a function too; a request during the last step changes nothing', () => {
    let asked = false;
    const r = train(ravineSpec(0.01, 20), [
      { onStep: (e) => void (asked = e.step >= 3) },
      interrupt(() => asked),
    ]);
    expect(r.stopped?.reason).toBe('interrupted');
    expect(r.steps).toBe(3);

    const last = new Int32Array(1);
    const whole = train(ravineSpec(0.01, 20), [raiseAt(last, 20), interrupt(last)]);
    expect(whole.stopped).toBeUndefined();
    expect(whole.steps).toBe(20);
  });

  it('saves a checkpoint when interrupted, only then, and a resumed run ends exactly where one run does', () => {
    const dir = tempDir();
    const saved: number[] = [];
    const flag = new Int32Array(1);
    train(ravineSpec(0.01, 40, { optimizer: momentum }), [
      raiseAt(flag, 13),
      interrupt(flag, { checkpointDir: dir, settings: { batch: 1 }, onSave: (_, k) => saved.push(k) }),
    ]);
    expect(saved).toEqual([13]);
    expect(readdirSync(dir)).toEqual(['checkpoint.json']);
    const c = loadCheckpoint(dir);
    expect(c.step).toBe(13);
    expect(c.settings).toEqual({ batch: 1 });

    const whole = train(ravineSpec(0.01, 40, { optimizer: momentum }));
    const resumed = train(ravineSpec(0.01, 40, { optimizer: momentum, resume: c }));
    expect(resumed.steps).toBe(40);
    expect(resumed.finalLoss).toBe(whole.finalLoss);
    expect(Array.from(resumed.params.x.data)).toEqual(Array.from(whole.params.x.data));

    // Not interrupted: no checkpoint.
    const none = tempDir();
    train(ravineSpec(0.01, 10), interrupt(new Int32Array(1), { checkpointDir: none }));
    expect(readdirSync(none)).toEqual([]);
  });

  it('sees a flag that another thread sets in a SharedArrayBuffer while the loop runs', async () => {
    // [0]: the interrupt flag; [1]: set by the loop once it runs, which is when the thread acts.
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const thread = new Worker(
      `const { workerData: s } = require('node:worker_threads');
       Atomics.wait(s, 1, 0);
       Atomics.store(s, 0, 1);`,
      { eval: true, workerData: shared },
    );
    await new Promise((resolve) => thread.once('online', resolve));
    const total = 5_000_000;
    const r = train(ravineSpec(0.001, total, { evalEvery: 1000 }), [
      {
        onStep: (e) => {
          if (e.step === 5) {
            Atomics.store(shared, 1, 1);
            Atomics.notify(shared, 1);
          }
        },
      },
      interrupt(shared),
    ]);
    await thread.terminate();
    expect(r.stopped?.reason).toBe('interrupted');
    expect(r.steps).toBeGreaterThanOrEqual(5);
    expect(r.steps).toBeLessThan(total);
  });
});
