import { afterEach, describe, expect, it } from 'vitest';
import { claimExit, guardedWrite, shareWriteGuard } from './write-guard.js';

afterEach(() => shareWriteGuard(undefined));

const ticks = (n: number) => new Promise((resolve) => setTimeout(resolve, n));

describe('write guard', () => {
  it('marks the shared slot while a write runs, nested writes included', () => {
    const slots = new Int32Array(new SharedArrayBuffer(8));
    shareWriteGuard(slots, 1);
    const seen: number[] = [];
    const r = guardedWrite(() => {
      seen.push(slots[1]);
      guardedWrite(() => seen.push(slots[1]));
      seen.push(slots[1]);
      return 'written';
    });
    expect(r).toBe('written');
    expect(seen).toEqual([1, 1, 1]);
    expect(slots[1]).toBe(0);
    expect(() =>
      guardedWrite(() => {
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(slots[1]).toBe(0);
  });

  it('runs writes as they are without a shared slot', () => {
    expect(guardedWrite(() => 3)).toBe(3);
  });

  it('lets the exiting thread go only between writes, and then no write starts', async () => {
    const slots = new Int32Array(new SharedArrayBuffer(4));
    // Another thread is writing.
    Atomics.store(slots, 0, 1);
    let claimed = false;
    const claim = claimExit(slots).then(() => {
      claimed = true;
    });
    await ticks(30);
    expect(claimed).toBe(false);
    Atomics.store(slots, 0, 0);
    await claim;
    expect(claimed).toBe(true);
    // Marked as exiting: a writer's compare-and-exchange from idle fails, so its write never starts.
    expect(slots[0]).toBe(2);
    expect(Atomics.compareExchange(slots, 0, 0, 1)).toBe(2);
    // Claiming again (a third Ctrl-C) resolves at once.
    await claimExit(slots);
  });
});
