import { crossEntropy, GradusError, grad, graph, init, run, type Tensor } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import { js as cpu } from '../index.js';
import { compareTensors, data } from '../testing/parity.js';

function sgdGraph() {
  const g = graph();
  const x = g.input('x', ['N', 4]);
  const y = g.input('y', ['N'], 'i32');
  const W = g.param('W', [4, 3], init.glorotUniform());
  const b = g.param('b', [3]);
  const loss = crossEntropy(x.matMul(W).add(b), y).mean();
  const [gW, gb] = grad(loss, [W, b]);
  g.output('loss', loss, 'loss');
  g.assign('W', W.sub(gW.mul(0.1)));
  g.assign('b', b.sub(gb.mul(0.1)));
  return g;
}

describe('cpu backend', () => {
  it('runs 50 SGD steps exactly as the interpreter does', () => {
    const g = sgdGraph();
    const ex = cpu.compile(g, { seed: 3 });
    const feeds = { x: data([8, 4], 1), y: [0, 1, 2, 0, 1, 2, 2, 1] };
    let vars: Record<string, Tensor> = { W: ex.read('W'), b: ex.read('b') };
    for (let step = 0; step < 50; step++) {
      const got = ex.run(feeds);
      const want = run(g, { feeds: { ...feeds, ...vars } });
      expect(compareTensors('loss', got.loss, want.outputs.loss, 1e-12)).toEqual([]);
      vars = want.updates;
    }
    expect(compareTensors('W', ex.read('W'), vars.W, 1e-12)).toEqual([]);
    expect(compareTensors('b', ex.read('b'), vars.b, 1e-12)).toEqual([]);
    expect(ex.read('W').data[0]).not.toBe(run(g, { feeds, initSeed: 3 }).updates.W.data[0]);
  });

  it('initialises variables like the interpreter, and read/write round-trip', () => {
    const g = sgdGraph();
    const ex = cpu.compile(g, { seed: 5 });
    expect(ex.variables).toEqual(['W', 'b']);
    const want = run(g, { feeds: { x: data([2, 4], 1), y: [0, 1] }, initSeed: 5 });
    const got = ex.run({ x: data([2, 4], 1), y: [0, 1] });
    expect(compareTensors('loss', got.loss, want.outputs.loss, 1e-12)).toEqual([]);
    ex.write('b', [1, 2, 3]);
    expect(Array.from(ex.read('b').data)).toEqual([1, 2, 3]);
    expect(() => ex.write('b', [1, 2])).toThrow(GradusError);
    expect(() => ex.read('B')).toThrow(/no variable named 'B'/);
  });

  it('compiles one specialisation per binding of the symbolic dims', () => {
    const g = graph();
    const x = g.input('x', ['N', 3]);
    const W = g.param('W', [3, 2], init.literal([1, 2, 3, 4, 5, 6]));
    g.output('y', x.matMul(W).relu().mean({ axis: 0 }));
    g.output(
      'n',
      x
        .sum()
        .mul(0)
        .add(g.value(g.add('Size', [], { dims: ['N'], dtype: 'f64' }))),
    );
    const ex = cpu.compile(g);
    for (const n of [2, 5, 2, 5]) {
      const feeds = { x: data([n, 3], n) };
      const got = ex.run(feeds);
      const want = run(g, { feeds: { ...feeds, W: ex.read('W') } });
      expect(compareTensors('y', got.y, want.outputs.y, 1e-12)).toEqual([]);
      expect(got.n.data[0]).toBe(n);
    }
    expect(ex.specialisations).toBe(2);
    expect(ex.source({ N: 2 })).not.toEqual(ex.source({ N: 5 }));
    expect(ex.source({ N: 2 })).toContain('6');
  });

  it('returns only the requested outputs and defaults $step to 0', () => {
    const g = graph({ seed: 9 });
    const x = g.input('x', [3]);
    g.output('d', x.mul(2));
    const step = g.stepInput();
    g.output('u', g.value(g.add('RandomUniform', [step], { shape: [3], dtype: 'f64', seed: 9, stream: 0 })));
    const ex = cpu.compile(g, { outputs: ['u'] });
    const got = ex.run({ x: [1, 2, 3] });
    expect(Object.keys(got)).toEqual(['u']);
    expect(Array.from(got.u.data)).toEqual(Array.from(run(g, { feeds: { x: [1, 2, 3] } }).outputs.u.data));
    expect(() => cpu.compile(g, { outputs: ['dd'] })).toThrow(/did you mean 'd'/);
  });

  it('generated run and commit allocate nothing (buffers are planned up front)', () => {
    const g = sgdGraph();
    const src = cpu.compile(g).source({ N: 16 });
    const body = src.slice(src.indexOf('function run()'));
    expect(body).not.toMatch(/\bnew\b|\[\s*\]|\{\s*\}|Array\.|\.slice\(|\.map\(/);
  });

  it('splits large products with a helper thread without changing any result', () => {
    const g = graph({ floatDtype: 'f32' });
    const a = g.input('a', [70, 33]);
    const b = g.input('b', [33, 20]);
    const bt = g.input('bt', [20, 33]);
    const at = g.input('at', [33, 70]);
    g.output('nn', a.matMul(b));
    g.output('nt', a.matMul(bt, { transB: true }).tanh());
    g.output('tn', at.matMul(b, { transA: true }));
    g.output('tt', at.matMul(bt, { transA: true, transB: true }));
    const feeds = {
      a: data([70, 33], 1),
      b: data([33, 20], 2),
      bt: data([20, 33], 3),
      at: data([33, 70], 4),
    };
    const ex = cpu.compile(g, { threads: 2, parallelMin: 1 });
    expect(ex.source()).toContain('R.mmStart(');
    const want = run(g, { feeds, precision: 'f32' });
    for (let i = 0; i < 3; i++) {
      const got = ex.run(feeds);
      expect(Array.from(got.nn.data)).toEqual(Array.from(want.outputs.nn.data));
      for (const k of ['nt', 'tn', 'tt'])
        expect(Array.from(got[k].data)).toEqual(Array.from(want.outputs[k].data));
    }
    expect(ex.source().match(/R\.mmStart\(/g)?.length).toBe(4);
    ex.dispose();
  });

  describe('bad feeds give GradusErrors with the interpreter codes', () => {
    const g = graph();
    const x = g.input('x', ['N', 3]);
    const z = g.input('z', ['N']);
    const y = g.input('y', ['N'], 'i32');
    g.output('o', x.sum({ axis: 1 }).add(z).add(y.castTo('f64')));
    const ex = cpu.compile(g);
    const ok = { x: data([2, 3], 1), z: [1, 2], y: [0, 1] };
    const cases: [string, Record<string, unknown>, string][] = [
      ['missing input', { x: ok.x, z: ok.z }, 'E0403'],
      ['wrong rank', { ...ok, x: [1, 2, 3] }, 'E0401'],
      ['wrong fixed dim', { ...ok, x: data([2, 4], 1) }, 'E0401'],
      ['conflicting symbolic dim', { ...ok, z: [1, 2, 3] }, 'E0402'],
      ['non-integer label', { ...ok, y: [0.5, 1] }, 'E0405'],
      ['a string', { ...ok, z: 'abc' }, 'E0401'],
      ['null', { ...ok, z: null }, 'E0401'],
      [
        'ragged',
        {
          ...ok,
          x: [
            [1, 2, 3],
            [1, 2],
          ],
        },
        'E0401',
      ],
    ];
    for (const [what, feeds, code] of cases) {
      it(what, () => {
        let err: unknown;
        try {
          ex.run(feeds as never);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(GradusError);
        expect((err as GradusError).code).toBe(code);
      });
    }
    it('NaN is data, not an error', () => {
      expect(Number.isNaN(ex.run({ ...ok, z: [Number.NaN, 1] }).o.data[0])).toBe(true);
    });
    it('accepts typed arrays and tensors', () => {
      const got = ex.run({
        x: { shape: [2, 3], dtype: 'f64', data: data([2, 3], 1).data },
        z: Float32Array.of(1, 2),
        y: Int32Array.of(0, 1),
      });
      expect(got.o.shape).toEqual([2]);
    });
  });
});

describe('symbolic shapes under a binding', () => {
  it('refuses a batch that is not divisible as declared, at the reshape that needs it', () => {
    const g = graph();
    const x = g.input('x', ['N', 6]);
    const pieces = g.withSpan({ start: 10, end: 30 }, () => x.reshape([-1, 4]));
    g.output('m', pieces.max({ axis: 1 }).sum());
    const ex = cpu.compile(g);
    expect(ex.run({ x: data([4, 6], 1) }).m.shape).toEqual([]);
    let err: GradusError | undefined;
    try {
      ex.run({ x: data([3, 6], 1) });
    } catch (e) {
      err = e as GradusError;
    }
    expect(err?.code).toBe('E0263');
    expect(err?.diagnostics[0].message).toMatch(/with N = 3, the dim 3\*N\/2 is 4.5, not a size/);
    expect(err?.diagnostics[0].span).toEqual({ start: 10, end: 30 });
  });
});

describe('hostile names never reach generated code', () => {
  const hostile = [
    `');process.exit(1);//`,
    '`);process.exit(1);//',
    `\${process.exit(1)}`,
    '"; throw new Error("pwned"); "',
    '*/ process.exit(1) /*',
    'line\u2028break\nnewline',
    'πλ∑😀',
    '__proto__',
    'constructor',
  ];
  it('builds, runs and matches the interpreter', () => {
    const g = graph();
    const inputs = hostile.map((name, i) => g.input(name, [2, 2]).mul(i + 1));
    const W = g.param(`W${hostile[0]}`, [2, 2], init.literal([1, 2, 3, 4]));
    const out = inputs
      .reduce((a, b) => a.add(b))
      .matMul(W)
      .tanh();
    g.output(hostile[1], out);
    g.output(hostile[2], out.sum(), 'loss');
    g.assign(`W${hostile[0]}`, W.mul(0.5));
    const ex = cpu.compile(g);
    const feeds = Object.fromEntries(hostile.map((name, i) => [name, data([2, 2], i)]));
    const got = ex.run(feeds);
    const want = run(g, { feeds: { ...feeds, [`W${hostile[0]}`]: [1, 2, 3, 4] } });
    expect(compareTensors('out', got[hostile[1]], want.outputs[hostile[1]], 1e-12)).toEqual([]);
    expect(compareTensors('loss', got[hostile[2]], want.outputs[hostile[2]], 1e-12)).toEqual([]);
    expect(Array.from(ex.read(`W${hostile[0]}`).data)).toEqual([0.5, 1, 1.5, 2]);
    const src = ex.source();
    for (const word of ['process', 'pwned', 'π', '__proto__', 'constructor', '"', '`', '$']) {
      expect(src).not.toContain(word);
    }
  });
  it('refuses attrs that are not numbers where code needs numbers', () => {
    const g = graph();
    const step = g.stepInput();
    const u = g.add('RandomUniform', [step], {
      shape: [2],
      dtype: 'f64',
      seed: '0, 0, 0); process.exit(1); (' as unknown as number,
      stream: 0,
    });
    g.output('u', u);
    expect(() => cpu.compile(g).source()).toThrow(GradusError);
  });
});

describe('cpu backend on very long graphs', () => {
  it('splits the generated code into parts and computes what the interpreter does', () => {
    // 60,000 chained steps: one function holding them all overflows the stack when called.
    const g = graph();
    const x = g.param('x', [3], init.literal([1, 2, 3]));
    let v = x;
    for (let i = 0; i < 60_000; i++) v = v.mul(1.00001).add(i % 7 === 0 ? 1e-6 : -1e-6);
    g.output('loss', v.sum(), 'loss');
    const ex = cpu.compile(g, {});
    const source = ex.source({});
    expect(source).toContain('function run1()');
    const got = ex.run({});
    const want = run(g, { feeds: { x: [1, 2, 3] } });
    expect(compareTensors('loss', got.loss, want.outputs.loss, 1e-12)).toEqual([]);
  });
});
