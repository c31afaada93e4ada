/**
 * Composite ops, built from primitives so their gradients come from the primitives' rules.
 * None of these needed a fused primitive: the numerically delicate ones (logsumexp, softmax,
 * log-softmax, softplus) are stabilised by subtracting a (gradient-stopped) max, in graph ops.
 */
import { diagnostic, GradusError } from './diagnostic.js';
import { checkMode, noiseLike, type StochasticMode } from './layers/noise.js';
import type { AxisOptions, Value } from './value.js';

export function square(x: Value): Value {
  return x.mul(x);
}

/** max(x, 0) with gradient 0 at 0, as PyTorch. */
export function relu(x: Value): Value {
  return x.gt(0).where(x, 0);
}

export function leakyRelu(x: Value, alpha = 0.01): Value {
  return x.gt(0).where(x, x.mul(alpha));
}

/**
 * 1 / (1 + e^-x), computed as e^-softplus(-x): no exponential of a positive number, so nothing
 * overflows at any x in f32 or f64. (The direct form's e^-x overflowed for very negative x: the
 * value was still 0, but the gradient was 0·∞ = NaN.)
 */
export function sigmoid(x: Value): Value {
  return softplus(x.neg()).neg().exp();
}

/**
 * log(1 + e^x) = m + log(e^-m + e^(x-m)) with m = max(x, 0) held constant: both exponentials are
 * at most 1, so nothing overflows, and as the identity holds for any m, every derivative is exact,
 * at x = 0 too (the kinks of a max(x, 0) + log(1 + e^-|x|) form gave a gradient of 0 there, not ½).
 */
export function softplus(x: Value): Value {
  const m = x.maximum(0).stopGradient();
  return m.add(m.neg().exp().add(x.sub(m).exp()).log());
}

/** How many elements a reduction over `axes` folds: a constant, or a `Size` node for symbolic dims. */
export function countOf(x: Value, axes: readonly number[]): Value {
  const dims = axes.map((a) => x.shape[a]);
  const dtype = x.dtype === 'f32' || x.dtype === 'f64' ? x.dtype : x.g.floatDtype;
  if (dims.every((d) => typeof d === 'number')) {
    return x.g.constant(
      (dims as number[]).reduce((p, d) => p * d, 1),
      dtype,
    );
  }
  return x.g.value(x.g.add('Size', [], { dims: [...dims], dtype }));
}

export function mean(x: Value, opts: AxisOptions = {}): Value {
  const axes = x.axes(opts.axis);
  const xf = x.toFloat();
  return xf.sumAxes(axes, opts.keepdims ?? false).div(countOf(xf, axes));
}

/** log Σ e^x, stabilised by the (gradient-stopped) max: the max's contribution cancels exactly. */
export function logsumexp(x: Value, opts: AxisOptions = {}): Value {
  const axes = x.axes(opts.axis);
  const m = x.max({ axis: axes, keepdims: true }).stopGradient();
  const lse = x.sub(m).exp().sumAxes(axes, true).log().add(m);
  return opts.keepdims ? lse : lse.reshape(x.shape.filter((_, i) => !axes.includes(i)));
}

export function softmax(x: Value, axis = -1): Value {
  const m = x.max({ axis, keepdims: true }).stopGradient();
  const e = x.sub(m).exp();
  return e.div(e.sum({ axis, keepdims: true }));
}

export function logSoftmax(x: Value, axis = -1): Value {
  return x.sub(logsumexp(x, { axis, keepdims: true }));
}

/** Per-example cross-entropy of `logits` [..., C] against integer `labels` [...]: −log softmax(z)[y]. */
export function crossEntropy(logits: Value, labels: Value): Value {
  return logSoftmax(logits, -1).gather(labels, -1).neg();
}

/**
 * Multiclass SVM loss per example (Weston–Watkins, as in the lectures):
 * Σ_{j ≠ y} max(0, s_j − s_y + margin). The j = y term is masked out, not subtracted, so the
 * result is exact for any margin.
 */
export function hinge(scores: Value, labels: Value, margin = 1): Value {
  const C = scores.shape[scores.rank - 1];
  if (typeof C !== 'number')
    throw new GradusError(diagnostic('E0315', 'hinge: the class axis must have a known size'));
  const correct = scores.gather(labels, -1).expandDims(-1);
  const margins = relu(scores.sub(correct).add(margin));
  const isLabel = labels.oneHot(C, -1, 'bool');
  return isLabel.where(margins.zerosLike(), margins).sum({ axis: -1 });
}

export function mse(pred: Value, target: Value): Value {
  return mean(square(pred.sub(target)));
}

/** Σ W² over every given tensor (no ½, as the lectures write R(W)). */
export function l2(...ws: Value[]): Value {
  return sumAll(ws.map((w) => square(w).sum()));
}

export function l1(...ws: Value[]): Value {
  return sumAll(ws.map((w) => w.abs().sum()));
}

/** Σ β W² + |W| (the lectures' elastic net). */
export function elasticNet(ws: readonly Value[], beta: number): Value {
  return sumAll(ws.map((w) => square(w).mul(beta).add(w.abs()).sum()));
}

function sumAll(terms: readonly Value[]): Value {
  if (terms.length === 0)
    throw new GradusError(diagnostic('E0316', 'a regulariser needs at least one tensor'));
  return terms.reduce((a, b) => a.add(b));
}

/**
 * Dropout. `'inverted'` (the default, PyTorch's and Keras's): in training, keep each unit with
 * probability `keep` and scale by 1/keep, so the expectation is unchanged and evaluation is the
 * identity. `'vanilla'` (the lectures' original form): keep without scaling in training, and
 * scale by `keep` in evaluation. The mask comes from the counter-based generator keyed by
 * (graph seed, this layer's stream, step, element).
 */
export function dropout(x: Value, keep: number, mode: StochasticMode = 'inverted'): Value {
  if (!(keep > 0 && keep <= 1))
    throw new GradusError(diagnostic('E0317', `dropout: keep must be in (0, 1], got ${keep}`));
  checkMode('dropout', mode);
  if (keep === 1) return x;
  if (x.g.mode === 'eval') return mode === 'vanilla' ? x.toFloat().mul(keep) : x;
  const u = noiseLike(x, 'RandomUniform', x.shape);
  return u.lt(keep).where(mode === 'inverted' ? x.div(keep) : x.toFloat(), 0);
}

export interface BatchNormOptions {
  /** Weight of the old running statistic: r ← momentum·r + (1 − momentum)·batch (CS231n, Keras). */
  readonly momentum?: number;
  readonly eps?: number;
  /** Prefix of the running-statistics state (`<name>.running_mean`, `<name>.running_var`). */
  readonly name?: string;
}

/**
 * Batch normalisation over every axis but the last (features). Training graphs normalise with
 * the batch's mean and biased variance and assign updated running statistics; evaluation graphs
 * use the running statistics.
 */
export function batchnorm(x: Value, gamma: Value, beta: Value, opts: BatchNormOptions = {}): Value {
  const g = x.g;
  const momentum = opts.momentum ?? 0.9;
  const eps = opts.eps ?? 1e-5;
  const features = x.shape.slice(-1);
  const name = opts.name ?? `batchnorm${g.nextStream()}`;
  const runMean = g.state(`${name}.running_mean`, features, { kind: 'zeros' }, x.dtype);
  const runVar = g.state(`${name}.running_var`, features, { kind: 'ones' }, x.dtype);
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  let mu: Value;
  let variance: Value;
  if (g.mode === 'train') {
    mu = mean(x, { axis: axes });
    variance = mean(square(x.sub(mu)), { axis: axes });
    g.assign(
      runMean.node.attrs.name as string,
      runMean.mul(momentum).add(mu.stopGradient().mul(1 - momentum)),
    );
    g.assign(
      runVar.node.attrs.name as string,
      runVar.mul(momentum).add(variance.stopGradient().mul(1 - momentum)),
    );
  } else {
    mu = runMean;
    variance = runVar;
  }
  return x.sub(mu).div(variance.add(eps).sqrt()).mul(gamma).add(beta);
}

/** Joins tensors along `axis` (numbers are not allowed: every part has a shape). */
export function concat(parts: readonly Value[], axis = 0): Value {
  if (parts.length === 0) throw new GradusError(diagnostic('E0308', 'concat needs at least one tensor'));
  const [first, ...rest] = parts;
  const dtype = parts.map((p) => p.dtype).reduce((a, b) => (a === b ? a : first.g.floatDtype));
  const a = axis < 0 ? axis + first.rank : axis;
  return first.castTo(dtype).op(
    'Concat',
    rest.map((p) => p.castTo(dtype)),
    { axis: a },
  );
}
