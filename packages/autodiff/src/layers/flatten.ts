import { divDims, productOfDims } from '../dim-expr.js';
import { type Dim, formatShape, normalizeAxis } from '../shape.js';
import type { Value } from '../value.js';
import { layerError } from './window.js';

/**
 * Merges the axes `start..end` into one (PyTorch's `torch.flatten`; `nn.Flatten` starts at 1):
 * `[N, 16, 7, 7]` → `[N, 784]`, and over a symbolic axis `[N, T, D]` → `[N*T*D]`.
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
  const merged = productOfDims(x.shape.slice(s, e + 1));
  return x.reshape([...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
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
  // The hole's size: exact division, symbolic when the axis is (N*T split by T gives N).
  const rest = divDims(d, known);
  const whole = rest !== undefined && (typeof rest !== 'number' || Number.isInteger(rest));
  if (!whole || (hole < 0 && rest !== 1)) {
    throw layerError(
      'E0339',
      'unflatten',
      `axis ${axis} of x ${formatShape(x.shape)} has size ${d}, which cannot be split into [${sizes.join(', ')}]`,
    );
  }
  const parts: Dim[] = sizes.map((s) => (s === -1 ? (rest as Dim) : s));
  return x.reshape([...x.shape.slice(0, a), ...parts, ...x.shape.slice(a + 1)]);
}
