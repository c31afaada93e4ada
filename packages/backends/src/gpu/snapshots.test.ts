import { crossEntropy, grad, graph, init } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import { gpuKernelSource } from './source.js';

// Kernel generation needs no GPU context, so these run everywhere.
describe('generated gpu.js kernels', () => {
  it('sum(tanh(x) * x) and its gradient: one fused kernel each', async () => {
    const g = graph({ floatDtype: 'f32' });
    const x = g.input('x', [1000]);
    const y = x.tanh().mul(x).sum();
    g.output('y', y);
    g.output('dx', grad(y, [x])[0]);
    await expect(gpuKernelSource(g)).toMatchFileSnapshot('./__snapshots__/tanh-sum.gpu.snap');
  });

  it('a dense layer with softmax', async () => {
    const g = graph({ floatDtype: 'f32' });
    const x = g.input('x', ['N', 3]);
    const W = g.param('W', [3, 5], init.glorotUniform());
    const b = g.param('b', [5]);
    g.output('p', x.matMul(W).add(b).softmax());
    await expect(gpuKernelSource(g, { dims: { N: 4 } })).toMatchFileSnapshot(
      './__snapshots__/dense-softmax.gpu.snap',
    );
  });

  it('an SGD step of softmax regression: matmuls with transposed operands, gather/one-hot, update', async () => {
    const g = graph({ floatDtype: 'f32' });
    const x = g.input('x', [8, 3]);
    const y = g.input('y', [8], 'i32');
    const W = g.param('W', [3, 4], init.glorotUniform());
    const loss = crossEntropy(x.matMul(W), y).mean();
    const [gW] = grad(loss, [W]);
    g.output('loss', loss, 'loss');
    g.assign('W', W.sub(gW.mul(0.01)));
    await expect(gpuKernelSource(g)).toMatchFileSnapshot('./__snapshots__/sgd-step.gpu.snap');
  });

  it('random ops are generated on the host and uploaded', () => {
    const g = graph({ floatDtype: 'f32', seed: 3 });
    const step = g.stepInput();
    g.output('u', g.value(g.add('RandomUniform', [step], { shape: [3], dtype: 'f32', seed: 3, stream: 1 })));
    expect(gpuKernelSource(g)).toContain('generated on the host');
  });
});
