import { crossEntropy, GradusError, grad, graph, init } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import type { Backend } from './backend.js';
import { js, wasm } from './index.js';
import { data } from './testing/parity.js';

function sgdStep() {
  const g = graph({ floatDtype: 'f32', seed: 4 });
  const x = g.input('x', ['N', 6]);
  const y = g.input('y', ['N'], 'i32');
  const W = g.param('W', [6, 3], init.glorotUniform());
  const logits = x.matMul(W).tanh();
  const loss = crossEntropy(logits, y).mean();
  const [gW] = grad(loss, [W]);
  g.output('loss', loss, 'loss');
  g.output('p', logits.softmax());
  g.assign('W', W.sub(gW.mul(0.5)));
  return g;
}

const N = 10;
const x = data([N, 6], 3);
const y = Array.from({ length: N }, (_, i) => i % 3);

describe.each([
  ['js', js],
  ['wasm', wasm],
] as [string, Backend][])('bound runs on %s', (_name, backend) => {
  it('run on what is written into the inputs, exactly like run(feeds)', () => {
    const bound = backend.compile(sgdStep()).bind({ N });
    const plain = backend.compile(sgdStep());
    expect(Object.keys(bound.inputs).sort()).toEqual(['x', 'y']);
    bound.inputs.x.set(x.data);
    bound.inputs.y.set(y);
    for (let step = 0; step < 5; step++) {
      bound.run(step);
      const want = plain.run({ x, y });
      expect(bound.scalar('loss')).toBe(want.loss.data[0]);
      expect(bound.scalar('p')).toBe(want.p.data[0]);
    }
  });

  it('names a missing output, and refuses to run once a variable has moved', () => {
    const g = graph();
    const v = g.state('v', ['K'], { kind: 'zeros' });
    const inc = g.input('inc', ['K']);
    g.output('first', v.sum());
    g.assign('v', v.add(inc));
    const exe = backend.compile(g);
    exe.write('v', [1, 2, 3]);
    const bound = exe.bind({ K: 3 });
    bound.inputs.inc.set([1, 1, 1]);
    bound.run();
    expect(bound.scalar('first')).toBe(6);
    expect(Array.from(exe.read('v').data)).toEqual([2, 3, 4]);
    expect(() => bound.scalar('firs')).toThrow(/no output named 'firs' \(did you mean 'first'\?\)/);
    exe.write('v', [1, 2, 3, 4, 5]);
    expect(() => bound.run()).toThrow(GradusError);
    expect(() => bound.run()).toThrow(/bind again/);
  });
});
