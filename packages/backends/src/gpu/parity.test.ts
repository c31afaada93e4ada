import { graph, OP_NAMES } from '@gradus/autodiff';
import { exprGraphArb } from '@gradus/autodiff/testing';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { gpu } from '../index.js';
import {
  checkParity,
  data,
  describeParity,
  exprParityGraph,
  type Instr,
  opsCovered,
  parityCases,
  RANDOM_OP_COUNT,
  randomGraph,
} from '../testing/parity.js';
import { gpuKernels, MAX_LOOP } from './codegen.js';
import { sharedGpu } from './context.js';
import { describeGpu } from './describe-gpu.js';
import { gpuKernelSource } from './source.js';

/**
 * f32 on Mesa's llvmpipe: relative 1e-4 (transcendentals are a few ulps off the host's, and errors
 * compound through a gradient graph), plus absolute 1e-5 for values that cancel to near zero (GPUs
 * contract `a * b + c` into one rounding and keep the absolute error of the larger terms).
 */
const tol = { f32: 1e-4, atol: 1e-5 };

it('the gpu kernel table covers every primitive op', () => {
  expect(OP_NAMES.filter((op) => !Object.hasOwn(gpuKernels, op))).toEqual([]);
  const covered = opsCovered(parityCases());
  expect(OP_NAMES.filter((op) => !covered.has(op))).toEqual([]);
});

describeGpu('gpu backend on WebGL', () => {
  it('runs kernels on headless WebGL, not gpu.js’s CPU fallback', () => {
    const { gpu: g } = sharedGpu();
    const k = g.createKernel('function (a) {\n  return a[this.thread.x] * 2.0 + 1.0;\n}', {
      output: [4],
      precision: 'single',
    });
    expect(Array.from(k(new Float32Array([1, 2, 3, 4])) as Float32Array)).toEqual([3, 5, 7, 9]);
    expect(g.mode).toBe('headlessgl');
    expect((k as unknown as { kernel: object }).kernel.constructor.name).toBe('HeadlessGLKernel');
    k.destroy();
  });

  it('refuses f64 with a clear message', () => {
    const g = graph();
    g.output('y', g.input('x', [2]).exp());
    expect(() => gpu.compile(g, { dtype: 'f64' })).toThrow(/single precision.*dtype f32/);
  });

  it('refuses a tensor beyond its limits instead of computing it wrongly', () => {
    const g = graph({ floatDtype: 'f32' });
    g.output('y', g.input('x', ['N', 4096]).sum());
    const ex = gpu.compile(g);
    expect(() => ex.source({ N: 5000 })).toThrow(/E0431|limit of 16777216 elements/);
  });

  it('fails on unknown outputs and variables like the cpu backend', () => {
    const g = graph();
    const w = g.param('w', [2]);
    g.output('y', w.exp());
    expect(() => gpu.compile(g, { outputs: ['z'] })).toThrow(/no output named 'z'/);
    expect(() => gpu.compile(g).read('v')).toThrow(/no variable named 'v'/);
  });

  it('reduces beyond one kernel loop (llvmpipe stops a shader after 65,535 iterations) in two stages', () => {
    const g = graph();
    const x = g.input('x', [3, 70_000]);
    g.output('all', x.sum());
    g.output('rows', x.tanh().mul(x).sum({ axis: 1 }));
    g.output('max', x.max({ axis: -1 }));
    g.output('min', x.min());
    const long = g.input('l', [MAX_LOOP + 5, 2]);
    g.output('cols', long.sum({ axis: 0 }));
    const feeds = { x: data([3, 70_000], 1), l: data([MAX_LOOP + 5, 2], 2) };
    // Sums of 10⁵ terms: the GPU adds in chunks, so compare with f32 rounding of the whole sum in mind.
    expect(checkParity(gpu, g, feeds, 'f32', 1e-4, {}, 1e-2)).toEqual([]);
    expect(gpuKernelSource(g)).toMatch(/stage 2: combine/);
  });

  it('refuses a contraction longer than one kernel loop', () => {
    const g = graph({ floatDtype: 'f32' });
    g.output('c', g.input('a', [1, MAX_LOOP + 1]).matMul(g.input('b', [MAX_LOOP + 1, 1])));
    expect(() => gpu.compile(g).source()).toThrow(
      /contraction of length 16385 is longer than the gpu backend's limit/,
    );
  });

  describeParity(gpu, tol);
  describeParity(gpu, tol, { fuse: false }, 'unfused');

  const program = fc.array(
    fc.record({ op: fc.nat({ max: RANDOM_OP_COUNT - 1 }), a: fc.nat(), b: fc.nat() }),
    {
      minLength: 1,
      maxLength: 10,
    },
  );
  it('parity on random programs and their gradients (fast-check)', () => {
    fc.assert(
      fc.property(program, fc.nat({ max: 1000 }), (prog: Instr[], seed) => {
        const { g, feeds } = randomGraph(prog, seed);
        expect(checkParity(gpu, g, feeds, 'f32', tol.f32, {}, tol.atol)).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });
  it('parity on exprGraphArb graphs and their gradients (fast-check)', () => {
    fc.assert(
      fc.property(exprGraphArb({ maxOps: 8 }), (e) => {
        const { g, feeds } = exprParityGraph(e);
        expect(checkParity(gpu, g, feeds, 'f32', tol.f32, {}, tol.atol)).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });
});
