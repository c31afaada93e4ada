import { isFloat } from '../dtype.js';
import { type ArgInfo, defineOp, describeShapes, type Inferred, shapeError } from '../op.js';
import { broadcastShapes, formatShape } from '../shape.js';
import { mapBroadcast, mapUnary } from './kernels.js';

// ---- shape and dtype rules shared by the elementwise family ------------------------------

function unaryFloat(op: string) {
  return ([x]: readonly ArgInfo[]): Inferred => {
    if (!isFloat(x.dtype))
      throw shapeError('E0302', op, `needs a float tensor, got ${x.dtype}${formatShape(x.shape)}`);
    return { shape: x.shape, dtype: x.dtype };
  };
}

function unaryNumeric(op: string) {
  return ([x]: readonly ArgInfo[]): Inferred => {
    if (x.dtype === 'bool')
      throw shapeError('E0302', op, `needs a numeric tensor, got bool${formatShape(x.shape)}`);
    return { shape: x.shape, dtype: x.dtype };
  };
}

function broadcastRule(op: string, args: readonly ArgInfo[]) {
  let shape = args[0].shape;
  for (const a of args.slice(1)) {
    const b = broadcastShapes(shape, a.shape);
    if (!b) throw shapeError('E0303', op, `cannot broadcast ${describeShapes(args)}`);
    shape = b;
  }
  return shape;
}

function binaryArith(op: string, allowInt = true) {
  return (args: readonly ArgInfo[]): Inferred => {
    const [a, b] = args;
    if (a.dtype !== b.dtype)
      throw shapeError('E0304', op, `operands have different dtypes: ${describeShapes(args)}`);
    if (a.dtype === 'bool' || (!allowInt && !isFloat(a.dtype))) {
      throw shapeError(
        'E0302',
        op,
        `needs ${allowInt ? 'numeric' : 'float'} operands, got ${describeShapes(args)}`,
      );
    }
    return { shape: broadcastRule(op, args), dtype: a.dtype };
  };
}

function comparison(op: string) {
  return (args: readonly ArgInfo[]): Inferred => {
    if (args[0].dtype !== args[1].dtype) {
      throw shapeError('E0304', op, `operands have different dtypes: ${describeShapes(args)}`);
    }
    return { shape: broadcastRule(op, args), dtype: 'bool' };
  };
}

// ---- unary ---------------------------------------------------------------------------------

export const Neg = defineOp({
  name: 'Neg',
  arity: 1,
  doc: 'negation, -x',
  elementwise: true,
  infer: unaryNumeric('Neg'),
  evaluate: ([x]) => mapUnary(x, (v) => -v),
  vjp: ({ cot }) => [() => cot.neg()],
});

export const Exp = defineOp({
  name: 'Exp',
  arity: 1,
  doc: 'e^x',
  elementwise: true,
  infer: unaryFloat('Exp'),
  evaluate: ([x]) => mapUnary(x, Math.exp),
  vjp: ({ cot, out }) => [() => cot.mul(out)],
});

export const Log = defineOp({
  name: 'Log',
  arity: 1,
  doc: 'natural logarithm',
  elementwise: true,
  infer: unaryFloat('Log'),
  evaluate: ([x]) => mapUnary(x, Math.log),
  vjp: ({ cot, inputs: [x] }) => [() => cot.div(x)],
});

export const Sqrt = defineOp({
  name: 'Sqrt',
  arity: 1,
  doc: 'square root',
  elementwise: true,
  infer: unaryFloat('Sqrt'),
  evaluate: ([x]) => mapUnary(x, Math.sqrt),
  vjp: ({ cot, out }) => [() => cot.div(out.mul(2))],
});

export const Abs = defineOp({
  name: 'Abs',
  arity: 1,
  doc: '|x|; its gradient at 0 is 0, as in PyTorch',
  elementwise: true,
  infer: unaryNumeric('Abs'),
  evaluate: ([x]) => mapUnary(x, Math.abs),
  vjp: ({ cot, inputs: [x] }) => [() => cot.mul(x.sign())],
});

export const Sign = defineOp({
  name: 'Sign',
  arity: 1,
  doc: 'sign(x) in {-1, 0, 1}; zero gradient',
  elementwise: true,
  infer: unaryNumeric('Sign'),
  evaluate: ([x]) => mapUnary(x, (v) => (v > 0 ? 1 : v < 0 ? -1 : 0)),
  vjp: ({ inputs: [x] }) => [() => x.zerosLike()],
});

export const Sin = defineOp({
  name: 'Sin',
  arity: 1,
  doc: 'sine',
  elementwise: true,
  infer: unaryFloat('Sin'),
  evaluate: ([x]) => mapUnary(x, Math.sin),
  vjp: ({ cot, inputs: [x] }) => [() => cot.mul(x.cos())],
});

export const Cos = defineOp({
  name: 'Cos',
  arity: 1,
  doc: 'cosine',
  elementwise: true,
  infer: unaryFloat('Cos'),
  evaluate: ([x]) => mapUnary(x, Math.cos),
  vjp: ({ cot, inputs: [x] }) => [() => cot.mul(x.sin()).neg()],
});

export const Tanh = defineOp({
  name: 'Tanh',
  arity: 1,
  doc: 'hyperbolic tangent',
  elementwise: true,
  infer: unaryFloat('Tanh'),
  evaluate: ([x]) => mapUnary(x, Math.tanh),
  vjp: ({ cot, out }) => [() => cot.mul(out.mul(out).neg().add(1))],
});

/** Identity whose gradient is zero: used where a value is a numerical device, not a dependency. */
export const StopGradient = defineOp({
  name: 'StopGradient',
  arity: 1,
  doc: 'identity in the forward pass, no gradient',
  elementwise: true,
  infer: ([x]) => ({ shape: x.shape, dtype: x.dtype }),
  evaluate: ([x]) => Float64Array.from(x.data),
  vjp: () => [null],
});

// ---- binary --------------------------------------------------------------------------------

export const Add = defineOp({
  name: 'Add',
  arity: 2,
  doc: 'a + b, broadcasting',
  elementwise: true,
  infer: binaryArith('Add'),
  evaluate: (ins, _a, { out }) => mapBroadcast(ins, out.shape, (a, b) => a + b),
  vjp: ({ cot, inputs: [a, b] }) => [() => cot.unbroadcast(a.shape), () => cot.unbroadcast(b.shape)],
});

export const Sub = defineOp({
  name: 'Sub',
  arity: 2,
  doc: 'a - b, broadcasting',
  elementwise: true,
  infer: binaryArith('Sub'),
  evaluate: (ins, _a, { out }) => mapBroadcast(ins, out.shape, (a, b) => a - b),
  vjp: ({ cot, inputs: [a, b] }) => [() => cot.unbroadcast(a.shape), () => cot.neg().unbroadcast(b.shape)],
});

export const Mul = defineOp({
  name: 'Mul',
  arity: 2,
  doc: 'a * b, broadcasting',
  elementwise: true,
  infer: binaryArith('Mul'),
  evaluate: (ins, _a, { out }) => mapBroadcast(ins, out.shape, (a, b) => a * b),
  vjp: ({ cot, inputs: [a, b] }) => [
    () => cot.mul(b).unbroadcast(a.shape),
    () => cot.mul(a).unbroadcast(b.shape),
  ],
});

export const Div = defineOp({
  name: 'Div',
  arity: 2,
  doc: 'a / b, broadcasting (floats only)',
  elementwise: true,
  infer: binaryArith('Div', false),
  evaluate: (ins, _a, { out }) => mapBroadcast(ins, out.shape, (a, b) => a / b),
  vjp: ({ cot, out, inputs: [a, b] }) => [
    () => cot.div(b).unbroadcast(a.shape),
    () => cot.mul(out).div(b).neg().unbroadcast(b.shape),
  ],
});

export const Pow = defineOp({
  name: 'Pow',
  arity: 2,
  doc: 'a ^ b, broadcasting (floats only)',
  elementwise: true,
  infer: binaryArith('Pow', false),
  evaluate: (ins, _a, { out }) => mapBroadcast(ins, out.shape, (a, b) => a ** b),
  // At a = 0 the exponent's rule out·log(a) is 0·(−∞): PyTorch's convention makes that 0 (0^x is
  // flat in x for x > 0). A constant exponent has no gradient, so that rule is built only when b varies.
  vjp: ({ cot, out, inputs: [a, b] }) => [
    () =>
      cot
        .mul(b)
        .mul(a.pow(b.sub(1)))
        .unbroadcast(a.shape),
    () => a.eq(0).where(0, cot.mul(out).mul(a.log())).unbroadcast(b.shape),
  ],
});

/** Ties split the gradient evenly between the operands, as PyTorch does. */
function tieMask(winner: 'Maximum' | 'Minimum') {
  return defineOp({
    name: winner,
    arity: 2,
    doc: `elementwise ${winner === 'Maximum' ? 'max' : 'min'}, broadcasting; ties share the gradient`,
    elementwise: true,
    infer: binaryArith(winner),
    evaluate: (ins, _a, { out }) =>
      mapBroadcast(
        ins,
        out.shape,
        winner === 'Maximum' ? (a, b) => Math.max(a, b) : (a, b) => Math.min(a, b),
      ),
    vjp: ({ cot, inputs: [a, b] }) => {
      const share = (x: typeof a, y: typeof a) => {
        const wins = winner === 'Maximum' ? x.gt(y) : x.lt(y);
        return wins.castTo(cot.dtype).add(x.eq(y).castTo(cot.dtype).mul(0.5));
      };
      return [
        () => cot.mul(share(a, b)).unbroadcast(a.shape),
        () => cot.mul(share(b, a)).unbroadcast(b.shape),
      ];
    },
  });
}

export const Maximum = tieMask('Maximum');
export const Minimum = tieMask('Minimum');

// ---- comparisons (no gradient) --------------------------------------------------------------

function compare(name: string, f: (a: number, b: number) => boolean) {
  return defineOp({
    name,
    arity: 2,
    doc: `elementwise comparison giving a bool mask`,
    elementwise: true,
    infer: comparison(name),
    evaluate: (ins, _a, { out }) => mapBroadcast(ins, out.shape, (a, b) => (f(a, b) ? 1 : 0)),
    vjp: () => [null, null],
  });
}

export const Equal = compare('Equal', (a, b) => a === b);
export const NotEqual = compare('NotEqual', (a, b) => a !== b);
export const Less = compare('Less', (a, b) => a < b);
export const LessEqual = compare('LessEqual', (a, b) => a <= b);
export const Greater = compare('Greater', (a, b) => a > b);
export const GreaterEqual = compare('GreaterEqual', (a, b) => a >= b);

/** `where(cond, a, b)`: elementwise select, broadcasting all three. */
export const Where = defineOp({
  name: 'Where',
  arity: 3,
  doc: 'cond ? a : b, broadcasting',
  elementwise: true,
  infer: (args) => {
    const [c, a, b] = args;
    if (c.dtype !== 'bool') throw shapeError('E0302', 'Where', `condition must be bool, got ${c.dtype}`);
    if (a.dtype !== b.dtype)
      throw shapeError('E0304', 'Where', `branches have different dtypes: ${describeShapes([a, b])}`);
    return { shape: broadcastRule('Where', args), dtype: a.dtype };
  },
  evaluate: (ins, _a, { out }) => mapBroadcast(ins, out.shape, (c, a, b) => (c ? a : b)),
  vjp: ({ cot, inputs: [c, a, b] }) => {
    const zero = cot.zerosLike();
    return [
      null,
      () => c.where(cot, zero).unbroadcast(a.shape),
      () => c.where(zero, cot).unbroadcast(b.shape),
    ];
  },
});

/** Dtype conversion. Float→int truncates toward zero; anything→bool is `!= 0`. */
export const Cast = defineOp<{ readonly dtype: 'f32' | 'f64' | 'i32' | 'bool' }>({
  name: 'Cast',
  arity: 1,
  doc: 'convert the dtype',
  elementwise: true,
  infer: ([x], { dtype }) => ({ shape: x.shape, dtype }),
  evaluate: ([x], { dtype }) =>
    mapUnary(
      x,
      dtype === 'i32'
        ? (v) => Math.trunc(v) | 0
        : dtype === 'bool'
          ? (v) => (v !== 0 ? 1 : 0)
          : dtype === 'f32'
            ? Math.fround
            : (v) => v,
    ),
  vjp: ({ cot, inputs: [x], attrs }) => [
    isFloat(x.dtype) && isFloat(attrs.dtype) ? () => cot.castTo(x.dtype) : null,
  ],
});
