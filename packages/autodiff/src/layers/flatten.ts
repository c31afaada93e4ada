import { type Dim, formatShape, normalizeAxis } from '../shape.js';
import type { Value } from '../value.js';
import { layerError } from './window.js';

/**
 * Merges the axes `start..end` into one (PyTorch's `torch.flatten`; `nn.Flatten` starts at 1).
 * The merged axes must have known sizes, except that a single axis stays as it is.
 */
export function flatten(x: Value, start = 1, end = -1): Value {
  if (x.rank === 0) return x.reshape([1]);
  const s = normalizeAxis(start, x.rank, 'flatten');
  const e = normalizeAxis(end, x.rank, 'flatten');
  if (s > e)
    throw layerError(
      'E0339',
      'flatten',
      `start axis ${start} comes after end axis ${end} of ${formatShape(x.shape)}`,
    );
  if (s === e) return x;
  const merged = x.shape.slice(s, e + 1);
  if (merged.some((d) => typeof d !== 'number')) {
    throw layerError(
      'E0339',
      'flatten',
      `cannot merge axes ${s}..${e} of ${formatShape(x.shape)}: a symbolic dim can only be merged with others once shapes allow products of dims`,
    );
  }
  const size = (merged as number[]).reduce((p, d) => p * d, 1);
  return x.reshape([...x.shape.slice(0, s), size, ...x.shape.slice(e + 1)]);
}

/** Splits axis `axis` into `sizes` (one entry may be −1), PyTorch's `torch.unflatten`. */
export function unflatten(x: Value, axis: number, sizes: readonly number[]): Value {
  const a = normalizeAxis(axis, x.rank, 'unflatten');
  const d: Dim = x.shape[a];
  const hole = sizes.indexOf(-1);
  const bad = sizes.some((s, i) => !Number.isInteger(s) || (s < 1 && !(s === -1 && i === hole)));
  if (bad || sizes.lastIndexOf(-1) !== hole || sizes.length === 0)
    throw layerError(
      'E0339',
      'unflatten',
      `sizes must be positive integers with at most one -1, got [${sizes.join(', ')}]`,
    );
  const known = sizes.reduce((p, s) => (s === -1 ? p : p * s), 1);
  if (typeof d !== 'number' || (hole < 0 ? known !== d : d % known !== 0)) {
    throw layerError(
      'E0339',
      'unflatten',
      `axis ${axis} of x ${formatShape(x.shape)} has size ${d}, which cannot be split into [${sizes.join(', ')}]`,
    );
  }
  const parts = sizes.map((s) => (s === -1 ? d / known : s));
  return x.reshape([...x.shape.slice(0, a), ...parts, ...x.shape.slice(a + 1)]);
}
