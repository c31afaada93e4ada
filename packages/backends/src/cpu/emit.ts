/**
 * Small helpers for writing generated JavaScript: safe number literals (the only user-controlled
 * values that ever reach generated code are numbers, and they pass through here) and the loop-nest
 * emitter every kernel uses.
 */
import { diagnostic, GradusError } from '@gradus/autodiff';

/** A JS literal for a number; anything that is not a number is refused, so attrs cannot inject code. */
export function num(v: unknown): string {
  if (typeof v !== 'number') {
    throw new GradusError(
      diagnostic('E0420', `internal: generated code expected a number but got a ${typeof v}`),
    );
  }
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '(-Infinity)';
  if (Object.is(v, -0)) return '(-0)';
  const s = String(v);
  return v < 0 ? `(${s})` : s;
}

/** A non-negative integer literal (sizes, strides, offsets, seeds). */
export function int(v: unknown): string {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new GradusError(
      diagnostic('E0420', `internal: generated code expected an integer, got ${String(v)}`),
    );
  }
  return num(v);
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= shape[i];
  }
  return st;
}

/** Strides that read a tensor of shape `from` broadcast (NumPy rules) to `to`: 0 on repeated axes. */
export function broadcastStrides(from: readonly number[], to: readonly number[]): number[] {
  const st = contiguousStrides(from);
  const lead = to.length - from.length;
  return to.map((_d, i) => (i < lead || from[i - lead] === 1 ? 0 : st[i - lead]));
}

/** One indexed array access in a loop nest: strides per dim of the iteration space, plus an offset. */
export interface Access {
  readonly strides: readonly number[];
  readonly offset?: number;
}

export interface LoopNestSpec {
  /** The iteration space. */
  readonly shape: readonly number[];
  readonly accesses: readonly Access[];
  /** Loop order (a permutation of the dims); default row-major. */
  readonly order?: readonly number[];
  /** How many of the ordered dims are outer; `head`/`tail` run between outer and inner loops. */
  readonly outer?: number;
  /** Innermost code, given each access's index expression. */
  readonly body: (idx: readonly string[]) => string;
  /** Code before the inner loops, given index expressions over the outer loop variables only. */
  readonly head?: (idx: readonly string[]) => string;
  readonly tail?: (idx: readonly string[]) => string;
  /** Code before all loops (loop-invariant loads), given index expressions with no loop variables. */
  readonly pre?: (idx: readonly string[]) => string;
}

interface LoopDim {
  size: number;
  strides: number[];
}

/** Drops size-1 dims and merges neighbours that every access walks contiguously. */
function simplify(dims: LoopDim[]): LoopDim[] {
  const kept = dims.filter((d) => d.size !== 1);
  const out: LoopDim[] = [];
  for (const d of kept) {
    const prev = out[out.length - 1];
    if (prev?.strides.every((s, k) => s === d.strides[k] * d.size)) {
      out[out.length - 1] = { size: prev.size * d.size, strides: d.strides };
    } else out.push({ size: d.size, strides: [...d.strides] });
  }
  return out;
}

function indexExpr(offset: number, vars: readonly string[], dims: readonly LoopDim[], k: number): string {
  const terms: string[] = offset !== 0 ? [int(offset)] : [];
  dims.forEach((d, j) => {
    const s = d.strides[k];
    if (s === 1) terms.push(vars[j]);
    else if (s !== 0) terms.push(`${vars[j]} * ${int(s)}`);
  });
  return terms.length === 0 ? '0' : terms.join(' + ');
}

/**
 * Emits nested `for` loops over an iteration space with constant bounds and strides. Adjacent
 * dims that all accesses walk contiguously merge into one loop, so a same-shape elementwise op is
 * a single flat loop and a bias add is two.
 */
export function loopNest(spec: LoopNestSpec, indent = '  '): string {
  const order = spec.order ?? spec.shape.map((_, i) => i);
  const nOuter = spec.outer ?? order.length;
  const toDim = (d: number): LoopDim => ({
    size: spec.shape[d],
    strides: spec.accesses.map((a) => a.strides[d]),
  });
  const outerDims = simplify(order.slice(0, nOuter).map(toDim));
  const innerDims = simplify(order.slice(nOuter).map(toDim));
  const all = [...outerDims, ...innerDims];
  const vars = all.map((_, j) => `i${j}`);
  const offsets = spec.accesses.map((a) => a.offset ?? 0);
  const full = spec.accesses.map((_, k) => indexExpr(offsets[k], vars, all, k));
  const outerOnly = spec.accesses.map((_, k) => indexExpr(offsets[k], vars, outerDims, k));
  const lines: string[] = [];
  let pad = indent;
  const open = (j: number) => {
    lines.push(`${pad}for (let ${vars[j]} = 0; ${vars[j]} < ${int(all[j].size)}; ${vars[j]}++) {`);
    pad += '  ';
  };
  const close = () => {
    pad = pad.slice(2);
    lines.push(`${pad}}`);
  };
  const put = (code: string) => {
    for (const l of code.split('\n')) if (l.length > 0) lines.push(pad + l);
  };
  if (spec.pre) put(spec.pre(offsets.map((o) => int(o))));
  for (let j = 0; j < outerDims.length; j++) open(j);
  if (spec.head) put(spec.head(outerOnly));
  for (let j = 0; j < innerDims.length; j++) open(outerDims.length + j);
  put(spec.body(full));
  for (let j = 0; j < innerDims.length; j++) close();
  if (spec.tail) put(spec.tail(outerOnly));
  for (let j = 0; j < outerDims.length; j++) close();
  return lines.join('\n');
}
