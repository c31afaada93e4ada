import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bindDims, symbolicDims } from './bind.js';
import { dropout } from './composites.js';
import { GradusError } from './diagnostic.js';
import { grad } from './grad.js';
import { graph } from './graph.js';
import { init } from './init.js';
import { run } from './interpreter.js';
import { randomGraphArb } from './passes/random-graphs.js';
import { validateGraph } from './validate.js';

function net() {
  const g = graph({ seed: 4 });
  const x = g.input('x', ['N', 2]);
  const y = g.input('y', ['N'], 'i32');
  const W = g.param('W', [2, 3], init.glorotUniform());
  const logits = g.withSpan({ start: 1, end: 2 }, () => dropout(x, 0.5).matMul(W));
  const loss = logits.crossEntropy(y).mean();
  g.output('loss', loss, 'loss');
  g.output('logits', logits);
  const [dW] = grad(loss, [W]);
  g.assign('W', W.sub(dW));
  return g;
}

describe('bindDims', () => {
  it('replaces N everywhere, folds Size to a constant, and computes the same results', () => {
    const g = net();
    expect(symbolicDims(g)).toEqual(['N']);
    const h = bindDims(g, { N: 3 });
    expect(symbolicDims(h)).toEqual([]);
    expect(h.inputs.get('x')!.shape).toEqual([3, 2]);
    expect(h.inputs.get('x')!.attrs.shape).toEqual([3, 2]);
    expect(h.nodes.some((n) => n.op === 'Size')).toBe(false);
    // mean over N divides by Size(N), which is now the constant 3.
    const mean = h.outputs.get('loss')!.node;
    expect(mean.op).toBe('Div');
    expect(mean.inputs[1].op).toBe('Const');
    expect(mean.inputs[1].attrs.value).toEqual([3]);
    // Dropout's random op has a concrete shape now.
    const rnd = h.nodes.find((n) => n.op === 'RandomUniform')!;
    expect(rnd.shape).toEqual([3, 2]);
    expect(validateGraph(h)).toEqual([]);
    const feeds = {
      x: [
        [1, 2],
        [3, 4],
        [-1, 0.5],
      ],
      y: [0, 2, 1],
      $step: 1,
    };
    expect(run(h, { feeds, initSeed: 2 })).toEqual(run(g, { feeds, initSeed: 2 }));
  });

  it('keeps spans, roles, options and the random-stream counter', () => {
    const g = net();
    const h = bindDims(g, { N: 5 });
    expect(h.nodes.filter((n) => n.span).length).toBe(g.nodes.filter((n) => n.span).length);
    expect([...h.outputs.keys()]).toEqual(['loss', 'logits']);
    expect([...h.updates.keys()]).toEqual(['W']);
    expect([h.seed, h.streamCount]).toEqual([4, g.streamCount]);
  });

  it('binds only the dims given, and ignores names the graph does not use', () => {
    const g = graph();
    const x = g.input('x', ['N', 'M']);
    g.output('mean', x.mean());
    const h = bindDims(g, { N: 2, K: 7 });
    expect(h.inputs.get('x')!.shape).toEqual([2, 'M']);
    const size = h.nodes.find((n) => n.op === 'Size')!;
    expect(size.attrs.dims).toEqual([2, 'M']);
    expect(symbolicDims(h)).toEqual(['M']);
    // x = [[1, 2, 3], [4, 5, 6]]: mean 3.5.
    expect(
      run(h, {
        feeds: {
          x: [
            [1, 2, 3],
            [4, 5, 6],
          ],
        },
      }).outputs.mean.data[0],
    ).toBe(3.5);
  });

  it('rejects values that are not sizes', () => {
    const g = net();
    for (const bad of [-1, 2.5, Number.NaN]) {
      expect(() => bindDims(g, { N: bad })).toThrow(GradusError);
    }
    try {
      bindDims(g, { N: -1 });
    } catch (e) {
      expect((e as GradusError).code).toBe('E0261');
      expect((e as GradusError).message).toMatch(/N = -1 is not a size/);
    }
  });

  it('errors clearly when a binding contradicts the graph (x[0:5] of an axis N = 3)', () => {
    const g = graph();
    const x = g.input('x', ['N']);
    const head = g.withSpan({ start: 20, end: 27 }, () => x.slice([0], [5]));
    g.output('head', head);
    expect(head.shape).toEqual([5]);
    expect(() => bindDims(g, { N: 8 })).not.toThrow();
    try {
      bindDims(g, { N: 3 });
      expect.unreachable();
    } catch (e) {
      const err = e as GradusError;
      expect(err.code).toBe('E0262');
      expect(err.message).toMatch(
        /with N=3, %1 = Slice\(%0\) is no longer valid: .*range 0:5 is outside axis 0 of size 3/,
      );
      expect(err.diagnostics[0].span).toEqual({ start: 20, end: 27 });
    }
  });

  it('binds random graphs without changing their results (fast-check)', () => {
    fc.assert(
      fc.property(randomGraphArb(), ({ g, feeds, dims }) => {
        const h = bindDims(g, dims);
        expect(symbolicDims(h)).toEqual([]);
        expect(validateGraph(h)).toEqual([]);
        expect(run(h, { feeds })).toEqual(run(g, { feeds, dims }));
      }),
      { numRuns: 100 },
    );
  });
});
