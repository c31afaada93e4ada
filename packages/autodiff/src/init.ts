import { diagnostic, GradusError } from './diagnostic.js';
import type { AttrValue } from './node.js';
import { normalAt, streamOf, uniformAt } from './random.js';
import { type ConcreteShape, sizeOf } from './shape.js';

/** How a variable gets its first value. Plain JSON, so it lives in the IR's attrs. */
export type InitSpec =
  | { readonly kind: 'zeros' }
  | { readonly kind: 'ones' }
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'normal'; readonly std: number; readonly mean?: number }
  | { readonly kind: 'uniform'; readonly lo: number; readonly hi: number }
  | { readonly kind: 'lecun_uniform' }
  | { readonly kind: 'lecun_normal' }
  | { readonly kind: 'glorot_uniform' }
  | { readonly kind: 'glorot_normal' }
  | { readonly kind: 'he_normal' }
  | { readonly kind: 'he_uniform' }
  | { readonly kind: 'orthogonal'; readonly gain: number }
  | { readonly kind: 'sparse'; readonly k: number; readonly std?: number }
  /**
   * Mishkin and Matas' layer-sequential unit-variance init: orthogonal here; the trainer then
   * rescales each such weight on one batch of data so its layer's output has unit variance.
   */
  | { readonly kind: 'lsuv'; readonly tolerance?: number }
  | { readonly kind: 'literal'; readonly value: readonly number[] };

export type InitKind = InitSpec['kind'];

/** Builder-API helpers: `g.param('W', [2, 3], init.glorotUniform())`. */
export const init = {
  zeros: (): InitSpec => ({ kind: 'zeros' }),
  ones: (): InitSpec => ({ kind: 'ones' }),
  constant: (value: number): InitSpec => ({ kind: 'constant', value }),
  normal: (std = 1, mean = 0): InitSpec => ({ kind: 'normal', std, mean }),
  uniform: (lo = -1, hi = 1): InitSpec => ({ kind: 'uniform', lo, hi }),
  lecunUniform: (): InitSpec => ({ kind: 'lecun_uniform' }),
  lecunNormal: (): InitSpec => ({ kind: 'lecun_normal' }),
  glorotUniform: (): InitSpec => ({ kind: 'glorot_uniform' }),
  glorotNormal: (): InitSpec => ({ kind: 'glorot_normal' }),
  heNormal: (): InitSpec => ({ kind: 'he_normal' }),
  heUniform: (): InitSpec => ({ kind: 'he_uniform' }),
  orthogonal: (gain = 1): InitSpec => ({ kind: 'orthogonal', gain }),
  sparse: (k: number, std = 1): InitSpec => ({ kind: 'sparse', k, std }),
  lsuv: (tolerance = 0.05): InitSpec => ({ kind: 'lsuv', tolerance }),
  literal: (value: readonly number[]): InitSpec => ({ kind: 'literal', value }),
} as const;

/**
 * Fan-in and fan-out as Keras and PyTorch define them for dense layers stored `[in, out]`
 * (Gradus computes `x @ W`): fan-in is the first dim, fan-out the last; a vector uses its length.
 */
export function fans(shape: ConcreteShape): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  const receptive = sizeOf(shape.slice(1, -1));
  return { fanIn: shape[0] * receptive, fanOut: shape[shape.length - 1] * receptive };
}

/**
 * The initial value of variable `name`. Random initialisers draw from the counter-based stream
 * keyed by the name, so a param's value depends on (seed, name) only.
 */
export function initialValue(spec: InitSpec, shape: ConcreteShape, seed: number, name: string): Float64Array {
  const n = sizeOf(shape);
  const out = new Float64Array(n);
  const stream = streamOf(name);
  const counter = 0xfffffff0; // a counter no training step reaches: init never shares a stream position
  const u = (i: number) => uniformAt(seed, stream, counter, i);
  const z = (i: number) => normalAt(seed, stream, counter, i);
  const { fanIn, fanOut } = fans(shape);
  const fillUniform = (lim: number) => {
    for (let i = 0; i < n; i++) out[i] = (2 * u(i) - 1) * lim;
  };
  const fillNormal = (std: number, mean = 0) => {
    for (let i = 0; i < n; i++) out[i] = mean + std * z(i);
  };
  switch (spec.kind) {
    case 'zeros':
      break;
    case 'ones':
      out.fill(1);
      break;
    case 'constant':
      out.fill(spec.value);
      break;
    case 'normal':
      fillNormal(spec.std, spec.mean ?? 0);
      break;
    case 'uniform':
      for (let i = 0; i < n; i++) out[i] = spec.lo + (spec.hi - spec.lo) * u(i);
      break;
    case 'lecun_uniform':
      fillUniform(1 / Math.sqrt(fanIn));
      break;
    case 'lecun_normal':
      fillNormal(1 / Math.sqrt(fanIn));
      break;
    case 'glorot_uniform':
      fillUniform(Math.sqrt(6 / (fanIn + fanOut)));
      break;
    case 'glorot_normal':
      fillNormal(Math.sqrt(2 / (fanIn + fanOut)));
      break;
    case 'he_normal':
      fillNormal(Math.sqrt(2 / fanIn));
      break;
    case 'he_uniform':
      fillUniform(Math.sqrt(6 / fanIn));
      break;
    case 'orthogonal':
      orthogonal(out, shape, spec.gain, z);
      break;
    case 'lsuv':
      orthogonal(out, shape, 1, z);
      break;
    case 'sparse':
      sparse(out, shape, spec.k, spec.std ?? 1, seed, stream);
      break;
    case 'literal':
      if (spec.value.length !== n) {
        throw new GradusError(
          diagnostic(
            'E0208',
            `initial value of '${name}' has ${spec.value.length} numbers but its shape [${shape.join(', ')}] holds ${n}`,
          ),
        );
      }
      out.set(spec.value);
      break;
  }
  return out;
}

/**
 * Saxe et al.'s orthogonal init: orthonormalise a Gaussian matrix (modified Gram–Schmidt on the
 * shorter side) and scale by `gain`. Shape is flattened to [rows, last dim].
 */
function orthogonal(out: Float64Array, shape: ConcreteShape, gain: number, z: (i: number) => number): void {
  const cols = shape.length === 0 ? 1 : shape[shape.length - 1];
  const rows = out.length / Math.max(cols, 1);
  const transpose = rows < cols; // orthonormalise the `min(rows, cols)` vectors of the longer side
  const count = transpose ? rows : cols;
  const len = transpose ? cols : rows;
  const vecs: Float64Array[] = [];
  for (let v = 0; v < count; v++) {
    const x = new Float64Array(len);
    for (let i = 0; i < len; i++) x[i] = z(v * len + i);
    for (const q of vecs) {
      let dot = 0;
      for (let i = 0; i < len; i++) dot += x[i] * q[i];
      for (let i = 0; i < len; i++) x[i] -= dot * q[i];
    }
    let norm = 0;
    for (let i = 0; i < len; i++) norm += x[i] * x[i];
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < len; i++) x[i] /= norm;
    vecs.push(x);
  }
  for (let v = 0; v < count; v++) {
    for (let i = 0; i < len; i++) {
      const r = transpose ? v : i;
      const c = transpose ? i : v;
      out[r * cols + c] = gain * vecs[v][i];
    }
  }
}

/** Martens' sparse init: each output unit (column) gets `k` nonzero N(0, std²) incoming weights. */
function sparse(
  out: Float64Array,
  shape: ConcreteShape,
  k: number,
  std: number,
  seed: number,
  stream: number,
): void {
  const cols = shape.length === 0 ? 1 : shape[shape.length - 1];
  const rows = out.length / Math.max(cols, 1);
  const take = Math.min(k, rows);
  for (let c = 0; c < cols; c++) {
    // A seeded partial Fisher–Yates over the rows of column c.
    const idx = Array.from({ length: rows }, (_, i) => i);
    for (let i = 0; i < take; i++) {
      const j = i + Math.floor(uniformAt(seed, stream, 0xfffffff1 + 0, c * rows + i) * (rows - i));
      [idx[i], idx[j]] = [idx[j], idx[i]];
      out[idx[i] * cols + c] = std * normalAt(seed, stream, 0xfffffff2, c * rows + i);
    }
  }
}

export function isInitSpec(v: AttrValue): boolean {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    typeof (v as { kind?: unknown }).kind === 'string'
  );
}
