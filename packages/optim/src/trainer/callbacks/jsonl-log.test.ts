import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { train } from '../trainer.js';
import { ravineSpec } from './fixture.js';
import { openJsonLines } from './json-lines.js';
import { jsonlLog } from './jsonl-log.js';

describe('jsonlLog', () => {
  it('writes a line per step and per evaluation, end-of-run evaluations marked', () => {
    const lines: Record<string, unknown>[] = [];
    train(
      ravineSpec(0.01, 5, { evalEvery: 2 }),
      jsonlLog((l) => lines.push(l as Record<string, unknown>)),
    );
    expect(lines.map((l) => (l.eval ? `e${l.step}` : `s${l.step}`))).toEqual([
      's1',
      's2',
      'e2',
      's3',
      's4',
      'e4',
      's5',
      'e5',
    ]);
    expect(lines[0]).toEqual({ step: 1, epoch: 0, loss: 28.5, lr: 0.01, grad_norm: expect.any(Number) });
    expect(lines.at(-1)).toMatchObject({ eval: 'train', step: 5, end_of_run: true });
  });
});

describe('openJsonLines', () => {
  it('keeps, on resume, the lines up to the checkpoint and drops later ones and end-of-run reports', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradus-lines-'));
    try {
      const file = join(dir, 'log.jsonl');
      writeFileSync(
        file,
        [
          '{"step":1}',
          '{"step":2}',
          '{"eval":"train","step":2,"end_of_run":true}',
          '{"step":3}',
          'not json',
          '',
        ].join('\n'),
      );
      const write = openJsonLines(file, 2);
      write({ step: 3, again: true });
      expect(readFileSync(file, 'utf8')).toBe('{"step":1}\n{"step":2}\n{"step":3,"again":true}\n');
      openJsonLines(file);
      expect(readFileSync(file, 'utf8')).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
