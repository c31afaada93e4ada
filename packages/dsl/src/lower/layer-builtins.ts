/**
 * The layer built-ins: convolution, pooling, normalisation, embedding, maxout, flattening and the
 * noise layers, each a thin reading of its arguments over `@gradus/autodiff`'s layers (which
 * check shapes and values). A mistake in `padding` or `mode` is reported at that argument.
 */
import {
  avgPool,
  conv1d,
  conv2d,
  embedding,
  flatten,
  gaussianNoise,
  globalAvgPool,
  instancenorm,
  layernorm,
  maxout,
  maxPool,
  type Padding,
  type StochasticMode,
  stochasticDepth,
  unflatten,
  type Value,
} from '@gradus/autodiff';
import type { Args, Builtin, ParamSpec } from './builtins.js';
import { fail } from './errors.js';
import type { Val } from './values.js';

const t = (v: Value): Val => ({ kind: 'tensor', v });
const X: ParamSpec = { name: 'x', kind: 'tensor' };

/** An integer or list of integers that must be there. */
function ints(a: Args, name: string): number | number[] {
  const v = a.axes(name);
  if (v === undefined) return fail('E0103', `${a.callee} needs the argument '${name}'`, a.callSpan);
  return v;
}

const conv = (f: typeof conv2d, doc: string): Builtin => ({
  doc,
  params: [
    X,
    { name: 'W', kind: 'tensor' },
    { name: 'stride', kind: 'axes', optional: true },
    { name: 'padding', kind: 'padding', optional: true },
    { name: 'dilation', kind: 'axes', optional: true },
    { name: 'groups', kind: 'int', optional: true },
    { name: 'bias', kind: 'tensor', optional: true },
  ],
  call: (a) => {
    const [x, w, bias] = [a.tensor('x'), a.tensor('W'), a.optionalTensor('bias')];
    const opts = {
      stride: a.axes('stride') ?? 1,
      padding: (a.padding('padding') ?? 0) as Padding,
      dilation: a.axes('dilation') ?? 1,
      groups: a.int('groups', 1),
      ...(bias ? { bias } : {}),
    };
    return t(a.blame('padding', 'E0332', () => f(x, w, opts)));
  },
});

const pool = (f: typeof maxPool, doc: string): Builtin => ({
  doc,
  params: [
    X,
    { name: 'size', kind: 'axes' },
    { name: 'stride', kind: 'axes', optional: true },
    { name: 'padding', kind: 'axes', optional: true },
  ],
  call: (a) => {
    const x = a.tensor('x');
    const size = ints(a, 'size');
    const stride = a.axes('stride');
    const padding = a.axes('padding') ?? 0;
    return t(
      a.blame('padding', 'E0332', () => f(x, size, { ...(stride === undefined ? {} : { stride }), padding })),
    );
  },
});

const mode = (a: Args, fallback: StochasticMode): StochasticMode =>
  a.string('mode', fallback) as StochasticMode;

export const LAYER_BUILTINS: Readonly<Record<string, Builtin>> = {
  conv2d: conv(
    conv2d,
    '2-D cross-correlation of x [N, C, H, W] with W [O, C/groups, KH, KW] (PyTorch F.conv2d)',
  ),
  conv1d: conv(conv1d, '1-D cross-correlation of x [N, C, L] with W [O, C/groups, K] (PyTorch F.conv1d)'),
  max_pool: pool(maxPool, 'max over windows of the last two axes; the gradient goes to the first maximum'),
  avg_pool: pool(avgPool, 'mean over windows of the last two axes (padded zeros count)'),
  global_avg_pool: {
    doc: 'mean over the last two axes: [N, C, H, W] → [N, C]',
    params: [X],
    call: (a) => t(globalAvgPool(a.tensor('x'))),
  },
  layernorm: {
    doc: 'layer normalisation over the axes from axis to the last (PyTorch F.layer_norm)',
    params: [
      X,
      { name: 'gamma', kind: 'tensor' },
      { name: 'beta', kind: 'tensor' },
      { name: 'axis', kind: 'int', optional: true },
      { name: 'eps', kind: 'number', optional: true },
    ],
    call: (a) =>
      t(
        layernorm(a.tensor('x'), a.tensor('gamma'), a.tensor('beta'), {
          axis: a.int('axis', -1),
          eps: a.number('eps', 1e-5),
        }),
      ),
  },
  instancenorm: {
    doc: 'instance normalisation of x [N, C, ...] over its spatial axes (PyTorch F.instance_norm)',
    params: [
      X,
      { name: 'gamma', kind: 'tensor' },
      { name: 'beta', kind: 'tensor' },
      { name: 'eps', kind: 'number', optional: true },
    ],
    call: (a) =>
      t(instancenorm(a.tensor('x'), a.tensor('gamma'), a.tensor('beta'), { eps: a.number('eps', 1e-5) })),
  },
  embedding: {
    doc: 'rows of table [V, D] for int ids: [..., D]; the gradient scatter-adds into the table',
    params: [
      { name: 'table', kind: 'tensor' },
      { name: 'ids', kind: 'tensor' },
    ],
    call: (a) => t(embedding(a.tensor('table'), a.tensor('ids'))),
  },
  stop_gradient: {
    doc: 'x in the forward pass; no gradient flows through it',
    params: [X],
    call: (a) => t(a.tensor('x').stopGradient()),
  },
  maxout: {
    doc: 'maxout: axis of size D as D/pieces units of pieces values, each keeping its largest',
    params: [X, { name: 'pieces', kind: 'int' }, { name: 'axis', kind: 'int', optional: true }],
    call: (a) => t(maxout(a.tensor('x'), a.int('pieces'), a.int('axis', -1))),
  },
  flatten: {
    doc: 'merge the axes start_axis..end_axis into one (PyTorch torch.flatten, nn.Flatten)',
    params: [
      X,
      { name: 'start_axis', kind: 'int', optional: true },
      { name: 'end_axis', kind: 'int', optional: true },
    ],
    call: (a) => t(flatten(a.tensor('x'), a.int('start_axis', 1), a.int('end_axis', -1))),
  },
  unflatten: {
    doc: 'split one axis into sizes (one may be -1) (PyTorch torch.unflatten)',
    params: [X, { name: 'axis', kind: 'int' }, { name: 'sizes', kind: 'axes' }],
    call: (a) => {
      const sizes = ints(a, 'sizes');
      return t(unflatten(a.tensor('x'), a.int('axis'), typeof sizes === 'number' ? [sizes] : sizes));
    },
  },
  gaussian_noise: {
    doc: 'adds N(0, std²) noise in training; the identity in evaluation',
    params: [X, { name: 'std', kind: 'number' }],
    call: (a) => {
      const x = a.tensor('x');
      const std = a.number('std');
      return t(a.blame('std', 'E0338', () => gaussianNoise(x, std)));
    },
  },
  stochastic_depth: {
    doc: 'drops a residual branch per example with probability 1 − survive in training; scales it by survive in evaluation ("vanilla")',
    params: [
      { name: 'branch', kind: 'tensor' },
      { name: 'survive', kind: 'number' },
      { name: 'mode', kind: 'string', optional: true },
    ],
    call: (a) => {
      const branch = a.tensor('branch');
      const survive = a.number('survive');
      const m = mode(a, 'vanilla');
      return t(
        a.blame('survive', 'E0338', () =>
          a.blame('mode', 'E0338', () => stochasticDepth(branch, survive, m)),
        ),
      );
    },
  },
};
