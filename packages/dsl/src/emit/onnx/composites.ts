/**
 * The composites ONNX has as one op, recognised in the primitives they are built from
 * (`@gradus/autodiff`'s composites and layers): Softmax, LogSoftmax, Relu, LeakyRelu, Softplus,
 * Sigmoid, Gemm, Conv, MaxPool, AveragePool, GlobalAveragePool, ReduceMean,
 * LayerNormalization, InstanceNormalization and BatchNormalization. Each recogniser looks at the
 * node a composite's result is, checks the whole pattern before it lowers anything, and returns
 * undefined when the node is something else; the primitives then lower it op by op. Recognisers
 * are listed by the op of that node, most specific first.
 */
import { type AttrsOf, type Dim, type Node, type OpName, productOfDims } from '@gradus/autodiff';
import { attr, type Lowering } from './context.js';
import { axesInput, reshapeTo } from './primitives.js';

type Recogniser = (n: Node, cx: Lowering) => string | undefined;

const float = (n: Node) => n.dtype === 'f32' || n.dtype === 'f64';

function scalar(n: Node): number | undefined {
  if (n.op !== 'Const') return undefined;
  const v = (n.attrs as AttrsOf<'Const'>).value;
  return v.length === 1 ? v[0] : undefined;
}

const same = (a: readonly Dim[], b: readonly Dim[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const reduceAttrs = (n: Node) => n.attrs as AttrsOf<'Sum'>;

/** `mean(x, axes)` as `composites.mean` builds it: the sum over `axes` divided by their element count. */
function meanOf(n: Node): { x: Node; axes: readonly number[]; keepdims: boolean } | undefined {
  if (n.op !== 'Div') return undefined;
  const [s, c] = n.inputs;
  if (s.op !== 'Sum') return undefined;
  const { axes, keepdims } = reduceAttrs(s);
  const x = s.inputs[0];
  const dims = axes.map((a) => x.shape[a]);
  const count = scalar(c);
  const counted =
    count !== undefined
      ? dims.every((d) => typeof d === 'number') && (dims as number[]).reduce((p, d) => p * d, 1) === count
      : c.op === 'Size' && same((c.attrs as AttrsOf<'Size'>).dims, dims);
  return counted ? { x, axes, keepdims } : undefined;
}

/** `stopGradient(max(x, axis, keepdims))`, the shift of the stable softmax family: its axis. */
function stoppedMaxAxis(m: Node, x: Node): number | undefined {
  if (m.op !== 'StopGradient' || m.inputs[0].op !== 'Max') return undefined;
  const max = m.inputs[0];
  const { axes, keepdims } = reduceAttrs(max);
  return max.inputs[0] === x && keepdims && axes.length === 1 ? axes[0] : undefined;
}

/** `exp(x − m)` with m the stopped max of x: x and the axis. */
function shiftedExp(e: Node): { x: Node; axis: number } | undefined {
  if (e.op !== 'Exp' || e.inputs[0].op !== 'Sub') return undefined;
  const [x, m] = e.inputs[0].inputs;
  const axis = stoppedMaxAxis(m, x);
  return axis === undefined ? undefined : { x, axis };
}

const softmax: Recogniser = (n, cx) => {
  const [e, s] = n.inputs;
  const found = shiftedExp(e);
  if (!found || s.op !== 'Sum' || s.inputs[0] !== e) return undefined;
  const { axes, keepdims } = reduceAttrs(s);
  if (!keepdims || !same(axes, [found.axis])) return undefined;
  return cx.emit('Softmax', [cx.value(found.x)], { axis: attr.int(found.axis) });
};

const logSoftmax: Recogniser = (n, cx) => {
  const [x, lse] = n.inputs;
  if (lse.op !== 'Add' || lse.inputs[0].op !== 'Log') return undefined;
  const s = lse.inputs[0].inputs[0];
  if (s.op !== 'Sum') return undefined;
  const found = shiftedExp(s.inputs[0]);
  const { axes, keepdims } = reduceAttrs(s);
  const ok = found && found.x === x && keepdims && same(axes, [found.axis]);
  if (!ok || stoppedMaxAxis(lse.inputs[1], x) !== found.axis) return undefined;
  return cx.emit('LogSoftmax', [cx.value(x)], { axis: attr.int(found.axis) });
};

/** `x > 0 ? x : other`: x, and what the negative side is. */
function positivePart(n: Node): { x: Node; other: Node } | undefined {
  const [c, x, other] = n.inputs;
  if (c.op !== 'Greater' || c.inputs[0] !== x || scalar(c.inputs[1]) !== 0 || !float(x)) return undefined;
  return { x, other };
}

const relu: Recogniser = (n, cx) => {
  const p = positivePart(n);
  if (!p || scalar(p.other) !== 0) return undefined;
  return cx.emit('Relu', [cx.value(p.x)]);
};

const leakyRelu: Recogniser = (n, cx) => {
  const p = positivePart(n);
  const m = p?.other;
  const alpha = m?.op === 'Mul' && m.inputs[0] === p?.x ? scalar(m.inputs[1]) : undefined;
  if (!p || alpha === undefined) return undefined;
  return cx.emit('LeakyRelu', [cx.value(p.x)], { alpha: attr.float(alpha) });
};

/** `m + log(e^−m + e^(x−m))` with m = stopGradient(max(x, 0)), `composites.softplus`: x. */
function softplusOf(n: Node): Node | undefined {
  if (n.op !== 'Add') return undefined;
  const [m, l] = n.inputs;
  if (m.op !== 'StopGradient' || m.inputs[0].op !== 'Maximum' || scalar(m.inputs[0].inputs[1]) !== 0)
    return undefined;
  const x = m.inputs[0].inputs[0];
  if (l.op !== 'Log' || l.inputs[0].op !== 'Add') return undefined;
  const [a, b] = l.inputs[0].inputs;
  const ok =
    a.op === 'Exp' &&
    a.inputs[0].op === 'Neg' &&
    a.inputs[0].inputs[0] === m &&
    b.op === 'Exp' &&
    b.inputs[0].op === 'Sub' &&
    b.inputs[0].inputs[0] === x &&
    b.inputs[0].inputs[1] === m;
  return ok ? x : undefined;
}

const softplus: Recogniser = (n, cx) => {
  const x = softplusOf(n);
  return x ? cx.emit('Softplus', [cx.value(x)]) : undefined;
};

/** `e^−softplus(−x)`, `composites.sigmoid`. */
const sigmoid: Recogniser = (n, cx) => {
  const neg = n.inputs[0];
  const inner = neg.op === 'Neg' ? softplusOf(neg.inputs[0]) : undefined;
  if (inner?.op !== 'Neg') return undefined;
  return cx.emit('Sigmoid', [cx.value(inner.inputs[0])]);
};

/** `a @ b + c` over matrices, with c broadcast along the rows (a bias) or a whole matrix. */
const gemm: Recogniser = (n, cx) => {
  const [p, q] = n.inputs;
  const [mm, c] = p.op === 'MatMul' ? [p, q] : [q, p];
  if (mm.op !== 'MatMul' || !float(mm)) return undefined;
  const [a, b] = mm.inputs;
  if (a.shape.length !== 2 || b.shape.length !== 2 || !same(n.shape, mm.shape)) return undefined;
  const { transA, transB } = mm.attrs as AttrsOf<'MatMul'>;
  return cx.emit('Gemm', [cx.value(a), cx.value(b), cx.value(c)], {
    transA: attr.int(transA ? 1 : 0),
    transB: attr.int(transB ? 1 : 0),
  });
};

interface ConvParts {
  /** The signal as the layer got it: [N, C, H, W], or [N, C, L] for a 1-D convolution. */
  readonly x: Node;
  readonly w: Node;
  readonly groups: number;
  readonly window: AttrsOf<'Im2Col'> | undefined;
}

/**
 * `layers.conv`'s product `reshape(W) @ reshape(im2col(image))` as [N, O, ...]: the
 * input, kernel and settings, checked against each other so that nothing else matches.
 */
function convOf(n: Node): ConvParts | undefined {
  // The product is already [N, O, L] for a 1-D convolution in one group: no reshape then.
  const mm = n.op === 'Reshape' ? n.inputs[0] : n;
  if (mm.op !== 'MatMul') return undefined;
  const { transA, transB } = mm.attrs as AttrsOf<'MatMul'>;
  const [wr, pr] = mm.inputs;
  if (transA || transB || wr.op !== 'Reshape' || pr.op !== 'Reshape') return undefined;
  const w = wr.inputs[0];
  const patches = pr.inputs[0];
  const window = patches.op === 'Im2Col' ? (patches.attrs as AttrsOf<'Im2Col'>) : undefined;
  const image = window ? patches.inputs[0] : patches;
  if (window && window.fill !== 0) return undefined;
  // A 1-D signal is an image of height 1: [N, C, 1, L] from [N, C, L].
  const oneD = w.shape.length === 3;
  const x = oneD ? image.inputs[0] : image;
  if (oneD && (image.op !== 'Reshape' || x.shape.length !== 3 || image.shape[2] !== 1)) return undefined;
  if (image.shape.length !== 4 || w.shape.length !== x.shape.length || n.shape.length !== x.shape.length)
    return undefined;
  const kernel = oneD ? [1, w.shape[2]] : w.shape.slice(2);
  const [outChannels, perGroup] = w.shape as number[];
  const channels = image.shape[1] as number;
  const groups = channels / perGroup;
  const pointwise = kernel.every((k) => k === 1);
  const ok =
    Number.isInteger(groups) &&
    n.shape[1] === outChannels &&
    wr.shape.length === (groups === 1 ? 2 : 3) &&
    (window ? same(window.kernel, kernel) : pointwise);
  return ok ? { x, w, groups, window } : undefined;
}

function emitConv(cx: Lowering, c: ConvParts, bias?: Node): string {
  const oneD = c.x.shape.length === 3;
  const win = c.window;
  const pick = (v: readonly number[]) => (oneD ? [v[1]] : [...v]);
  const attrs = {
    group: attr.int(c.groups),
    kernel_shape: attr.ints(oneD ? [c.w.shape[2] as number] : (c.w.shape.slice(2) as number[])),
    ...(win
      ? {
          strides: attr.ints(pick(win.stride)),
          dilations: attr.ints(pick(win.dilation)),
          pads: attr.ints(
            oneD ? [win.pads[2], win.pads[3]] : [win.pads[0], win.pads[2], win.pads[1], win.pads[3]],
          ),
        }
      : {}),
  };
  const ins = [cx.value(c.x), cx.value(c.w), ...(bias ? [cx.value(bias)] : [])];
  return cx.emit('Conv', ins, attrs);
}

const conv: Recogniser = (n, cx) => {
  const c = convOf(n);
  return c ? emitConv(cx, c) : undefined;
};

/** `conv(...) + reshape(b, [O, 1, ...])`: the bias becomes Conv's third input. */
const convBias: Recogniser = (n, cx) => {
  const [y, br] = n.inputs;
  const c = convOf(y);
  if (!c || br.op !== 'Reshape' || !same(n.shape, y.shape)) return undefined;
  const b = br.inputs[0];
  const ok =
    b.shape.length === 1 &&
    b.shape[0] === y.shape[1] &&
    same(br.shape, [b.shape[0], ...y.shape.slice(2).map(() => 1)]);
  return ok ? emitConv(cx, c, b) : undefined;
};

/**
 * A pool over the last two axes of `x`: ONNX pools [N, C, H, W], so other ranks are reshaped to
 * [rows, 1, H, W] and back.
 */
function pool(
  cx: Lowering,
  opType: string,
  x: Node,
  out: Node,
  extra: Record<string, ReturnType<typeof attr.int>>,
): string {
  const r = x.shape.length;
  const v = cx.value(x);
  const four = r === 4 ? v : reshapeTo(cx, v, [productOfDims(x.shape.slice(0, -2)), 1, ...x.shape.slice(-2)]);
  const pooled = cx.emit(opType, [four], extra);
  return r === 4 ? pooled : reshapeTo(cx, pooled, out.shape);
}

function windowAttrs(w: AttrsOf<'Im2Col'>) {
  return {
    kernel_shape: attr.ints(w.kernel),
    strides: attr.ints(w.stride),
    pads: attr.ints([w.pads[0], w.pads[2], w.pads[1], w.pads[3]]),
  };
}

/** `layers.maxPool`: the first maximum of each window, read with ArgMax and Gather. */
const maxPool: Recogniser = (n, cx) => {
  const [flat, am] = n.inputs;
  const axis = (n.attrs as AttrsOf<'Gather'>).axis;
  const r = flat.shape.length;
  const patches = flat.inputs[0];
  if (flat.op !== 'Reshape' || patches?.op !== 'Im2Col' || am.op !== 'ArgMax' || am.inputs[0] !== flat)
    return undefined;
  const w = patches.attrs as AttrsOf<'Im2Col'>;
  const a = am.attrs as AttrsOf<'ArgMax'>;
  const ok =
    axis === r - 3 &&
    a.axis === r - 3 &&
    !a.keepdims &&
    w.dilation.every((d) => d === 1) &&
    (w.fill === Number.NEGATIVE_INFINITY || w.pads.every((p) => p === 0)) &&
    same(flat.shape, [...patches.shape.slice(0, -4), w.kernel[0] * w.kernel[1], ...patches.shape.slice(-2)]);
  return ok ? pool(cx, 'MaxPool', patches.inputs[0], n, windowAttrs(w)) : undefined;
};

/** `layers.avgPool`: the mean over each window's taps, padded zeros counted. */
const avgPool: Recogniser = (n, cx) => {
  const m = meanOf(n);
  if (m?.x.op !== 'Im2Col' || m.keepdims) return undefined;
  const w = m.x.attrs as AttrsOf<'Im2Col'>;
  const r = m.x.shape.length;
  if (!same(m.axes, [r - 4, r - 3]) || w.fill !== 0 || w.dilation.some((d) => d !== 1)) return undefined;
  return pool(cx, 'AveragePool', m.x.inputs[0], n, { ...windowAttrs(w), count_include_pad: attr.int(1) });
};

const globalAvgPool: Recogniser = (n, cx) => {
  const m = meanOf(n);
  if (m?.x.shape.length !== 4 || !same(m.axes, [2, 3]) || !float(m.x)) return undefined;
  const pooled = cx.emit('GlobalAveragePool', [cx.value(m.x)]);
  return m.keepdims ? pooled : cx.emit('Squeeze', [pooled, axesInput(cx, [2, 3])]);
};

const reduceMean: Recogniser = (n, cx) => {
  const m = meanOf(n);
  if (!m || !float(m.x) || m.axes.length === 0) return undefined;
  return cx.emit('ReduceMean', [cx.value(m.x)], {
    axes: attr.ints(m.axes),
    keepdims: attr.int(m.keepdims ? 1 : 0),
  });
};

/** `(x − μ) / √(σ² + eps)` of the layer norms, μ and the biased σ² taken over `axes` of x itself. */
function standardised(n: Node): { x: Node; axes: readonly number[]; eps: number } | undefined {
  if (n.op !== 'Div') return undefined;
  const [c, s] = n.inputs;
  if (c.op !== 'Sub' || s.op !== 'Sqrt' || s.inputs[0].op !== 'Add') return undefined;
  const [x, mu] = c.inputs;
  const [v, e] = s.inputs[0].inputs;
  const mean = meanOf(mu);
  const variance = meanOf(v);
  const eps = scalar(e);
  const sq = variance?.x;
  const ok =
    mean?.x === x &&
    mean.keepdims &&
    variance?.keepdims &&
    same(variance.axes, mean.axes) &&
    sq?.op === 'Mul' &&
    sq.inputs[0] === c &&
    sq.inputs[1] === c &&
    eps !== undefined;
  return ok ? { x, axes: mean.axes, eps } : undefined;
}

/** `gamma·x̂ + beta`: the three parts. */
function affine(n: Node): { xhat: Node; gamma: Node; beta: Node } | undefined {
  const [m, beta] = n.inputs;
  if (m.op !== 'Mul') return undefined;
  return { xhat: m.inputs[0], gamma: m.inputs[1], beta };
}

const layerNorm: Recogniser = (n, cx) => {
  const a = affine(n);
  const s = a && standardised(a.xhat);
  if (!a || !s) return undefined;
  const r = s.x.shape.length;
  const first = s.axes[0];
  const tail = s.x.shape.slice(first);
  const ok =
    same(s.axes, range(first, r)) && same(a.gamma.shape, tail) && same(a.beta.shape, tail) && float(s.x);
  if (!ok) return undefined;
  return cx.emit('LayerNormalization', [cx.value(s.x), cx.value(a.gamma), cx.value(a.beta)], {
    axis: attr.int(first),
    epsilon: attr.float(s.eps),
  });
};

const instanceNorm: Recogniser = (n, cx) => {
  const a = affine(n);
  const s = a && standardised(a.xhat);
  if (!a || !s || a.gamma.op !== 'Reshape' || a.beta.op !== 'Reshape') return undefined;
  const r = s.x.shape.length;
  const gamma = a.gamma.inputs[0];
  const beta = a.beta.inputs[0];
  const perChannel = [s.x.shape[1], ...range(2, r).map(() => 1)];
  const ok =
    r >= 3 &&
    same(s.axes, range(2, r)) &&
    same(gamma.shape, [s.x.shape[1]]) &&
    same(beta.shape, [s.x.shape[1]]) &&
    same(a.gamma.shape, perChannel) &&
    same(a.beta.shape, perChannel);
  if (!ok) return undefined;
  return cx.emit('InstanceNormalization', [cx.value(s.x), cx.value(gamma), cx.value(beta)], {
    epsilon: attr.float(s.eps),
  });
};

/** The evaluation graph's `batchnorm` on [N, F] (running statistics): ONNX's channel axis 1 is F. */
const batchNorm: Recogniser = (n, cx) => {
  const a = affine(n);
  const d = a?.xhat;
  if (!a || d?.op !== 'Div' || d.inputs[0].op !== 'Sub' || d.inputs[1].op !== 'Sqrt') return undefined;
  const [x, mu] = d.inputs[0].inputs;
  const add = d.inputs[1].inputs[0];
  if (add.op !== 'Add' || x.shape.length !== 2 || !float(x)) return undefined;
  const [variance, e] = add.inputs;
  const eps = scalar(e);
  const f = [x.shape[1]];
  const ok =
    eps !== undefined &&
    [mu, variance, a.gamma, a.beta].every((t) => same(t.shape, f) && t.dtype === x.dtype);
  if (!ok) return undefined;
  return cx.emit(
    'BatchNormalization',
    [x, a.gamma, a.beta, mu, variance].map((t) => cx.value(t)),
    { epsilon: attr.float(eps) },
  );
};

export const composites: { readonly [K in OpName]?: readonly Recogniser[] } = {
  Add: [layerNorm, instanceNorm, batchNorm, convBias, gemm, softplus],
  Sub: [logSoftmax],
  Div: [softmax, avgPool, globalAvgPool, reduceMean],
  Where: [relu, leakyRelu],
  Gather: [maxPool],
  Exp: [sigmoid],
  Reshape: [conv],
  MatMul: [conv],
};
