/**
 * Every primitive of the IR as ONNX (opset 17) nodes. The table is typed over `OpName`, so a new
 * primitive is a compile error here until it is lowered or declared to have no ONNX form.
 * Composites that ONNX has as one op (Softmax, Conv, …) are recognised before these run
 * (`composites.ts`); what is left lowers op by op.
 */
import { type AttrsOf, type Dim, type Node, type OpName, subDims } from '@gradus/autodiff';
import { attr, type Lowering, noOnnxForm } from './context.js';
import { ElemType } from './onnx-proto.js';

type Rule<K extends OpName> = (node: Node & { readonly attrs: AttrsOf<K> }, cx: Lowering) => string;

/** What the leaves lower to is decided by the exporter (graph inputs, initialisers). */
type LeafOp = 'Input' | 'Variable';

const unary =
  (opType: string) =>
  (n: Node, cx: Lowering): string =>
    cx.emit(opType, [cx.value(n.inputs[0])]);

const binary =
  (opType: string) =>
  (n: Node, cx: Lowering): string =>
    cx.emit(
      opType,
      n.inputs.map((i) => cx.value(i)),
    );

/** int64 axes as an input tensor (ReduceSum, Unsqueeze and Squeeze take them so from opset 13). */
export const axesInput = (cx: Lowering, axes: readonly number[]): string =>
  cx.constant(axes, [axes.length], 'i64');

/** The matrix product, transposing an operand's last two axes where the IR says so. */
export function matMul(cx: Lowering, a: Node, b: Node, transA: boolean, transB: boolean): string {
  const swap = (n: Node, name: string) => {
    const r = n.shape.length;
    const perm = [...Array(r).keys()];
    [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
    return cx.emit('Transpose', [name], { perm: attr.ints(perm) });
  };
  const va = cx.value(a);
  const vb = cx.value(b);
  if (a.shape.length === 2 && b.shape.length === 2 && (transA || transB))
    return cx.emit('Gemm', [va, vb], { transA: attr.int(transA ? 1 : 0), transB: attr.int(transB ? 1 : 0) });
  return cx.emit('MatMul', [transA ? swap(a, va) : va, transB ? swap(b, vb) : vb]);
}

/** `Im2Col` without a composite around it: pad, then one strided slice per kernel tap, stacked. */
function im2col(n: Node & { readonly attrs: AttrsOf<'Im2Col'> }, cx: Lowering): string {
  const { kernel, stride, dilation, pads, fill } = n.attrs;
  const x = n.inputs[0];
  const r = x.shape.length;
  const [oh, ow] = n.shape.slice(-2) as number[];
  let src = cx.value(x);
  if (pads.some((p) => p !== 0)) {
    const zeros = new Array(r - 2).fill(0);
    src = cx.emit('Pad', [
      src,
      cx.constant([...zeros, pads[0], pads[2], ...zeros, pads[1], pads[3]], [2 * r], 'i64'),
      cx.constant([fill], [], x.dtype),
    ]);
  }
  const taps: string[] = [];
  for (let i = 0; i < kernel[0]; i++) {
    for (let j = 0; j < kernel[1]; j++) {
      const starts = [i * dilation[0], j * dilation[1]];
      const ends = [starts[0] + stride[0] * (oh - 1) + 1, starts[1] + stride[1] * (ow - 1) + 1];
      const tap = cx.emit('Slice', [
        src,
        cx.constant(starts, [2], 'i64'),
        cx.constant(ends, [2], 'i64'),
        axesInput(cx, [r - 2, r - 1]),
        cx.constant(stride, [2], 'i64'),
      ]);
      taps.push(cx.emit('Unsqueeze', [tap, axesInput(cx, [r - 2])]));
    }
  }
  const stacked = taps.length === 1 ? taps[0] : cx.emit('Concat', taps, { axis: attr.int(r - 2) });
  return reshape(cx, stacked, n.shape);
}

function reshape(cx: Lowering, x: string, shape: readonly Dim[]): string {
  // One symbolic size is left to Reshape's -1; more are computed from the inputs' shapes.
  const symbolic = shape.filter((d) => typeof d !== 'number').length;
  const target =
    symbolic === 1 && !shape.includes(0) ? shape.map((d) => (typeof d === 'number' ? d : -1)) : shape;
  return cx.emit('Reshape', [x, cx.sizes(target)], shape.includes(0) ? { allowzero: attr.int(1) } : {});
}

export { reshape as reshapeTo };

const notExpressible = (why: string) => (n: Node) => {
  throw noOnnxForm(n, why);
};

export const primitives: { readonly [K in Exclude<OpName, LeafOp>]: Rule<K> } = {
  Const: (n, cx) => {
    if (!n.shape.every((d) => typeof d === 'number')) throw noOnnxForm(n, 'a constant of symbolic shape');
    return cx.constant(n.attrs.value, n.shape as number[], n.dtype);
  },
  Size: (n, cx) => {
    const { dims } = n.attrs;
    if (dims.every((d) => typeof d === 'number'))
      return cx.constant([(dims as number[]).reduce((p, d) => p * d, 1)], [], n.dtype);
    const count = cx.emit('ReduceProd', [cx.sizes(dims)], {
      keepdims: attr.int(0),
    });
    return cx.emit('Cast', [count], { to: attr.int(cx.elem(n.dtype)) });
  },
  Neg: unary('Neg'),
  Exp: unary('Exp'),
  Log: unary('Log'),
  Sqrt: unary('Sqrt'),
  Abs: unary('Abs'),
  Sign: unary('Sign'),
  Sin: unary('Sin'),
  Cos: unary('Cos'),
  Tanh: unary('Tanh'),
  StopGradient: (n, cx) => cx.value(n.inputs[0]),
  Cast: (n, cx) => cx.emit('Cast', [cx.value(n.inputs[0])], { to: attr.int(cx.elem(n.attrs.dtype)) }),
  Add: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  Div: binary('Div'),
  Pow: binary('Pow'),
  Maximum: binary('Max'),
  Minimum: binary('Min'),
  Equal: binary('Equal'),
  NotEqual: (n, cx) => cx.emit('Not', [binary('Equal')(n, cx)]),
  Less: binary('Less'),
  LessEqual: binary('LessOrEqual'),
  Greater: binary('Greater'),
  GreaterEqual: binary('GreaterOrEqual'),
  Where: binary('Where'),
  Sum: (n, cx) => {
    const x = cx.value(n.inputs[0]);
    if (n.attrs.axes.length === 0) return x;
    return cx.emit('ReduceSum', [x, axesInput(cx, n.attrs.axes)], {
      keepdims: attr.int(n.attrs.keepdims ? 1 : 0),
    });
  },
  Max: (n, cx) => reduceAttr('ReduceMax', n, cx),
  Min: (n, cx) => reduceAttr('ReduceMin', n, cx),
  ArgMax: (n, cx) => {
    const i64 = cx.emit('ArgMax', [cx.value(n.inputs[0])], {
      axis: attr.int(n.attrs.axis),
      keepdims: attr.int(n.attrs.keepdims ? 1 : 0),
    });
    return cx.emit('Cast', [i64], { to: attr.int(ElemType.INT32) });
  },
  MatMul: (n, cx) => matMul(cx, n.inputs[0], n.inputs[1], n.attrs.transA, n.attrs.transB),
  Reshape: (n, cx) => reshape(cx, cx.value(n.inputs[0]), n.attrs.shape),
  Transpose: (n, cx) => cx.emit('Transpose', [cx.value(n.inputs[0])], { perm: attr.ints(n.attrs.perm) }),
  BroadcastTo: (n, cx) => cx.emit('Expand', [cx.value(n.inputs[0]), cx.sizes(n.attrs.shape)]),
  Slice: (n, cx) => {
    const x = n.inputs[0];
    const axes = x.shape.flatMap((d, i) =>
      n.attrs.starts[i] === 0 && (n.attrs.ends[i] === null || n.attrs.ends[i] === d) ? [] : [i],
    );
    if (axes.length === 0) return cx.value(x);
    return cx.emit('Slice', [
      cx.value(x),
      cx.sizes(axes.map((i) => n.attrs.starts[i])),
      cx.sizes(axes.map((i) => n.attrs.ends[i] ?? x.shape[i])),
      axesInput(cx, axes),
    ]);
  },
  Pad: (n, cx) => {
    const x = n.inputs[0];
    const { before, shape } = n.attrs;
    const after = shape.map((d, i) => subDims(subDims(d, before[i]), x.shape[i]));
    return cx.emit('Pad', [cx.value(x), cx.sizes([...before, ...after])]);
  },
  Concat: (n, cx) =>
    cx.emit(
      'Concat',
      n.inputs.map((i) => cx.value(i)),
      { axis: attr.int(n.attrs.axis) },
    ),
  Gather: (n, cx) => {
    const axis = axesInput(cx, [n.attrs.axis]);
    const idx = cx.emit('Unsqueeze', [cx.value(n.inputs[1]), axis]);
    const picked = cx.emit('GatherElements', [cx.value(n.inputs[0]), idx], { axis: attr.int(n.attrs.axis) });
    return cx.emit('Squeeze', [picked, axis]);
  },
  OneHot: (n, cx) => {
    const { depth, axis, dtype } = n.attrs;
    const idx = n.inputs[0];
    const classes = cx.constant(
      [...Array(depth).keys()],
      [depth, ...idx.shape.slice(axis).map(() => 1)],
      'i32',
    );
    const hot = cx.emit('Equal', [cx.emit('Unsqueeze', [cx.value(idx), axesInput(cx, [axis])]), classes]);
    return dtype === 'bool' ? hot : cx.emit('Cast', [hot], { to: attr.int(cx.elem(dtype)) });
  },
  Take: (n, cx) => cx.emit('Gather', [cx.value(n.inputs[0]), cx.value(n.inputs[1])], { axis: attr.int(0) }),
  ScatterAdd: (n, cx) => {
    const [src, ids] = n.inputs;
    const zeros = cx.emit('ConstantOfShape', [cx.sizes(n.shape)], {
      value: attr.tensor({
        name: 'zero',
        dims: [1],
        dataType: cx.elem(n.dtype),
        raw: new Uint8Array(n.dtype === 'f64' ? 8 : 4),
      }),
    });
    const idx = cx.emit('Unsqueeze', [
      cx.emit('Cast', [cx.value(ids)], { to: attr.int(ElemType.INT64) }),
      axesInput(cx, [ids.shape.length]),
    ]);
    return cx.emit('ScatterND', [zeros, idx, cx.value(src)], { reduction: attr.string('add') });
  },
  Im2Col: im2col,
  Col2Im: notExpressible(
    'ONNX has Col2Im only from opset 18 (the export is opset 17); it appears in gradients, not in an evaluation graph',
  ),
  RandomUniform: notExpressible(
    "Gradus's random numbers are a function of (seed, stream, step, element) that ONNX's RandomUniform does not reproduce; export the evaluation graph, which has no dropout or noise",
  ),
  RandomNormal: notExpressible(
    "Gradus's random numbers are a function of (seed, stream, step, element) that ONNX's RandomNormal does not reproduce; export the evaluation graph, which has no dropout or noise",
  ),
};

function reduceAttr(opType: string, n: Node & { readonly attrs: AttrsOf<'Max'> }, cx: Lowering): string {
  const x = cx.value(n.inputs[0]);
  if (n.attrs.axes.length === 0) return x;
  return cx.emit(opType, [x], {
    axes: attr.ints(n.attrs.axes),
    keepdims: attr.int(n.attrs.keepdims ? 1 : 0),
  });
}
