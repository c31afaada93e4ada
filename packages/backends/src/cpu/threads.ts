/**
 * Optional parallel matrix products: a helper thread computes the lower rows of a large product
 * while the calling thread computes the upper rows, both with the same kernel over buffers on
 * SharedArrayBuffers. Each output element is computed by exactly one thread with the same code,
 * so results do not depend on the split. Synchronisation is a pair of counters in a shared
 * Int32Array (`Atomics.wait`/`notify`), a few microseconds per product.
 */
import { Worker } from 'node:worker_threads';
import { diagnostic, GradusError } from '@gradus/autodiff';
import { matmulHelper } from './matmul.js';

/** Control block: [request seq, done seq, failed, kernel, a, ao, b, bo, c, co, m, n, k, lda]. */
const CTL = 14;

const WORKER = `
const { workerData } = require('node:worker_threads');
const { ctl, bufs, src } = workerData;
const kernels = new Function(src + '\\nreturn [mm_nn, mm_nt, mm_tn, mm_tt];')();
let seen = 0;
for (;;) {
  Atomics.wait(ctl, 0, seen);
  seen = Atomics.load(ctl, 0);
  if (seen < 0) break;
  try {
    kernels[ctl[3]](bufs[ctl[4]], ctl[5], bufs[ctl[6]], ctl[7], bufs[ctl[8]], ctl[9], ctl[10], ctl[11], ctl[12], ctl[13]);
  } catch (e) {
    Atomics.store(ctl, 2, 1);
  }
  Atomics.store(ctl, 1, seen);
  Atomics.notify(ctl, 1);
}
`;

export type SharedBuffer = Float32Array | Float64Array | Int32Array | Uint8Array;

/** One helper thread bound to one specialisation's buffers. */
export class MatmulHelperThread {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(CTL * 4));
  private readonly worker: Worker;
  private seq = 0;

  constructor(bufs: readonly SharedBuffer[]) {
    const src = [false, true].flatMap((ta) => [false, true].map((tb) => matmulHelper(ta, tb))).join('\n');
    this.worker = new Worker(WORKER, { eval: true, workerData: { ctl: this.ctl, bufs, src } });
    this.worker.unref();
  }

  /** Starts `kernel` (0–3: `mm_nn`, `mm_nt`, `mm_tn`, `mm_tt`) on the helper thread. */
  start(
    kernel: number,
    a: number,
    ao: number,
    b: number,
    bo: number,
    c: number,
    co: number,
    m: number,
    n: number,
    k: number,
    lda: number,
  ): void {
    const ctl = this.ctl;
    ctl[3] = kernel;
    ctl[4] = a;
    ctl[5] = ao;
    ctl[6] = b;
    ctl[7] = bo;
    ctl[8] = c;
    ctl[9] = co;
    ctl[10] = m;
    ctl[11] = n;
    ctl[12] = k;
    ctl[13] = lda;
    Atomics.store(ctl, 0, ++this.seq);
    Atomics.notify(ctl, 0);
  }

  /** Waits for the product started last. */
  wait(): void {
    const ctl = this.ctl;
    for (;;) {
      const done = Atomics.load(ctl, 1);
      if (done === this.seq) break;
      if (Atomics.wait(ctl, 1, done, 30_000) === 'timed-out') {
        throw new GradusError(diagnostic('E0421', 'internal: the matmul helper thread did not answer'));
      }
    }
    if (ctl[2] !== 0) {
      ctl[2] = 0;
      throw new GradusError(diagnostic('E0421', 'internal: the matmul helper thread failed'));
    }
  }

  stop(): void {
    Atomics.store(this.ctl, 0, -1);
    Atomics.notify(this.ctl, 0);
    void this.worker.terminate();
  }
}
