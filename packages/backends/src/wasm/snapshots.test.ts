import { grad, graph, init } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import { wasm } from './index.js';

describe('wasm kernel listing snapshots', () => {
  it('sum(tanh(x) * x) and its gradient: one fused SIMD loop each', async () => {
    const g = graph({ floatDtype: 'f32' });
    const x = g.input('x', [1000]);
    const y = x.tanh().mul(x).sum();
    g.output('y', y);
    g.output('dx', grad(y, [x])[0]);
    await expect(wasm.compile(g, { threads: 1 }).source()).toMatchFileSnapshot(
      './__snapshots__/tanh-sum.wasm.snap',
    );
  });

  it('a dense layer with softmax', async () => {
    const g = graph();
    const x = g.input('x', [4, 3]);
    const W = g.param('W', [3, 5], init.glorotUniform());
    const b = g.param('b', [5]);
    g.output('p', x.matMul(W).add(b).softmax());
    await expect(wasm.compile(g, { threads: 1 }).source()).toMatchFileSnapshot(
      './__snapshots__/dense-softmax.wasm.snap',
    );
  });

  it('an SGD training step with x @ Wᵀ, its products split across two threads', async () => {
    const g = graph({ floatDtype: 'f32' });
    const x = g.input('x', [256, 300]);
    const W = g.param('W', [200, 300], init.glorotUniform());
    const loss = x.matMul(W, { transB: true }).square().mean();
    const [gW] = grad(loss, [W]);
    g.output('loss', loss, 'loss');
    g.assign('W', W.sub(gW.mul(0.01)));
    await expect(wasm.compile(g, { threads: 2 }).source()).toMatchFileSnapshot(
      './__snapshots__/sgd-step.wasm.snap',
    );
  });
});
