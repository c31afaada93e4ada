/**
 * Convolutions in PyTorch's layout and semantics (`torch.nn.functional.conv1d`/`conv2d`:
 * cross-correlation, `x [N, C, ...]`, `W [O, C/groups, ...]`, stride, padding, dilation, groups),
 * as composites: the input's windows (`Im2Col`) contracted with the kernel by one batched matrix
 * product, so a convolution runs at the speed of the backend's matmul and its gradients (and their
 * gradients) come from the Im2Col and MatMul rules. Nothing here needs a fused primitive.
 */
import { formatShape } from '../shape.js';
import type { Value } from '../value.js';
import {
  type IntOrTuple,
  im2colAttrs,
  knownTail,
  layerError,
  outputGrid,
  type Padding,
  perAxis,
  resolvePadding,
} from './window.js';

export interface ConvOptions {
  /** Step between windows (default 1). */
  readonly stride?: IntOrTuple;
  /** Implicit zero padding: per axis, or `'same'` (stride 1 only) or `'valid'` (default 0). */
  readonly padding?: Padding;
  /** Spacing between kernel taps (default 1). */
  readonly dilation?: IntOrTuple;
  /** Channel groups: each sees C/groups inputs and makes O/groups outputs (default 1). */
  readonly groups?: number;
  /** Added per output channel, shape [O]. */
  readonly bias?: Value;
}

const product = (xs: readonly number[]) => xs.reduce((p, d) => p * d, 1);

function conv(op: 'conv1d' | 'conv2d', x: Value, w: Value, opts: ConvOptions, spatial: 1 | 2): Value {
  const layoutX = spatial === 2 ? '[N, C, H, W]' : '[N, C, L]';
  const layoutW = spatial === 2 ? '[O, C/groups, KH, KW]' : '[O, C/groups, K]';
  if (x.rank === spatial + 1) {
    // Unbatched input, as PyTorch allows: a batch of one.
    const y = conv(op, x.expandDims(0), w, opts, spatial);
    return y.reshape(y.shape.slice(1));
  }
  if (x.rank !== spatial + 2)
    throw layerError('E0334', op, `x must be ${layoutX}, got shape ${formatShape(x.shape)}`);
  if (w.rank !== spatial + 2)
    throw layerError('E0334', op, `W must be ${layoutW}, got shape ${formatShape(w.shape)}`);
  const [channels, ...space] = knownTail(op, x, spatial + 1, 'channels and spatial sizes', `x ${layoutX}`);
  const [outChannels, perGroup, ...kernel] = knownTail(op, w, spatial + 2, 'sizes', `W ${layoutW}`);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1)
    throw layerError('E0333', op, `groups must be a positive integer, got ${groups}`);
  if (channels !== perGroup * groups) {
    throw layerError(
      'E0333',
      op,
      `x has ${channels} channels, but W ${formatShape(w.shape)} with groups = ${groups} expects ${perGroup * groups} (${perGroup} per group × ${groups} group${groups === 1 ? '' : 's'}; W is ${layoutW})`,
    );
  }
  if (outChannels % groups !== 0) {
    throw layerError(
      'E0333',
      op,
      `groups = ${groups} does not divide the ${outChannels} output channels of W ${formatShape(w.shape)}`,
    );
  }
  const stride = perAxis(op, 'stride', opts.stride ?? 1, spatial, 1);
  const dilation = perAxis(op, 'dilation', opts.dilation ?? 1, spatial, 1);
  const pads = resolvePadding(op, opts.padding ?? 0, kernel, dilation, stride);
  const outSpace = outputGrid(op, space, kernel, stride, dilation, pads);
  const n = x.shape[0];
  const xf = x.toFloat();
  const taps = perGroup * product(kernel);
  const positions = product(outSpace);
  const pointwise =
    kernel.every((k) => k === 1) &&
    stride.every((s) => s === 1) &&
    pads.every(([a, b]) => a === 0 && b === 0);
  // [N, C, (1,) K..., OH?, OW]: for 1-D, the signal is an image of height 1.
  const image = spatial === 2 ? xf : xf.reshape([n, channels, 1, space[0]]);
  const patches = pointwise ? image : image.op('Im2Col', [], im2colAttrs(kernel, stride, dilation, pads, 0));
  const y =
    groups === 1
      ? w.reshape([outChannels, taps]).matMul(patches.reshape([n, taps, positions]))
      : w.reshape([groups, outChannels / groups, taps]).matMul(patches.reshape([n, groups, taps, positions]));
  const out = y.reshape([n, outChannels, ...outSpace]);
  if (!opts.bias) return out;
  const b = opts.bias;
  if (b.rank !== 1 || b.shape[0] !== outChannels)
    throw layerError(
      'E0334',
      op,
      `bias must have shape [${outChannels}] (one per output channel), got ${formatShape(b.shape)}`,
    );
  return out.add(b.reshape([outChannels, ...outSpace.map(() => 1)]));
}

/**
 * 2-D cross-correlation, PyTorch's `F.conv2d(x, W, bias, stride, padding, dilation, groups)`:
 * `x [N, C, H, W]` (or unbatched `[C, H, W]`), `W [O, C/groups, KH, KW]` → `[N, O, OH, OW]`.
 */
export function conv2d(x: Value, w: Value, opts: ConvOptions = {}): Value {
  return conv('conv2d', x, w, opts, 2);
}

/** 1-D cross-correlation, PyTorch's `F.conv1d`: `x [N, C, L]`, `W [O, C/groups, K]` → `[N, O, OL]`. */
export function conv1d(x: Value, w: Value, opts: ConvOptions = {}): Value {
  return conv('conv1d', x, w, opts, 1);
}
