import { describe, expect, it } from 'vitest';
import { type Graph, graph } from '../graph.js';
import { interpret, run } from '../interpreter.js';
import type { Node } from '../node.js';
import type { Shape } from '../shape.js';
import { validateGraph } from '../validate.js';
import { constantFold, optimize, simplify } from './index.js';
import { countLiveNodes } from './rewrite.js';

/** A graph with inputs x f64[2, 3] and v f64[3] whose output `out` is built by `build`. */
function withOutput(build: (g: Graph, x: Node, v: Node) => Node): Graph {
  const g = graph();
  const x = g.input('x', [2, 3]).node;
  const v = g.input('v', [3]).node;
  g.output('out', build(g, x, v));
  return g;
}

const c = (g: Graph, value: number[], shape: Shape = []) =>
  g.add('Const', [], { value, shape, dtype: 'f64' });
const feeds = {
  x: [
    [1, -2, 3],
    [0.5, 4, -6],
  ],
  v: [10, 20, 30],
};
const out = (g: Graph) => g.outputs.get('out')!.node;
const data = (g: Graph) => Array.from(run(g, { feeds }).outputs.out.data);

describe('simplify: symbolic zeros and ones', () => {
  it('x + 0 → x, and 0 + x, x − 0', () => {
    for (const build of [
      (g: Graph, x: Node) => g.add('Add', [x, c(g, [0])]),
      (g: Graph, x: Node) => g.add('Add', [c(g, [0]), x]),
      (g: Graph, x: Node) => g.add('Sub', [x, c(g, [0, 0, 0], [3])]),
    ]) {
      const h = simplify(withOutput(build));
      expect(out(h)).toBe(h.inputs.get('x'));
    }
  });

  it('a broadcasting x + 0 with the bigger zero becomes BroadcastTo(x), keeping the shape', () => {
    const g = withOutput((g, _x, v) => g.add('Add', [v, c(g, [0, 0, 0, 0, 0, 0], [2, 3])]));
    const h = simplify(g);
    expect(out(h).op).toBe('BroadcastTo');
    expect(out(h).inputs[0]).toBe(h.inputs.get('v'));
    expect(out(h).shape).toEqual([2, 3]);
    expect(data(h)).toEqual([10, 20, 30, 10, 20, 30]);
  });

  it('0 − x → −x', () => {
    const h = simplify(withOutput((g, x) => g.add('Sub', [c(g, [0]), x])));
    expect(out(h).op).toBe('Neg');
    expect(data(h)).toEqual([-1, 2, -3, -0.5, -4, 6]);
  });

  it('x * 1, 1 * x, x / 1, x ^ 1 → x', () => {
    for (const op of ['Mul', 'Div', 'Pow'] as const) {
      const h = simplify(withOutput((g, x) => g.add(op, [x, c(g, [1])])));
      expect(out(h)).toBe(h.inputs.get('x'));
    }
    const h = simplify(withOutput((g, x) => g.add('Mul', [c(g, [1]), x])));
    expect(out(h)).toBe(h.inputs.get('x'));
  });

  it('x * 0 and 0 * x → zeros of the result shape (x assumed finite)', () => {
    const h = simplify(withOutput((g, x) => g.add('Mul', [c(g, [0]), g.add('Exp', [x])])));
    expect(out(h).op).toBe('BroadcastTo');
    expect(out(h).inputs[0].op).toBe('Const');
    expect(countLiveNodes(h)).toBe(4); // x, v, 0, BroadcastTo: the Exp is gone
    expect(data(h)).toEqual([0, 0, 0, 0, 0, 0]);
    // The zero already has the result's shape: it is the result.
    const h2 = simplify(withOutput((g, x) => g.add('Mul', [x, c(g, [0, 0, 0, 0, 0, 0], [2, 3])])));
    expect(out(h2).op).toBe('Const');
  });

  it('x * −1 → −x; x ^ 0 → ones; −(−x) → x', () => {
    const h = simplify(withOutput((g, x) => g.add('Mul', [x, c(g, [-1])])));
    expect(out(h).op).toBe('Neg');
    expect(out(h).inputs[0]).toBe(h.inputs.get('x'));
    const h2 = simplify(withOutput((g, x) => g.add('Pow', [x, c(g, [0])])));
    expect(out(h2).op).toBe('Const');
    expect(data(h2)).toEqual([1, 1, 1, 1, 1, 1]);
    const h3 = simplify(withOutput((g, x) => g.add('Neg', [g.add('Neg', [x])])));
    expect(out(h3)).toBe(h3.inputs.get('x'));
  });

  it('x + (−y) → x − y and x − (−y) → x + y', () => {
    const h = simplify(withOutput((g, x, v) => g.add('Add', [x, g.add('Neg', [v])])));
    expect(out(h).op).toBe('Sub');
    expect(data(h)).toEqual([1 - 10, -2 - 20, 3 - 30, 0.5 - 10, 4 - 20, -6 - 30]);
    const h2 = simplify(withOutput((g, x, v) => g.add('Sub', [x, g.add('Neg', [v])])));
    expect(out(h2).op).toBe('Add');
    expect(data(h2)).toEqual([11, 18, 33, 10.5, 24, 24]);
  });

  it('where with a constant condition or equal branches picks a branch', () => {
    const t = (g: Graph) => g.add('Const', [], { value: [1], shape: [], dtype: 'bool' });
    const f = (g: Graph) => g.add('Const', [], { value: [0], shape: [], dtype: 'bool' });
    const h = simplify(withOutput((g, x, v) => g.add('Where', [t(g), x, v])));
    expect(out(h)).toBe(h.inputs.get('x'));
    const h2 = simplify(withOutput((g, x, v) => g.add('Where', [f(g), x, v])));
    expect(out(h2).op).toBe('BroadcastTo');
    expect(data(h2)).toEqual([10, 20, 30, 10, 20, 30]);
    const h3 = simplify(withOutput((g, x, v) => g.add('Where', [g.add('Greater', [x, v]), x, x])));
    expect(out(h3)).toBe(h3.inputs.get('x'));
  });
});

describe('simplify: shape ops', () => {
  it('removes identity reshapes, transposes, broadcasts, casts, slices, pads and empty reductions', () => {
    const identities: ((g: Graph, x: Node) => Node)[] = [
      (g, x) => g.add('Reshape', [x], { shape: [2, 3] }),
      (g, x) => g.add('Transpose', [x], { perm: [0, 1] }),
      (g, x) => g.add('BroadcastTo', [x], { shape: [2, 3] }),
      (g, x) => g.add('Cast', [x], { dtype: 'f64' }),
      (g, x) => g.add('Slice', [x], { starts: [0, 0], ends: [null, 3] }),
      (g, x) => g.add('Pad', [x], { before: [0, 0], shape: [2, 3] }),
      (g, x) => g.add('Sum', [x], { axes: [], keepdims: false }),
      (g, x) => g.add('Concat', [x], { axis: 1 }),
      (g, x) => g.add('StopGradient', [g.add('StopGradient', [x])]),
    ];
    for (const build of identities) {
      const h = simplify(withOutput(build));
      const o = out(h);
      expect(o === h.inputs.get('x') || (o.op === 'StopGradient' && o.inputs[0] === h.inputs.get('x'))).toBe(
        true,
      );
    }
  });

  it('merges reshape chains and composes transposes', () => {
    const h = simplify(
      withOutput((g, x) => g.add('Reshape', [g.add('Reshape', [x], { shape: [6] })], { shape: [3, 2] })),
    );
    expect(out(h).op).toBe('Reshape');
    expect(out(h).inputs[0]).toBe(h.inputs.get('x'));
    // Rank 3: perm [1, 2, 0] twice is [2, 0, 1]: output axis i is x's axis p[p[i]].
    const g = graph();
    const y = g.input('y', [2, 3, 4]).node;
    const t = g.add('Transpose', [g.add('Transpose', [y], { perm: [1, 2, 0] })], { perm: [1, 2, 0] });
    g.output('out', t);
    const h2 = simplify(g);
    expect(out(h2).attrs.perm).toEqual([2, 0, 1]);
    expect(out(h2).shape).toEqual([4, 2, 3]);
    // Two different perms: p = [1, 0, 2] then q = [2, 0, 1] is [p[2], p[0], p[1]] = [2, 1, 0].
    const g2 = graph();
    const w = g2.input('w', [2, 3, 4]).node;
    g2.output(
      'out',
      g2.add('Transpose', [g2.add('Transpose', [w], { perm: [1, 0, 2] })], { perm: [2, 0, 1] }),
    );
    const h4 = simplify(g2);
    expect(out(h4).attrs.perm).toEqual([2, 1, 0]);
    const wv = { w: Array.from({ length: 24 }, (_, i) => i) };
    expect(run(h4, { feeds: wv }).outputs.out).toEqual(run(g2, { feeds: wv }).outputs.out);
    // Three times is the identity.
    g.output('out', g.add('Transpose', [t], { perm: [1, 2, 0] }));
    const h3 = simplify(g);
    expect(out(h3)).toBe(h3.inputs.get('y'));
  });

  it('reads a transposed matmul operand through the transA/transB flags', () => {
    const g = graph();
    const a = g.input('a', [3, 2]).node;
    const b = g.input('b', [3, 4]).node;
    g.output(
      'out',
      g.add('MatMul', [g.add('Transpose', [a], { perm: [1, 0] }), b], { transA: false, transB: false }),
    );
    const h = simplify(g);
    expect(out(h).op).toBe('MatMul');
    expect(out(h).attrs).toEqual({ transA: true, transB: false });
    expect(out(h).inputs[0]).toBe(h.inputs.get('a'));
    const fed = {
      a: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      b: [
        [1, 0, 0, 1],
        [0, 1, 0, 1],
        [0, 0, 1, 1],
      ],
    };
    // aᵀ b by hand: rows of aᵀ are [1, 3, 5] and [2, 4, 6].
    expect(Array.from(run(h, { feeds: fed }).outputs.out.data)).toEqual([1, 3, 5, 9, 2, 4, 6, 12]);
  });

  it('absorbs a broadcast into an elementwise op, and a reshape into a reduction', () => {
    const h = simplify(
      withOutput((g, x, v) => g.add('Mul', [x, g.add('BroadcastTo', [v], { shape: [2, 3] })])),
    );
    expect(out(h).inputs.map((n) => n.op)).toEqual(['Input', 'Input']);
    expect(data(h)).toEqual([10, -40, 90, 5, 80, -180]);
    const h2 = simplify(
      withOutput((g, x) =>
        g.add('Reshape', [g.add('Sum', [x], { axes: [1], keepdims: false })], { shape: [2, 1] }),
      ),
    );
    expect(out(h2).op).toBe('Sum');
    expect(out(h2).attrs).toEqual({ axes: [1], keepdims: true });
    expect(data(h2)).toEqual([2, -1.5]);
  });

  it('never changes a node’s shape: x * 0 with a scalar zero keeps x’s shape [2, 3]', () => {
    const h = simplify(withOutput((g, x) => g.add('Mul', [x, c(g, [0])])));
    expect(out(h).shape).toEqual([2, 3]);
    expect(validateGraph(h)).toEqual([]);
  });
});

describe('constant folding', () => {
  it('folds ops on constants with the interpreter, but not random ops or big results', () => {
    const g = graph();
    const a = c(g, [1, 2, 3], [3]);
    const b = c(g, [-Infinity]);
    g.output('sum', g.add('Add', [a, g.add('Neg', [a])]));
    g.output('max', g.add('Maximum', [a, b]));
    g.output('log', g.add('Log', [c(g, [0])]));
    g.output(
      'big',
      g.add('Sum', [g.add('BroadcastTo', [c(g, [1])], { shape: [100, 50] })], { axes: [0], keepdims: false }),
    );
    g.output(
      'rand',
      g.add('RandomUniform', [g.stepInput()], { shape: [2], dtype: 'f64', seed: 1, stream: 0 }),
    );
    const h = constantFold(g);
    const op = (name: string) => h.outputs.get(name)!.node;
    expect(op('sum').op).toBe('Const');
    expect(op('sum').attrs.value).toEqual([0, 0, 0]);
    expect(op('max').attrs.value).toEqual([1, 2, 3]);
    expect(op('log').attrs.value).toEqual([-Infinity]);
    // Sum of ones over 100 rows: 50 values of 100 (50 elements, small enough to fold).
    expect(op('big').attrs.value).toEqual(new Array(50).fill(100));
    expect(op('rand').op).toBe('RandomUniform');
    expect(validateGraph(h)).toEqual([]);
  });

  it('does not fold results of more than 4096 elements', () => {
    const g = graph();
    const big = g.add('Reshape', [c(g, new Array(4097).fill(2), [4097])], { shape: [1, 4097] });
    g.output('big', big);
    g.output('small', g.add('Reshape', [c(g, new Array(4096).fill(2), [4096])], { shape: [1, 4096] }));
    const h = constantFold(g);
    expect(h.outputs.get('big')!.node.op).toBe('Reshape');
    expect(h.outputs.get('small')!.node.op).toBe('Const');
  });

  it('folds through broadcast literals of known shape only', () => {
    const g = graph();
    const zero = c(g, [2]);
    g.output(
      'known',
      g.add('Sum', [g.add('BroadcastTo', [zero], { shape: [3, 2] })], { axes: [0, 1], keepdims: false }),
    );
    g.output(
      'symbolic',
      g.add('Sum', [g.add('BroadcastTo', [zero], { shape: ['N'] })], { axes: [0], keepdims: false }),
    );
    const h = constantFold(g);
    expect(h.outputs.get('known')!.node.attrs.value).toEqual([12]); // six 2s
    expect(h.outputs.get('symbolic')!.node.op).toBe('Sum');
  });

  it('folds Size of known dims', () => {
    const g = graph();
    g.output('n', g.add('Size', [], { dims: [3, 4], dtype: 'f64' }));
    g.output('m', g.add('Size', [], { dims: ['N', 4], dtype: 'f64' }));
    const h = constantFold(g);
    expect(h.outputs.get('n')!.node.attrs.value).toEqual([12]);
    expect(h.outputs.get('m')!.node.op).toBe('Size');
  });
});

describe('optimize', () => {
  it('composes the passes to a fixed point: ((x·1 + 0)ᵀ)ᵀ · (2 − 2) + v → v broadcast', () => {
    const g = withOutput((g, x, v) => {
      const t = g.add('Transpose', [g.add('Add', [g.add('Mul', [x, c(g, [1])]), c(g, [0])])], {
        perm: [1, 0],
      });
      const tt = g.add('Transpose', [t], { perm: [1, 0] });
      const zero = g.add('Sub', [c(g, [2]), c(g, [2])]);
      return g.add('Add', [g.add('Mul', [tt, zero]), v]);
    });
    const h = optimize(g);
    expect(out(h).op).toBe('BroadcastTo');
    expect(out(h).inputs[0]).toBe(h.inputs.get('v'));
    expect(data(h)).toEqual([10, 20, 30, 10, 20, 30]);
  });

  it('evaluates a folded graph like the original, including −Infinity constants', () => {
    const g = withOutput((g, x) => g.add('Maximum', [x, g.add('Neg', [c(g, [Infinity])])]));
    const h = optimize(g);
    expect(h.nodes.some((n) => n.op === 'Neg')).toBe(false);
    const [a] = interpret([out(g)], { feeds });
    const [b] = interpret([out(h)], { feeds });
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });
});
