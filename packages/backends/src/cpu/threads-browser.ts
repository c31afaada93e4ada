/**
 * The js backend's matrix-product helper thread in a browser (the `browser` condition of
 * `#matmul-threads`): there is none, and asking for one (`threads: 2`) is a clear error.
 */
import { diagnostic, GradusError } from '@gradus/autodiff';

export type SharedBuffer = Float32Array | Float64Array | Int32Array | Uint8Array;

export class MatmulHelperThread {
  constructor(_bufs: readonly SharedBuffer[]) {
    throw new GradusError(
      diagnostic('E0421', 'the js backend has no helper threads in the browser', {
        hint: 'compile with threads: 1 (the default)',
      }),
    );
  }

  start(..._args: number[]): void {}

  wait(): void {}

  stop(): void {}
}
