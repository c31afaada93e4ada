import { OP_NAMES } from '@gradus/autodiff';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeParity } from '../testing/parity.js';
import { wasm } from './index.js';
import { wasmKernels } from './kernels.js';
import { ensureHelpers, helpersReady } from './pool.js';

/**
 * The JavaScript backend's tolerances; in f32 also 1e-6 absolute: the matrix product accumulates
 * in f32 (a double accumulator would halve its speed), so a dot product whose O(1) terms cancel
 * to near zero is off by their rounding (~1e-7), which no relative tolerance allows.
 */
const tol = { f64: 1e-12, f32: 1e-5, f32Atol: 1e-6 };

describe('wasm kernel table', () => {
  it('has an entry for every primitive op', () => {
    expect(OP_NAMES.filter((op) => !Object.hasOwn(wasmKernels, op))).toEqual([]);
  });
});

describeParity(wasm, tol, { threads: 1 });
describeParity(wasm, tol, { threads: 1, fuse: false, pool: false }, 'unfused, no buffer reuse');

describe('with worker threads', () => {
  beforeAll(async () => {
    ensureHelpers(2);
    await helpersReady();
  });
  describeParity(wasm, tol, { threads: 2, parallelMin: 0 }, 'every kernel split across two threads');
});
