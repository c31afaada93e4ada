/**
 * Index arithmetic of gpu.js kernels: every value is a float, so flat indices are unravelled into
 * coordinates with floors (offset by ½ against rounding), and loops are bounded per kernel.
 */
import { contiguousStrides } from '../cpu/emit.js';
import { flt } from './expr.js';

/** Lines binding coordinates of flat index `idx` over `shape` (size-1 dims are the literal 0). */
export function unravel(
  idx: string,
  shape: readonly number[],
  prefix: string,
): { lines: string[]; coords: string[] } {
  const st = contiguousStrides(shape);
  const lines: string[] = [];
  let leading = true;
  const coords = shape.map((n, d) => {
    if (n === 1) return '0.0';
    const q = st[d] === 1 ? idx : `Math.floor((${idx} + 0.5) / ${flt(st[d])})`;
    const name = `${prefix}${d}`;
    if (leading) lines.push(`let ${name} = ${q};`);
    else {
      lines.push(`let ${name}q = ${q};`);
      lines.push(`let ${name} = ${name}q - ${flt(n)} * Math.floor((${name}q + 0.5) / ${flt(n)});`);
    }
    leading = false;
    return name;
  });
  return { lines, coords };
}

/** A flat index from coordinates and strides, plus an offset. */
export function indexOf(coords: readonly string[], strides: readonly number[], offset = 0): string {
  const terms: string[] = offset !== 0 ? [flt(offset)] : [];
  coords.forEach((c, d) => {
    const s = strides[d];
    if (s === 0 || c === '0.0') return;
    terms.push(s === 1 ? c : `${c} * ${flt(s)}`);
  });
  return terms.length === 0 ? '0.0' : terms.join(' + ');
}

/**
 * Iterations one kernel invocation may loop: Mesa's llvmpipe stops every shader after 65,535 loop
 * iterations (silently: the result is just wrong), and real GPUs time out long shaders, so longer
 * reductions run in two stages and longer contractions are refused.
 */
export const MAX_LOOP = 16384;
