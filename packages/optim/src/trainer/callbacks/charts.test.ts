import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { twoCoordinates } from '../plot.js';
import { train } from '../trainer.js';
import { charts } from './charts.js';
import { ravine, ravineSpec } from './fixture.js';

describe('charts', () => {
  it('writes the loss chart and, for two coordinates, the path from the start through every step', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradus-charts-'));
    try {
      const coords = twoCoordinates({ x: [2] })!;
      let written: readonly string[] = [];
      train(
        ravineSpec(0.015, 25, { traceParams: true }),
        charts(dir, {
          model: 'ravine',
          landscape: { coords, evalGraph: ravine('eval'), feeds: {} },
          onWritten: (files) => {
            written = files;
          },
        }),
      );
      expect(written.map((f) => f.slice(dir.length + 1)).sort()).toEqual([
        'grad_norm.svg',
        'index.html',
        'loss.svg',
        'lr.svg',
        'path.svg',
      ]);
      for (const f of written) expect(existsSync(f)).toBe(true);
      // The path chart names its axes after the coordinates.
      expect(readFileSync(join(dir, 'path.svg'), 'utf8')).toContain('x[0]');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
