import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { armSegments, armSegmentsJson } from '../models/data/arm-segments.js';

it('models/data/arm_segments.json is exactly what its generator makes', () => {
  const committed = readFileSync(new URL('../models/data/arm_segments.json', import.meta.url), 'utf8');
  expect(committed).toBe(armSegmentsJson());
  const { x, y } = armSegments();
  expect([x.length, x[0].length, x[0][0].length, y.length]).toEqual([120, 8, 2, 120]);
  expect(new Set(y)).toEqual(new Set([0, 1, 2]));
});
