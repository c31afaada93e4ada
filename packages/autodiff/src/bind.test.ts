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

describe('compound dims (N*T, N - 1, N/4)', () => {
  it('infers -1 symbolically, as NumPy does with sizes', () => {
    const g = graph();
    const x = g.input('x', ['N', 'T', 3]);
    const flat = x.reshape([-1, 3]);
    expect(flat.shape).toEqual(['N*T', 3]);
    const back = flat.reshape([-1, 'T', 3]);
    expect(back.shape).toEqual(['N', 'T', 3]);
    // N*T*3 and (N*T)*3 are one size, so these reshapes need no -1 to line up.
    expect(x.reshape(['T*N', 3]).shape).toEqual(['N*T', 3]);
    expect(x.reshape([-1]).shape).toEqual(['3*N*T']);
    expect(x.reshape([-1, 2]).shape).toEqual(['3*N*T/2', 2]);
  });

  it('refuses more than one -1, other negative sizes, and sizes that cannot divide', () => {
    const g = graph();
    const W = g.input('W', [2, 3]);
    const x = g.input('x', ['N', 3]);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return [(e as GradusError).code, (e as GradusError).message];
      }
      return undefined;
    };
    expect(code(() => W.reshape([-2, -3]))).toEqual([
      'E0305',
      'E0305: Reshape: cannot reshape [2, 3] to [-2, -3]: a size must be ≥ 0 (only -1, "the size that fits", may be negative)',
    ]);
    expect(code(() => W.reshape([-1, -1]))?.[1]).toMatch(/at most one dim may be -1/);
    expect(code(() => W.reshape([-1, 4]))?.[1]).toMatch(/6 elements do not divide into rows of 4/);
    expect(code(() => x.reshape([-1, 'N + 1']))?.[1]).toMatch(
      /its 3\*N elements are not a multiple of N \+ 1/,
    );
    // The op itself refuses negative sizes too (a graph from JSON or the raw builder).
    expect(code(() => g.add('Reshape', [W.node], { shape: [-2, -3] }))?.[0]).toBe('E0305');
  });

  it('slices a symbolic axis by bounds that are dims, and pads back', () => {
    const g = graph();
    const x = g.input('x', ['N', 'T']);
    const next = x.index(['all', { start: 1 }]);
    const prev = x.index(['all', { end: -1 }]);
    const last = x.index(['all', -1]);
    expect([next.shape, prev.shape, last.shape]).toEqual([['N', 'T - 1'], ['N', 'T - 1'], ['N']]);
    const padded = next.pad([0, 1], x.shape);
    expect(padded.shape).toEqual(['N', 'T']);
    g.output('d', next.sub(prev));
    g.output('last', last);
    g.output('padded', padded);
    const feeds = {
      x: [
        [1, 2, 4],
        [0, 5, 3],
      ],
    };
    const { outputs } = run(g, { feeds });
    expect(Array.from(outputs.d.data)).toEqual([1, 2, 5, -2]);
    expect(Array.from(outputs.last.data)).toEqual([4, 3]);
    expect(Array.from(outputs.padded.data)).toEqual([0, 2, 4, 0, 5, 3]);
    const [dx] = grad(next.sub(prev).mul(next).sum(), [x]);
    expect(dx.shape).toEqual(['N', 'T']);
  });

  it('binds compound input dims from the feeds, solving for the one unknown name', () => {
    const g = graph();
    const x = g.input('x', ['N*T', 2]);
    const y = g.input('y', ['N']);
    g.output('s', x.sum().add(y.sum()));
    const feeds = { x: Array.from({ length: 6 }, () => [1, 1]), y: [1, 2] };
    expect(run(g, { feeds }).outputs.s.data[0]).toBe(15);
    try {
      run(g, { feeds: { x: Array.from({ length: 5 }, () => [1, 1]), y: [1, 2] } });
      expect.unreachable();
    } catch (e) {
      expect((e as GradusError).code).toBe('E0402');
      expect((e as GradusError).message).toMatch(
        /'x' has 5 along N\*T, which no whole, non-negative size T gives/,
      );
    }
  });

  it('reports a batch that is not divisible as declared, naming the dims, the values and the span', () => {
    const g = graph();
    const x = g.input('x', ['N', 6]);
    const pieces = g.withSpan({ start: 40, end: 58 }, () => x.reshape([-1, 4]));
    expect(pieces.shape).toEqual(['3*N/2', 4]);
    g.output('m', pieces.max({ axis: 1 }).sum());
    const ok = run(g, { feeds: { x: Array.from({ length: 2 }, () => [1, 2, 3, 4, 5, 6]) } });
    expect(ok.outputs.m.data[0]).toBe(4 + 6 + 6);
    for (const attempt of [
      () => run(g, { feeds: { x: [[1, 2, 3, 4, 5, 6]] } }),
      () => bindDims(g, { N: 3 }),
    ]) {
      try {
        attempt();
        expect.unreachable();
      } catch (e) {
        const d = (e as GradusError).diagnostics[0];
        expect(d.code).toBe('E0263');
        expect(d.message).toMatch(/with N = [13], the dim 3\*N\/2 is [14]\.5, not a size/);
        expect(d.span).toEqual({ start: 40, end: 58 });
        expect(d.hint).toBe('N must be a multiple of 2');
      }
    }
  });

  it('round-trips symbolic shapes through bindDims and keeps the results (N*T)', () => {
    const g = graph();
    const x = g.input('x', ['N', 'T', 2]);
    const flat = x.reshape([-1, 2]);
    g.output(
      'y',
      flat
        .index([{ start: 1 }])
        .reshape([-1])
        .sum(),
    );
    const h = bindDims(g, { N: 2 });
    expect(h.inputs.get('x')!.shape).toEqual([2, 'T', 2]);
    expect(symbolicDims(h)).toEqual(['T']);
    expect(validateGraph(h)).toEqual([]);
    const feeds = {
      x: [
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        [
          [7, 8],
          [9, 10],
          [11, 12],
        ],
      ],
    };
    expect(run(h, { feeds })).toEqual(run(g, { feeds }));
  });
});
