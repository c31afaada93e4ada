import { describe, expect, it } from 'vitest';
import { train } from '../trainer.js';
import { ravineSpec } from './fixture.js';
import { progress } from './progress.js';

const capture = (tty: boolean) => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, printer: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), tty } };
};

describe('progress', () => {
  it('without a terminal: about twenty plain evaluation lines and the last one, nothing on stderr', () => {
    const c = capture(false);
    train(ravineSpec(0.01, 100), progress(c.printer));
    // 100 evaluations: every fifth, step 5 to 100.
    expect(c.out).toHaveLength(20);
    expect(c.out[0]).toMatch(/^epoch 5 {2}step 5 {2}train loss [\d.]+$/);
    expect(c.out.at(-1)).toMatch(/^epoch 100 {2}step 100 {2}train loss /);
    expect(c.err).toEqual([]);
  });

  it('on a terminal: a bar redrawn in place on stderr, ending with a newline', () => {
    const c = capture(true);
    train(ravineSpec(0.01, 30), progress(c.printer));
    expect(c.out).toEqual([]);
    const bar = c.err.at(-2)!;
    expect(bar.startsWith('\r████████████████████████ epoch 30  step 30/30  loss ')).toBe(true);
    expect(bar.endsWith('ETA 0s\u001b[K\u001b[1A')).toBe(true);
    expect(c.err.at(-1)).toBe('');
  });
});
