import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crossEntropy, l2 } from './composites.js';
import { GradusError, ShapeError } from './diagnostic.js';
import { grad } from './grad.js';
import { graph } from './graph.js';
import { init } from './init.js';
import { interpret } from './interpreter.js';
import { type NestedArray, toTensor } from './tensor.js';
import { domains, fixedArg, gradcheck, labelsArb, tensorArb } from './testing/index.js';
import type { Value } from './value.js';

const data = (v: Value, feeds: Record<string, unknown> = {}) =>
  Array.from(interpret([v.node], { feeds: feeds as Record<string, number> })[0].data);

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

// ---- the lectures' two-layer net ------------------------------------------------------------

const N = 4;
const H = 3;
const C = 3;

/** x [N,2] @ W1 [2,H] + b1 → relu → @ W2 + b2 → mean cross-entropy + 1e-3·l2(W1, W2). */
function twoLayerLoss(x: Value, y: Value, W1: Value, b1: Value, W2: Value, b2: Value): Value {
  const logits = x.matMul(W1).add(b1).relu().matMul(W2).add(b2);
  return crossEntropy(logits, y).mean().add(l2(W1, W2).mul(1e-3));
}

/** The hidden pre-activations in plain JS, to keep samples away from relu's kink. */
function hiddenClear(x: NestedArray, W1: NestedArray, b1: NestedArray): boolean {
  const xs = x as number[][];
  const w = W1 as number[][];
  const b = b1 as number[];
  return xs.every((row) => b.every((bj, j) => Math.abs(row[0] * w[0][j] + row[1] * w[1][j] + bj) >= 1e-3));
}

describe("the lectures' two-layer net", () => {
  it('passes gradcheck with respect to all params', () => {
    const sample = fc
      .tuple(
        tensorArb([N, 2]),
        labelsArb([N], C),
        tensorArb([2, H]),
        tensorArb([H]),
        tensorArb([H, C]),
        tensorArb([C]),
      )
      .filter(([x, , W1, b1]) => hiddenClear(x as NestedArray, W1 as NestedArray, b1 as NestedArray));
    fc.assert(
      fc.property(sample, ([x, y, W1, b1, W2, b2]) => {
        const r = gradcheck(twoLayerLoss, [fixedArg(x, 'f64'), y, W1, b1, W2, b2]);
        expect(r.ok, r.message).toBe(true);
        expect(r.perInput.length).toBe(6);
      }),
      // Each run differentiates 21 parameters through the whole net by central differences.
      { numRuns: 20 },
    );
  });

  it('built with params and a symbolic batch, has gradients that match differences of the loss', () => {
    const g = graph({ seed: 7 });
    const x = g.input('x', ['N', 2]);
    const y = g.input('y', ['N'], 'i32');
    const W1 = g.param('W1', [2, H], init.glorotUniform());
    const b1 = g.param('b1', [H], init.uniform(-0.5, 0.5));
    const W2 = g.param('W2', [H, C], init.glorotUniform());
    const b2 = g.param('b2', [C], init.zeros());
    const loss = twoLayerLoss(x, y, W1, b1, W2, b2);
    g.output('loss', loss, 'loss');
    expect(loss.shape).toEqual([]);
    const params = [W1, b1, W2, b2];
    const grads = grad(loss, params);
    grads.forEach((gr, i) => {
      expect(gr.shape).toEqual(params[i].shape);
    });

    const feeds: Record<string, number[] | number[][]> = {
      x: [
        [0.5, -1.2],
        [1.5, 0.3],
        [-0.7, -0.4],
        [0.2, 1.9],
        [-1.1, 0.8],
        [0.9, 0.1],
      ],
      y: [0, 2, 1, 1, 0, 2],
    };
    const initial = interpret(
      params.map((p) => p.node),
      { initSeed: 3, feeds },
    );
    params.forEach((p, i) => {
      feeds[p.node.attrs.name as string] = Array.from(initial[i].data);
    });
    const lossAt = (f: typeof feeds) => interpret([loss.node], { feeds: f })[0].data[0];
    const analytic = interpret(
      grads.map((v) => v.node),
      { feeds },
    );
    const eps = 1e-6;
    params.forEach((p, i) => {
      const name = p.node.attrs.name as string;
      const base = feeds[name] as number[];
      base.forEach((_, j) => {
        const shifted = (d: number) => ({ ...feeds, [name]: base.map((v, k) => (k === j ? v + d : v)) });
        const numeric = (lossAt(shifted(eps)) - lossAt(shifted(-eps))) / (2 * eps);
        expect(analytic[i].data[j], `${name}[${j}]`).toBeCloseTo(numeric, 7);
      });
    });
  });
});

// ---- shape errors ------------------------------------------------------------------------------

describe('builder shape errors', () => {
  it('matMul with mismatched inner dims throws a ShapeError naming the op and both shapes', () => {
    const g = graph();
    const x = g.input('x', [4, 2]);
    const W = g.param('W', [3, 5]);
    const e = caught(() => x.matMul(W));
    expect(e).toBeInstanceOf(ShapeError);
    expect((e as ShapeError).code).toBe('E0301');
    expect((e as Error).message).toMatch(/MatMul/);
    expect((e as Error).message).toContain('[4, 2]');
    expect((e as Error).message).toContain('[3, 5]');
  });

  it('names symbolic dims too', () => {
    const g = graph();
    const x = g.input('x', ['N', 2]);
    const e = caught(() => x.matMul(g.param('W', [3, 5])));
    expect(e).toBeInstanceOf(ShapeError);
    expect((e as Error).message).toContain('[N, 2]');
    expect((e as Error).message).toContain('[3, 5]');
  });

  it('add of shapes that do not broadcast throws a ShapeError naming both', () => {
    const g = graph();
    const e = caught(() => g.input('a', ['N', 3]).add(g.input('b', [4])));
    expect(e).toBeInstanceOf(ShapeError);
    expect((e as Error).message).toMatch(/Add: cannot broadcast f64\[N, 3\] and f64\[4\]/);
  });

  it('a symbolic dim does not broadcast against a number', () => {
    const g = graph();
    expect(() => g.input('a', ['N']).add(g.input('b', [3]))).toThrow(ShapeError);
  });

  it('attaches the current source span to the error', () => {
    const g = graph();
    const x = g.input('x', [4, 2]);
    const W = g.param('W', [3, 5]);
    const e = caught(() => g.withSpan({ start: 10, end: 17 }, () => x.matMul(W)));
    expect(e).toBeInstanceOf(ShapeError);
    expect((e as ShapeError).diagnostics[0].span).toEqual({ start: 10, end: 17 });
  });

  it('primitive binary ops need equal dtypes (the builder promotes, raw ops do not)', () => {
    const g = graph();
    const i = g.input('i', [2], 'i32');
    const f = g.input('f', [2]);
    const e = caught(() => i.op('Add', [f]));
    expect(e).toBeInstanceOf(ShapeError);
    expect((e as ShapeError).code).toBe('E0304');
    expect((e as Error).message).toContain('i32[2]');
    expect((e as Error).message).toContain('f64[2]');
  });

  it('a loss must be a scalar; declaring an input twice with another shape is an error', () => {
    const g = graph();
    const x = g.input('x', [2]);
    expect(() => g.output('loss', x, 'loss')).toThrow(/must be a scalar/);
    expect(() => g.input('x', [3])).toThrow(GradusError);
    expect(g.input('x', [2])).toEqual(x);
  });

  it('out-of-range indices and reshapes are typed errors', () => {
    const g = graph();
    const x = g.input('x', [2, 3]);
    expect(caught(() => x.index([2]))).toBeInstanceOf(GradusError);
    expect(caught(() => x.index([0, 0, 0]))).toBeInstanceOf(GradusError);
    expect(caught(() => x.reshape([4]))).toBeInstanceOf(ShapeError);
    expect(caught(() => x.sum({ axis: 2 }))).toBeInstanceOf(ShapeError);
  });
});

// ---- dtype promotion --------------------------------------------------------------------------

describe('dtype promotion', () => {
  it('i32 + 0.5 becomes the graph float; i32 + 2 stays int', () => {
    const g = graph();
    const i = g.input('i', [2], 'i32');
    const half = i.add(0.5);
    expect(half.dtype).toBe('f64');
    expect(data(half, { i: [1, 2] })).toEqual([1.5, 2.5]);
    expect(i.add(2).dtype).toBe('i32');
    expect(graph({ floatDtype: 'f32' }).input('i', [2], 'i32').add(0.5).dtype).toBe('f32');
  });

  it('division and powers of ints are float; mixing int and float promotes to the float', () => {
    const g = graph({ floatDtype: 'f32' });
    const i = g.input('i', [2], 'i32');
    const d = i.div(2);
    expect(d.dtype).toBe('f32');
    expect(data(d, { i: [3, -1] })).toEqual([1.5, -0.5]);
    expect(i.pow(2).dtype).toBe('f32');
    expect(i.exp().dtype).toBe('f32');
    expect(i.add(g.input('x', [2], 'f64')).dtype).toBe('f64');
  });

  it('mean(bool) is the fraction of true; sum(bool) counts', () => {
    const g = graph();
    const b = g.input('b', [4], 'bool');
    const m = b.mean();
    expect(m.dtype).toBe('f64');
    expect(data(m, { b: [1, 0, 1, 1] })).toEqual([0.75]);
    const s = b.sum();
    expect(s.dtype).toBe('i32');
    expect(data(s, { b: [1, 0, 1, 1] })).toEqual([3]);
    // accuracy = mean(argmax(logits) == y)
    const logits = g.input('z', ['N', 3]);
    const y = g.input('y', ['N'], 'i32');
    const acc = logits.argmax({ axis: 1 }).eq(y).mean();
    expect(acc.dtype).toBe('f64');
    const feeds = {
      z: [
        [0, 2, 1],
        [5, 1, 1],
        [0, 0, 3],
        [1, 0, 0],
      ],
      y: [1, 0, 2, 2],
    };
    expect(data(acc, feeds)).toEqual([0.75]);
  });

  it('bool arithmetic counts as int, comparisons give bool', () => {
    const g = graph();
    const a = g.input('a', [2], 'bool');
    expect(a.add(a).dtype).toBe('i32');
    expect(a.neg().dtype).toBe('i32');
    const i = g.input('i', [2], 'i32');
    const c = i.lt(1.5);
    expect(c.dtype).toBe('bool');
    expect(data(c, { i: [1, 2] })).toEqual([1, 0]);
  });

  it('mean over a symbolic batch dim divides by the bound size', () => {
    const g = graph();
    const x = g.input('x', ['N', 2]);
    const m = x.mean({ axis: 0 });
    expect(m.shape).toEqual([2]);
    expect(
      data(m, {
        x: [
          [1, 2],
          [3, 6],
        ],
      }),
    ).toEqual([2, 4]);
    expect(
      data(m, {
        x: [
          [1, 2],
          [3, 6],
          [5, 1],
          [7, 3],
        ],
      }),
    ).toEqual([4, 3]);
  });
});

// ---- counter-based randomness through the builder ---------------------------------------------

describe('counter-based random ops in a graph', () => {
  it('give the same numbers for the same (seed, stream, step) and different ones for another step', () => {
    const build = (seed: number) => {
      const g = graph({ seed });
      const x = g.input('x', [64]);
      return x.mul(
        g.value(g.add('RandomNormal', [g.stepInput()], { shape: [64], dtype: 'f64', seed, stream: 0 })),
      );
    };
    const ones = new Array(64).fill(1);
    const at = (seed: number, step: number) => data(build(seed), { x: ones, $step: step });
    expect(at(1, 10)).toEqual(at(1, 10));
    expect(at(1, 10)).not.toEqual(at(1, 11));
    expect(at(1, 10)).not.toEqual(at(2, 10));
  });
});

describe('literal data', () => {
  it('a ragged constant is an error', () => {
    expect(() => graph().constant([[1, 2], [3]])).toThrow(/ragged/);
  });

  it('a feed of the wrong shape is an error naming the input', () => {
    const g = graph();
    const x = g.input('x', ['N', 2]);
    expect(() => interpret([x.node], { feeds: { x: [1, 2, 3] } })).toThrow(/'x' expects shape \[N, 2\]/);
    expect(toTensor([[1, 2]]).shape).toEqual([1, 2]);
  });

  it('domains keep tensors in range', () => {
    fc.assert(
      fc.property(tensorArb([3], domains.positive), (t) => {
        expect((t as number[]).every((v) => v >= 0.1)).toBe(true);
      }),
      { numRuns: 20 },
    );
  });
});
