import { graph } from '@gradus/autodiff';
import { expect, it } from 'vitest';
import { gpu } from '../index.js';
import { describeGpu } from './describe-gpu.js';

describeGpu('gpu kernel cache', () => {
  // Kernels are shared across executables by source and output size. Two graphs that take the
  // first element of inputs of different lengths generate the same kernel; it must read each
  // input at its own size (a fast-check counterexample once read element 1 of the second input).
  it('reuses a kernel on inputs of another size without misreading them', () => {
    const first = (n: number) => {
      const g = graph({ floatDtype: 'f32' });
      g.output(
        'y',
        g
          .input('x', [n])
          .index([{ start: 0, end: 1 }])
          .neg(),
      );
      return gpu.compile(g);
    };
    expect(Array.from(first(5).run({ x: [1, 2, 3, 4, 5] }).y.data)).toEqual([-1]);
    expect(Array.from(first(3).run({ x: [2, 1.95, 7] }).y.data)).toEqual([-2]);
    expect(Array.from(first(7).run({ x: [3, 0, 0, 0, 0, 0, 9] }).y.data)).toEqual([-3]);
  });
});
