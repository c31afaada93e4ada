/**
 * Argument handling shared by convolution and pooling: integers or per-axis lists for sizes,
 * strides and dilations, the padding forms PyTorch accepts, and the output grid with a diagnostic
 * that names the op, the kernel and the padded input when a window does not fit.
 */
import { diagnostic, ShapeError } from '../diagnostic.js';
import { windowCount } from '../ops/patches.js';
import { type Dim, formatShape, type Shape } from '../shape.js';
import type { Value } from '../value.js';

/** One integer for every spatial axis, or one per axis. */
export type IntOrTuple = number | readonly number[];

/** PyTorch's padding forms: one integer, one per spatial axis, `'valid'` (none) or `'same'`. */
export type Padding = IntOrTuple | 'same' | 'valid';

export function layerError(code: string, op: string, message: string): ShapeError {
  return new ShapeError(diagnostic(code, `${op}: ${message}`));
}

/** A user's value as they would write it: `3`, `[2, 1]`, `"full"`. */
const show = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(show).join(', ')}]` : (JSON.stringify(v) ?? String(v));

/** `3×3` for two axes, `3` for one. */
export const sizes = (xs: readonly number[]): string => xs.join('×');

/** A per-axis list from an integer or a list of `axes` integers, each at least `min` (else `code`). */
export function perAxis(
  op: string,
  name: string,
  v: unknown,
  axes: number,
  min: number,
  code = 'E0334',
): number[] {
  const list = typeof v === 'number' ? new Array<number>(axes).fill(v) : v;
  const ok =
    Array.isArray(list) &&
    list.length === axes &&
    list.every((e) => typeof e === 'number' && Number.isInteger(e) && e >= min);
  if (!ok) {
    const what = min === 0 ? 'non-negative' : 'positive';
    throw layerError(
      code,
      op,
      `${name} must be a ${what} integer${axes > 1 ? ` or a list of ${axes}` : ''}, got ${show(v)}`,
    );
  }
  return [...(list as number[])];
}

/**
 * [before, after] padding per spatial axis. `'same'` pads a total of dilation·(kernel − 1), the
 * odd one on the far side (PyTorch), and like PyTorch refuses strides other than 1.
 */
export function resolvePadding(
  op: string,
  padding: unknown,
  kernel: readonly number[],
  dilation: readonly number[],
  stride: readonly number[],
): [number, number][] {
  if (padding === 'valid') return kernel.map(() => [0, 0]);
  if (padding === 'same') {
    if (stride.some((s) => s !== 1)) {
      throw layerError(
        'E0332',
        op,
        `padding = "same" needs stride 1 (as in PyTorch), got stride ${sizes(stride)}`,
      );
    }
    return kernel.map((k, i) => {
      const total = dilation[i] * (k - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  }
  const axes = kernel.length;
  const list = typeof padding === 'number' ? new Array<number>(axes).fill(padding) : padding;
  const ok =
    Array.isArray(list) &&
    list.length === axes &&
    list.every((e) => typeof e === 'number' && Number.isInteger(e) && e >= 0);
  if (!ok) {
    throw layerError(
      'E0332',
      op,
      `padding must be a non-negative integer${axes > 1 ? `, a list of ${axes} of them` : ''}, "same" or "valid", got ${show(padding)}`,
    );
  }
  return (list as number[]).map((p) => [p, p]);
}

/** The output grid of windows over `spatial`, or E0331 naming the kernel and the padded input. */
export function outputGrid(
  op: string,
  spatial: readonly number[],
  kernel: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
  pads: readonly [number, number][],
): number[] {
  const out = spatial.map((n, i) => windowCount(n, kernel[i], stride[i], dilation[i], ...pads[i]));
  if (out.some((o) => o === undefined)) {
    const dilated = kernel.map((k, i) => dilation[i] * (k - 1) + 1);
    const padded = spatial.map((n, i) => n + pads[i][0] + pads[i][1]);
    const dil = dilated.some((d, i) => d !== kernel[i])
      ? ` (${sizes(kernel)} dilated by ${sizes(dilation)})`
      : '';
    const padText = pads.every(([a, b]) => a === 0 && b === 0)
      ? 'no padding'
      : `padding ${pads.map(([a, b]) => (a === b ? `${a}` : `${a}+${b}`)).join(', ')}`;
    throw layerError(
      'E0331',
      op,
      `the ${sizes(dilated)} kernel${dil} is larger than the padded input ${sizes(padded)} (${sizes(spatial)} with ${padText})`,
    );
  }
  return out as number[];
}

/** The last `n` dims of `x`, which must be known sizes (`what` names them in the error). */
export function knownTail(op: string, x: Value, n: number, what: string, layout: string): number[] {
  const tail: Shape = x.shape.slice(x.rank - n);
  if (tail.some((d: Dim) => typeof d !== 'number')) {
    throw layerError(
      'E0334',
      op,
      `the ${what} of ${layout} must have known sizes, got ${formatShape(x.shape)}`,
    );
  }
  return tail as number[];
}

/** Im2Col attrs for 1 or 2 spatial axes (1-D windows run as 2-D ones of height 1). */
export function im2colAttrs(
  kernel: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
  pads: readonly [number, number][],
  fill: number,
) {
  const two = kernel.length === 2;
  return {
    kernel: two ? [...kernel] : [1, kernel[0]],
    stride: two ? [...stride] : [1, stride[0]],
    dilation: two ? [...dilation] : [1, dilation[0]],
    pads: two ? [pads[0][0], pads[0][1], pads[1][0], pads[1][1]] : [0, 0, pads[0][0], pads[0][1]],
    fill,
  };
}
