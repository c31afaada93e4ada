import { exprGraphArb } from '@gradus/autodiff/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpu } from '../index.js';
import { checkParity, exprParityGraph, type Instr, RANDOM_OP_COUNT, randomGraph } from '../testing/parity.js';

const program = fc.array(fc.record({ op: fc.nat({ max: RANDOM_OP_COUNT - 1 }), a: fc.nat(), b: fc.nat() }), {
  minLength: 1,
  maxLength: 10,
});

describe('parity on random graphs (fast-check)', () => {
  for (const [dtype, tol] of [
    ['f64', 1e-12],
    ['f32', 1e-5],
  ] as const) {
    for (const fuse of [true, false]) {
      it(`${dtype}${fuse ? '' : ', unfused'}`, () => {
        fc.assert(
          fc.property(program, fc.nat({ max: 1000 }), (prog: Instr[], seed) => {
            const { g, feeds } = randomGraph(prog, seed);
            expect(checkParity(cpu, g, feeds, dtype, tol, { fuse } as object)).toEqual([]);
          }),
          { numRuns: 60 },
        );
      });
    }
  }

  for (const [dtype, tol] of [
    ['f64', 1e-12],
    ['f32', 1e-5],
  ] as const) {
    it(`exprGraphArb graphs and their gradients, ${dtype}`, () => {
      fc.assert(
        fc.property(exprGraphArb({ maxOps: 8 }), (e) => {
          const { g, feeds } = exprParityGraph(e);
          expect(checkParity(cpu, g, feeds, dtype, tol)).toEqual([]);
        }),
        { numRuns: 100 },
      );
    });
  }
});
