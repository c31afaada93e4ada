import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { sparseCoding, sparseCodingJson } from '../models/data/sparse-coding.js';

it('models/data/sparse_coding.json is exactly what its generator makes', () => {
  const committed = readFileSync(new URL('../models/data/sparse_coding.json', import.meta.url), 'utf8');
  expect(committed).toBe(sparseCodingJson());
  const { X } = sparseCoding();
  expect([X.length, X[0].length]).toEqual([40, 8]);
});
