import { divDims } from '../dim-expr.js';
import { formatShape, normalizeAxis } from '../shape.js';
import type { Value } from '../value.js';
import { layerError } from './window.js';

/**
 * Maxout (Goodfellow et al., 2013): `axis` of size D is read as D/pieces units of `pieces`
 * consecutive values, and each unit keeps its largest, giving size D/pieces.
 */
export function maxout(x: Value, pieces: number, axis = -1): Value {
  const a = normalizeAxis(axis, x.rank, 'maxout');
  const d = x.shape[a];
  if (!Number.isInteger(pieces) || pieces < 1)
    throw layerError('E0337', 'maxout', `pieces must be a positive integer, got ${pieces}`);
  // A symbolic axis splits symbolically (N into N/2 units); that N is even is checked when it is bound.
  const units = divDims(d, pieces);
  if (units === undefined || (typeof units === 'number' && !Number.isInteger(units))) {
    throw layerError(
      'E0337',
      'maxout',
      `axis ${axis} of x ${formatShape(x.shape)} has size ${d}, which is not a multiple of pieces = ${pieces}`,
    );
  }
  const split = [...x.shape.slice(0, a), units, pieces, ...x.shape.slice(a + 1)];
  return x.reshape(split).max({ axis: a + 1 });
}
