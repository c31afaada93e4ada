/**
 * A builder-API graph that uses every op of the IR the shared models do not, under names no
 * `.model` file could declare (dots, quotes, newlines, `*\/`, `$`, reserved words), to
 * prove the emitters' kernels and escaping on one program.
 */
import {
  avgPool,
  concat,
  conv2d,
  embedding,
  flatten,
  type Graph,
  graph,
  init,
  maxPool,
} from '@gradus/autodiff';
import type { ModelInfo } from '../lower/index.js';

export interface EmitInput {
  readonly graph: Graph;
  readonly model: Pick<ModelInfo, 'name'>;
}

export function allOpsGraph(): EmitInput {
  const g = graph({ seed: 5 });
  const N = '$N';
  const x = g.input('x-in', [N, 3]);
  const labels = g.input('class', [N], 'i32');
  const W = g.param('W.1', [3, 4], init.glorotUniform());
  const V = g.param('constructor', [2, 3, 4], init.normal(0.5));
  const s = g.state('bn "running"\nmean', [4], init.ones());

  const h = x.matMul(W).tanh().add(s); // [N, 4], reads state
  const batched = V.matMul(h, { transB: true }); // [2, 3, N]: batch broadcast, transposed operand
  const t = batched.transpose([2, 0, 1]); // [N, 2, 3]
  const sl = t.slice([0, 1, 0], [null, 2, 3]); // [N, 1, 3]
  const padded = sl.pad([0, 0, 1], [N, 1, 5]); // [N, 1, 5]
  const joined = concat([padded, padded.sin(), padded.cos()], 1); // [N, 3, 5]
  const noise = g.value(
    g.add('RandomNormal', [g.stepInput()], { shape: [3, 5], dtype: 'f64', seed: 5, stream: g.nextStream() }),
  );
  const z = joined.add(noise.mul(0.01)); // broadcast [N, 3, 5] + [3, 5]
  const lo = z.min({ axis: 2 }); // [N, 3]
  const hi = z.max({ axis: 1, keepdims: true }); // [N, 1, 5]
  const smooth = z.abs().add(1).sqrt().log().add(z.exp().mul(0.1)).add(z.pow(2));
  const clipped = z.maximum(-0.5).minimum(0.5).mul(z.sign());
  const masked = z.le(0.2).where(z.ge(-0.2).where(z, 1), z.ne(0.3).where(2, z.eq(0).where(3, 4)));
  const rounded = z.castTo('f32').castTo('f64');
  const logits = lo.add(labels.oneHot(3).mul(0.5)); // [N, 3]
  const loss = logits
    .crossEntropy(labels)
    .mean()
    .add(smooth.mean())
    .add(clipped.sum())
    .add(masked.mean())
    .add(rounded.mul(hi).mean())
    .add(z.lt(0).castTo('f64').sum());
  g.output('probs', logits.softmax());
  g.output('best', logits.argmax({ axis: 1, keepdims: true }));
  g.output('positive', z.gt(0));
  g.output('accuracy', logits.argmax({ axis: 1 }).eq(labels).castTo('f64').mean(), 'metric');
  g.output('loss', loss, 'loss');
  g.assign(s.node.attrs.name as string, s.mul(0.9).add(h.mean({ axis: 0 }).stopGradient().mul(0.1)));
  return { graph: g, model: { name: 'All "ops"\n*/ model' } };
}

/**
 * Symbolic dims the emitted code must solve for: `x: [N, M]` alone cannot give N or M, but after
 * `y: [M]` binds M it gives N; K occurs in no input at all, so it must come from `options.dims`.
 */
export function symbolicDimsGraph(): EmitInput {
  const g = graph();
  const x = g.input('x', ['N', 'M']);
  const y = g.input('y', ['M']);
  const w = g.param('w', [1], init.literal([0.5]));
  const k = g.value(g.add('Size', [], { dims: ['K', 'N'], dtype: 'f64' }));
  g.output('loss', x.add(y).mul(w).square().sum().div(k), 'loss');
  return { graph: g, model: { name: 'Dims' } };
}

/**
 * Compound dims the emitted code computes from the bound names and checks: `-1` reshapes through
 * `N*T`, slices of a symbolic axis (`T - 1`), and a quotient (`N*T/2`) that must be whole.
 */
export function compoundDimsGraph(): EmitInput {
  const g = graph();
  const x = g.input('x', ['N', 'T', 2]);
  const t = g.input('t', ['T']); // binds T, so x then binds N
  const flat = x.reshape([-1, 2]); // [N*T, 2]
  const back = flat.reshape([-1, 'T', 2]); // [N, T, 2]
  const next = back.index(['all', { start: 1 }]); // [N, T - 1, 2]
  const prev = back.index(['all', { end: -1 }]); // [N, T - 1, 2]
  const pairs = flat.reshape([-1, 4]); // [N*T/2, 4]
  const w = g.param('w', [2], init.literal([0.5, -1]));
  const loss = next
    .sub(prev)
    .mul(w)
    .square()
    .mean()
    .add(pairs.sum({ axis: 1 }).square().mean())
    .add(t.mean());
  g.output('loss', loss, 'loss');
  g.output('steps', next.sub(prev));
  return { graph: g, model: { name: 'Compound' } };
}

/**
 * The window and row ops over a symbolic batch: a padded, biased convolution, padded max
 * pooling and average pooling (Im2Col, and Col2Im in the gradient), and an embedding (Take, and
 * ScatterAdd in the gradient).
 */
export function layersGraph(): EmitInput {
  const g = graph({ seed: 3 });
  const x = g.input('img', ['N', 2, 6, 5]);
  const y = g.input('y', ['N'], 'i32');
  const ids = g.input('ids', ['N', 3], 'i32');
  const w1 = g.param('w1', [4, 2, 3, 3], init.glorotUniform());
  const b1 = g.param('b1', [4], init.normal(0.1));
  const table = g.param('table', [5, 2], init.normal(1));
  const dense = g.param('dense', [14, 3], init.glorotUniform());
  const h = maxPool(conv2d(x, w1, { padding: 1, bias: b1 }).relu(), 2, { padding: 1 }); // [N, 4, 4, 3]
  const pooled = flatten(avgPool(h, 2)); // [N, 8]
  const features = concat([pooled, flatten(embedding(table, ids))], 1); // [N, 14]
  g.output('loss', features.matMul(dense).crossEntropy(y).mean(), 'loss');
  return { graph: g, model: { name: 'Layers' } };
}
