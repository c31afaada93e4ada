import { formatShape } from '../shape.js';
import type { Value } from '../value.js';
import { layerError } from './window.js';

/**
 * Rows of `table [V, D]` for integer `ids [...]`: `[..., D]` (PyTorch's `F.embedding(ids, table)`,
 * arguments in the other order). The gradient scatter-adds into the table (the `Take` op), so it
 * costs the size of the batch, not of the vocabulary. An id outside `0..V-1` gives a row of NaN.
 */
export function embedding(table: Value, ids: Value): Value {
  if (table.rank !== 2)
    throw layerError('E0336', 'embedding', `the table must be [V, D], got ${formatShape(table.shape)}`);
  if (ids.dtype !== 'i32')
    throw layerError('E0336', 'embedding', `ids must be int, got ${ids.dtype}${formatShape(ids.shape)}`);
  return table.toFloat().op('Take', [ids]);
}
