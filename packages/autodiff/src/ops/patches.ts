/**
 * Sliding windows over the last two axes, as two linear primitives that are each other's adjoint:
 * `Im2Col` copies every window of `x [..., H, W]` into `[..., KH, KW, OH, OW]` (the layout that
 * turns a convolution into one matrix product, and pooling into a reduction), and `Col2Im` adds
 * such patches back into `[..., H, W]`. Convolution, max and average pooling are composites over
 * these (`layers/`), so their gradients, and the gradients of those, come from these two rules.
 *
 * Window (kh, kw) of output position (oh, ow) reads input row `oh·SH − top + kh·DH` and column
 * `ow·SW − left + kw·DW`; positions outside the input read `fill` (0 for convolution and average
 * pooling, −∞ for max pooling).
 */
import { isFloat } from '../dtype.js';
import { type ArgInfo, defineOp, type OpDef, shapeError } from '../op.js';
import { type Dim, formatShape, sizeOf } from '../shape.js';

export interface WindowAttrs {
  readonly [k: string]: readonly number[] | number;
  /** Window size [KH, KW]. */
  readonly kernel: readonly number[];
  /** Step between windows [SH, SW]. */
  readonly stride: readonly number[];
  /** Spacing of a window's taps [DH, DW] (1: contiguous). */
  readonly dilation: readonly number[];
  /** Implicit padding [top, bottom, left, right] (unequal sides for PyTorch's `'same'`). */
  readonly pads: readonly number[];
}

export interface Im2ColAttrs extends WindowAttrs {
  /** Value read outside the input. */
  readonly fill: number;
}

export interface Col2ImAttrs extends WindowAttrs {
  /** The spatial size [H, W] of the image the patches came from. */
  readonly size: readonly number[];
}

/** Just the window of an op's attrs (the attrs both ops share). */
export function windowOf(a: WindowAttrs): WindowAttrs {
  return { kernel: a.kernel, stride: a.stride, dilation: a.dilation, pads: a.pads };
}

const pair = (v: unknown, min: number): v is readonly [number, number] =>
  Array.isArray(v) && v.length === 2 && v.every((e) => Number.isInteger(e) && e >= min);

/** The window attrs' own problem, if any (they come from JSON too). */
function attrProblem(a: WindowAttrs): string | undefined {
  if (!pair(a.kernel, 1)) return `kernel must be two positive integers, got ${JSON.stringify(a.kernel)}`;
  if (!pair(a.stride, 1)) return `stride must be two positive integers, got ${JSON.stringify(a.stride)}`;
  if (!pair(a.dilation, 1))
    return `dilation must be two positive integers, got ${JSON.stringify(a.dilation)}`;
  const p = a.pads;
  if (!Array.isArray(p) || p.length !== 4 || !p.every((e) => Number.isInteger(e) && e >= 0))
    return `pads must be four non-negative integers [top, bottom, left, right], got ${JSON.stringify(p)}`;
  return undefined;
}

/**
 * Output positions along one axis: ⌊(n + padding − dilation·(k − 1) − 1) / stride⌋ + 1, or
 * undefined when the (dilated) window does not fit in the padded input.
 */
export function windowCount(
  n: number,
  k: number,
  stride: number,
  dilation: number,
  before: number,
  after: number,
): number | undefined {
  const span = dilation * (k - 1) + 1;
  const padded = n + before + after;
  return padded < span ? undefined : Math.floor((padded - span) / stride) + 1;
}

/** [OH, OW] of windows over an `h × w` image, or a ShapeError naming the sizes. */
export function windowGrid(op: string, h: Dim, w: Dim, a: WindowAttrs): [number, number] {
  const bad = attrProblem(a);
  if (bad) throw shapeError('E0330', op, bad);
  if (typeof h !== 'number' || typeof w !== 'number')
    throw shapeError(
      'E0330',
      op,
      `the two window axes need known sizes, got ${formatShape([h, w])} (symbolic dims only before them)`,
    );
  const [kh, kw] = a.kernel;
  const [t, b, l, r] = a.pads;
  const oh = windowCount(h, kh, a.stride[0], a.dilation[0], t, b);
  const ow = windowCount(w, kw, a.stride[1], a.dilation[1], l, r);
  if (oh === undefined || ow === undefined) {
    const eh = a.dilation[0] * (kh - 1) + 1;
    const ew = a.dilation[1] * (kw - 1) + 1;
    throw shapeError(
      'E0331',
      op,
      `the ${eh}×${ew} window${eh !== kh || ew !== kw ? ` (a ${kh}×${kw} kernel dilated)` : ''} is larger than the padded input ${h + t + b}×${w + l + r} (${h}×${w} plus padding)`,
    );
  }
  return [oh, ow];
}

function needsFloat(op: string, x: ArgInfo): void {
  if (!isFloat(x.dtype))
    throw shapeError('E0302', op, `needs a float tensor, got ${x.dtype}${formatShape(x.shape)}`);
}

/** Visits (lead, kh, kw, oh, ow) in row-major order with the flat patch index and the input index (−1 outside). */
function forEachTap(
  lead: number,
  h: number,
  w: number,
  oh: number,
  ow: number,
  a: WindowAttrs,
  fn: (patch: number, input: number) => void,
): void {
  const [kh, kw] = a.kernel;
  let patch = 0;
  for (let l = 0; l < lead; l++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        for (let y = 0; y < oh; y++) {
          const iy = y * a.stride[0] - a.pads[0] + i * a.dilation[0];
          for (let x = 0; x < ow; x++, patch++) {
            const ix = x * a.stride[1] - a.pads[2] + j * a.dilation[1];
            fn(patch, iy >= 0 && iy < h && ix >= 0 && ix < w ? (l * h + iy) * w + ix : -1);
          }
        }
      }
    }
  }
}

export const Im2Col: OpDef<Im2ColAttrs> = defineOp<Im2ColAttrs>({
  name: 'Im2Col',
  arity: 1,
  doc: 'every window of the last two axes: [..., H, W] → [..., KH, KW, OH, OW]',
  infer: ([x], a) => {
    needsFloat('Im2Col', x);
    if (x.shape.length < 2)
      throw shapeError('E0330', 'Im2Col', `needs a tensor of rank 2 or more, got ${formatShape(x.shape)}`);
    if (typeof a.fill !== 'number') throw shapeError('E0330', 'Im2Col', 'fill must be a number');
    const r = x.shape.length;
    const [oh, ow] = windowGrid('Im2Col', x.shape[r - 2], x.shape[r - 1], a);
    return { shape: [...x.shape.slice(0, -2), a.kernel[0], a.kernel[1], oh, ow], dtype: x.dtype };
  },
  evaluate: ([x], a, { out }) => {
    const [h, w] = x.shape.slice(-2);
    const [oh, ow] = out.shape.slice(-2);
    const res = new Float64Array(sizeOf(out.shape));
    forEachTap(sizeOf(x.shape.slice(0, -2)), h, w, oh, ow, a, (p, i) => {
      res[p] = i < 0 ? a.fill : x.data[i];
    });
    return res;
  },
  vjp: ({ cot, inputs: [x], attrs }) => [
    () => cot.op('Col2Im', [], { ...windowOf(attrs), size: x.shape.slice(-2) as number[] }),
  ],
});

export const Col2Im: OpDef<Col2ImAttrs> = defineOp<Col2ImAttrs>({
  name: 'Col2Im',
  arity: 1,
  doc: 'adds window patches [..., KH, KW, OH, OW] back into [..., H, W] (the adjoint of Im2Col)',
  infer: ([p], a) => {
    needsFloat('Col2Im', p);
    if (!pair(a.size, 1)) throw shapeError('E0330', 'Col2Im', `size must be two positive integers`);
    const [h, w] = a.size;
    const [oh, ow] = windowGrid('Col2Im', h, w, a);
    const want = [a.kernel[0], a.kernel[1], oh, ow];
    const got = p.shape.slice(-4);
    if (p.shape.length < 4 || got.some((d, i) => d !== want[i])) {
      throw shapeError(
        'E0330',
        'Col2Im',
        `patches of shape ${formatShape(p.shape)} do not end in ${formatShape(want)}, the windows of a ${h}×${w} image`,
      );
    }
    return { shape: [...p.shape.slice(0, -4), h, w], dtype: p.dtype };
  },
  evaluate: ([p], a, { out }) => {
    const [h, w] = a.size;
    const [oh, ow] = p.shape.slice(-2);
    const res = new Float64Array(sizeOf(out.shape));
    // Row-major over the patches: each pixel receives its windows' taps in (kh, kw) order.
    forEachTap(sizeOf(p.shape.slice(0, -4)), h, w, oh, ow, a, (q, i) => {
      if (i >= 0) res[i] += p.data[q];
    });
    return res;
  },
  vjp: ({ cot, attrs }) => [() => cot.op('Im2Col', [], { ...windowOf(attrs), fill: 0 })],
});
