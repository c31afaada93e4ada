import { crossEntropy, grad, graph, init } from '@gradus/autodiff';
import { expect, it } from 'vitest';
import { gpu } from '../index.js';
import { data } from '../testing/parity.js';
import { describeGpu } from './describe-gpu.js';
import { GpuExecutable } from './executable.js';

describeGpu('gpu textures', () => {
  it('stay flat over 10,000 training steps (params and momentum on the GPU, dead textures deleted)', () => {
    const g = graph({ floatDtype: 'f32' });
    const x = g.input('x', ['N', 4]);
    const y = g.input('y', ['N'], 'i32');
    const W = g.param('W', [4, 3], init.glorotUniform());
    const b = g.param('b', [3]);
    const m = g.state('mW', [4, 3], init.zeros());
    const loss = crossEntropy(x.matMul(W).add(b), y).mean();
    const [gW, gb] = grad(loss, [W, b]);
    g.output('loss', loss, 'loss');
    const mNext = m.mul(0.9).add(gW);
    g.assign('mW', mNext);
    g.assign('W', W.sub(mNext.mul(0.1)));
    g.assign('b', b.sub(gb.mul(0.1)));
    const feeds = { x: data([8, 4], 1), y: [0, 1, 2, 0, 1, 2, 0, 1] };
    const ex = gpu.compile(g, { outputs: [] });
    const first = gpu.compile(g).run(feeds).loss.data[0];
    // Warm-up: each kernel settles on its own output texture once a variable holds its last one.
    for (let s = 0; s < 3; s++) ex.run(feeds);
    const held = ex.liveTextures;
    const gl = GpuExecutable.glTextures();
    expect(held).toBe(3); // W, b, mW: nothing else survives a run
    for (let s = 0; s < 10_000; s++) {
      ex.run(feeds);
      if (s % 1000 === 999) {
        expect(ex.liveTextures).toBe(held);
        expect(GpuExecutable.glTextures()).toBe(gl);
      }
    }
    const W1 = ex.read('W');
    expect(W1.data.every(Number.isFinite)).toBe(true);
    const last = gpu.compile(g).run({ ...feeds, W: W1, b: ex.read('b') }).loss.data[0];
    expect(last).toBeLessThan(first);
    ex.dispose();
    expect(ex.liveTextures).toBe(0);
  }, 300_000);

  it('swapped variables and variables passed through to outputs keep their own textures', () => {
    const g = graph({ floatDtype: 'f32' });
    const a = g.param('a', [2]);
    const b = g.param('b', [2]);
    g.output('a', a);
    g.assign('a', b);
    g.assign('b', a);
    const ex = gpu.compile(g);
    ex.write('a', [1, 2]);
    ex.write('b', [3, 4]);
    for (let s = 0; s < 5; s++) ex.run({});
    expect(Array.from(ex.read('a').data)).toEqual([3, 4]);
    expect(Array.from(ex.read('b').data)).toEqual([1, 2]);
    expect(ex.liveTextures).toBe(2);
  });
});

describeGpu('gpu bound runs', () => {
  it('run on the inputs written into them, like run(feeds)', () => {
    const g = graph({ floatDtype: 'f32' });
    const x = g.input('x', ['N', 4]);
    const W = g.param('W', [4, 3], init.glorotUniform());
    g.output('loss', x.matMul(W).square().mean(), 'loss');
    g.assign('W', W.mul(0.5));
    const bound = gpu.compile(g).bind({ N: 8 });
    const plain = gpu.compile(g);
    const feeds = { x: data([8, 4], 1) };
    bound.inputs.x.set(feeds.x.data);
    for (let s = 0; s < 3; s++) {
      bound.run(s);
      expect(bound.scalar('loss')).toBe(plain.run(feeds).loss.data[0]);
    }
    expect(() => bound.scalar('los')).toThrow(/did you mean 'loss'/);
  });
});
