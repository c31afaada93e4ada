import { permutation, streamOf, type Tensor } from '@gradus/autodiff';
import type { Columns } from '../data/load.js';

/**
 * Minibatches as a pure function of the global step: step k (0-based) is batch k mod B of epoch
 * ⌊k / B⌋, whose order is a seeded permutation of the examples. Nothing about batching is state,
 * so a resumed run sees exactly the batches an uninterrupted one would.
 */
export class Batcher {
  readonly rows: number;
  readonly batchesPerEpoch: number;
  private epochCached = -1;
  private order: Int32Array = new Int32Array(0);

  constructor(
    private readonly columns: Columns,
    private readonly names: readonly string[],
    readonly batch: number,
    private readonly shuffle: boolean,
    private readonly seed: number,
  ) {
    this.rows = names.length === 0 ? 0 : columns[names[0]].shape[0];
    this.batchesPerEpoch = this.rows === 0 ? 1 : Math.ceil(this.rows / batch);
  }

  epochOf(step: number): number {
    return Math.floor(step / this.batchesPerEpoch);
  }

  /** The feeds of global step `step` (0-based). */
  feeds(step: number): Record<string, Tensor> {
    if (this.rows === 0) return {};
    const epoch = this.epochOf(step);
    if (epoch !== this.epochCached) {
      this.order = this.shuffle
        ? permutation(this.rows, this.seed, streamOf('shuffle'), epoch)
        : Int32Array.from({ length: this.rows }, (_, i) => i);
      this.epochCached = epoch;
    }
    const b = step % this.batchesPerEpoch;
    const start = b * this.batch;
    const take = this.order.subarray(start, Math.min(this.rows, start + this.batch));
    return gatherRows(this.columns, this.names, take);
  }
}

/** The given rows of every named column, in the given order. */
export function gatherRows(
  columns: Columns,
  names: readonly string[],
  rows: ArrayLike<number>,
): Record<string, Tensor> {
  const out: Record<string, Tensor> = Object.create(null);
  for (const name of names) {
    const t = columns[name];
    const width = t.data.length / t.shape[0];
    const data = new Float64Array(rows.length * width);
    for (let i = 0; i < rows.length; i++)
      data.set(t.data.subarray(rows[i] * width, (rows[i] + 1) * width), i * width);
    out[name] = { shape: [rows.length, ...t.shape.slice(1)], dtype: t.dtype, data };
  }
  return out;
}

/** Splits off the last `fraction` of a seeded shuffle as a validation set. */
export function splitValidation(
  columns: Columns,
  names: readonly string[],
  fraction: number,
  seed: number,
): { train: Columns; validation: Columns } {
  const rows = columns[names[0]].shape[0];
  const order = permutation(rows, seed, streamOf('validation-split'), 0);
  const nVal = Math.max(1, Math.round(rows * fraction));
  return {
    train: gatherRows(columns, names, order.subarray(0, rows - nVal)),
    validation: gatherRows(columns, names, order.subarray(rows - nVal)),
  };
}
