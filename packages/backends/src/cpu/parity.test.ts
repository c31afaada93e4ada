import { OP_NAMES } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import { js as cpu } from '../index.js';
import { describeParity, opsCovered, parityCases } from '../testing/parity.js';

const tol = { f64: 1e-12, f32: 1e-5 };

describe('parity cases', () => {
  it('cover every primitive op', () => {
    const covered = opsCovered(parityCases());
    expect(OP_NAMES.filter((op) => !covered.has(op))).toEqual([]);
  });
});

describeParity(cpu, tol);
describeParity(cpu, tol, { fuse: false, pool: false }, 'unfused, no buffer reuse');
describeParity(cpu, tol, { threads: 2, parallelMin: 1 }, 'matmuls split with a helper thread');
