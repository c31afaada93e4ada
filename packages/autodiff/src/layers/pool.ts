/**
 * Pooling over the last two axes, PyTorch's `F.max_pool2d` and `F.avg_pool2d` (stride defaults
 * to the window size, padding at most half the window, the output size rounded down), as
 * composites over `Im2Col`. Max pooling picks each window's first maximum with `ArgMax` and reads
 * it with `Gather`, so the gradient goes to that one element, as in PyTorch (a `Max` reduction
 * would share it among ties). Average pooling counts padded zeros in the divisor
 * (`count_include_pad = True`, PyTorch's default).
 */
import { mean } from '../composites.js';
import { formatShape } from '../shape.js';
import type { Value } from '../value.js';
import { type IntOrTuple, im2colAttrs, knownTail, layerError, outputGrid, perAxis, sizes } from './window.js';

export interface PoolOptions {
  /** Step between windows (default: the window size). */
  readonly stride?: IntOrTuple;
  /** Implicit padding on each side, at most half the window (default 0). */
  readonly padding?: IntOrTuple;
}

/** `x [..., H, W]`'s windows as `[..., KH, KW, OH, OW]`, padded with `fill`. */
function windows(op: string, x: Value, size: IntOrTuple, opts: PoolOptions, fill: number): Value {
  if (x.rank < 2)
    throw layerError(
      'E0334',
      op,
      `pools the last two axes, so x needs rank 2 or more, got ${formatShape(x.shape)}`,
    );
  const space = knownTail(op, x, 2, 'last two axes', 'x');
  const kernel = perAxis(op, 'size', size, 2, 1);
  const stride = perAxis(op, 'stride', opts.stride ?? kernel, 2, 1);
  const padding = perAxis(op, 'padding', opts.padding ?? 0, 2, 0, 'E0332');
  if (padding.some((p, i) => p > Math.floor(kernel[i] / 2))) {
    throw layerError(
      'E0332',
      op,
      `padding ${sizes(padding)} is more than half the ${sizes(kernel)} window (PyTorch's limit: every window must overlap the input)`,
    );
  }
  const pads = padding.map((p): [number, number] => [p, p]);
  outputGrid(op, space, kernel, stride, [1, 1], pads);
  const padded = padding.some((p) => p > 0);
  return x.toFloat().op('Im2Col', [], im2colAttrs(kernel, stride, [1, 1], pads, padded ? fill : 0));
}

/** Max over each `size` window of the last two axes; the gradient goes to the first maximum. */
export function maxPool(x: Value, size: IntOrTuple, opts: PoolOptions = {}): Value {
  const p = windows('max_pool', x, size, opts, Number.NEGATIVE_INFINITY);
  const r = p.rank;
  const flat = p.reshape([
    ...p.shape.slice(0, r - 4),
    (p.shape[r - 4] as number) * (p.shape[r - 3] as number),
    ...p.shape.slice(r - 2),
  ]);
  return flat.gather(flat.argmax({ axis: -3 }), -3);
}

/** Mean over each `size` window of the last two axes (padded zeros count). */
export function avgPool(x: Value, size: IntOrTuple, opts: PoolOptions = {}): Value {
  const p = windows('avg_pool', x, size, opts, 0);
  return mean(p, { axis: [-4, -3] });
}

/** Mean over the last two axes: `[N, C, H, W]` → `[N, C]` (PyTorch's `adaptive_avg_pool2d(x, 1)`, flattened). */
export function globalAvgPool(x: Value): Value {
  if (x.rank < 2)
    throw layerError(
      'E0334',
      'global_avg_pool',
      `pools the last two axes, so x needs rank 2 or more, got ${formatShape(x.shape)}`,
    );
  return mean(x, { axis: [-2, -1] });
}
