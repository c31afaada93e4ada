import { crossEntropy, GradusError, grad, graph, init, type Node, run, type Tensor } from '@gradus/autodiff';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpu, cpuChoice, cpuFallingBack, js } from '../index.js';
import { compareTensors, data } from '../testing/parity.js';
import { unsupportedOp } from './codegen.js';
import { wasm } from './index.js';
import { ensureHelpers, helpersReady } from './pool.js';

function mlpStep(dtype: 'f32' | 'f64') {
  const g = graph({ floatDtype: dtype });
  const x = g.input('x', ['N', 20]);
  const y = g.input('y', ['N'], 'i32');
  const W1 = g.param('W1', [20, 64], init.glorotUniform());
  const b1 = g.param('b1', [64]);
  const W2 = g.param('W2', [64, 5], init.glorotUniform());
  const b2 = g.param('b2', [5]);
  const loss = crossEntropy(x.matMul(W1).add(b1).relu().matMul(W2).add(b2), y).mean();
  const grads = grad(loss, [W1, b1, W2, b2]);
  g.output('loss', loss, 'loss');
  [W1, b1, W2, b2].forEach((p, i) => {
    g.assign(['W1', 'b1', 'W2', 'b2'][i], p.sub(grads[i].mul(0.1)));
  });
  return g;
}

const labels = (n: number) => Array.from({ length: n }, (_, i) => (i * 7) % 5);

describe('wasm backend', () => {
  it('runs 50 SGD steps of an MLP exactly as the interpreter does (f64)', () => {
    const g = mlpStep('f64');
    const ex = wasm.compile(g, { seed: 3, threads: 1 });
    const feeds = { x: data([16, 20], 1), y: labels(16) };
    let vars: Record<string, Tensor> = Object.fromEntries(ex.variables.map((v) => [v, ex.read(v)]));
    for (let step = 0; step < 50; step++) {
      const got = ex.run(feeds);
      const want = run(g, { feeds: { ...feeds, ...vars } });
      expect(compareTensors('loss', got.loss, want.outputs.loss, 1e-12)).toEqual([]);
      vars = want.updates;
    }
    for (const v of ex.variables) expect(compareTensors(v, ex.read(v), vars[v], 1e-12)).toEqual([]);
  });

  it('compiles one specialisation per binding of the symbolic dims, sharing the variables', () => {
    const g = mlpStep('f32');
    const ex = wasm.compile(g, { threads: 1 });
    const before = ex.read('W1');
    for (const n of [4, 9, 4, 9]) ex.run({ x: data([n, 20], n), y: labels(n) });
    expect(ex.specialisations).toBe(2);
    expect(ex.read('W1').data).not.toEqual(before.data);
    expect(ex.source({ N: 4 })).not.toEqual(ex.source({ N: 9 }));
    expect(ex.source({ N: 4 })).toContain('gemm 4×64×20 nn');
  });

  it('keeps its arena fixed across steps: a steady-state run allocates no wasm memory', () => {
    const g = mlpStep('f32');
    const ex = wasm.compile(g, { threads: 1 });
    const feeds = { x: data([32, 20], 1), y: labels(32) };
    ex.run(feeds);
    const bytes = ex.arenaBytes;
    for (let i = 0; i < 20; i++) ex.run(feeds);
    expect(ex.arenaBytes).toBe(bytes);
  });

  it('bad feeds give the interpreter codes', () => {
    const g = graph();
    const x = g.input('x', ['N', 3]);
    const y = g.input('y', ['N'], 'i32');
    g.output('o', x.sum({ axis: 1 }).add(y.castTo('f64')));
    const ex = wasm.compile(g, { threads: 1 });
    const code = (feeds: object) => {
      try {
        ex.run(feeds as never);
      } catch (e) {
        return (e as GradusError).code;
      }
      return 'none';
    };
    expect(code({ x: data([2, 3], 1) })).toBe('E0403');
    expect(code({ x: data([2, 4], 1), y: [0, 1] })).toBe('E0401');
    expect(code({ x: data([2, 3], 1), y: [0, 1, 2] })).toBe('E0402');
    expect(code({ x: data([2, 3], 1), y: [0.5, 1] })).toBe('E0405');
    expect(ex.run({ x: data([2, 3], 1), y: Int32Array.of(0, 1) }).o.shape).toEqual([2]);
    expect(() => ex.read('z')).toThrow(/no variable named 'z'/);
  });

  it('an op without a wasm kernel is a compile-time error naming it', () => {
    expect(unsupportedOp([{ op: 'Conv9d' } as unknown as Node])).toEqual({
      op: 'Conv9d',
      why: 'not implemented in the wasm backend',
    });
  });

  it('refuses a graph whose arena would pass 4 GiB before allocating anything', () => {
    const g = graph();
    g.output('y', g.input('x', ['N', 1024]).exp().sum());
    const ex = wasm.compile(g, { threads: 1 });
    let err: unknown;
    try {
      ex.source({ N: 1 << 20 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GradusError);
    expect((err as GradusError).code).toBe('E0441');
    expect((err as GradusError).message).toMatch(/N = 1048576.*8\.00 GiB.*limited to 4 GiB/);
    expect(ex.arenaBytes).toBeLessThan(1 << 20);
    expect(ex.run({ x: data([2, 1024], 1) }).y.shape).toEqual([]);
  });

  it('refuses attrs that are not integers where code needs integers', () => {
    const g = graph();
    const step = g.stepInput();
    g.output(
      'u',
      g.add('RandomUniform', [step], {
        shape: [2],
        dtype: 'f64',
        seed: '1; drop' as unknown as number,
        stream: 0,
      }),
    );
    expect(() => wasm.compile(g).source()).toThrow(GradusError);
  });
});

describe('wasm backend with worker threads', () => {
  beforeAll(async () => {
    ensureHelpers(2);
    await helpersReady();
  });

  it('gives bit-identical results whatever the thread count', () => {
    const g = mlpStep('f32');
    const one = wasm.compile(g, { threads: 1, seed: 5 });
    const two = wasm.compile(g, { threads: 2, seed: 5, parallelMin: 0 });
    expect(two.source({ N: 96 })).toMatch(/split across 2 threads/);
    const feeds = { x: data([96, 20], 2), y: labels(96) };
    for (let step = 0; step < 10; step++) {
      expect(Array.from(two.run(feeds).loss.data)).toEqual(Array.from(one.run(feeds).loss.data));
    }
    for (const v of one.variables) expect(Array.from(two.read(v).data)).toEqual(Array.from(one.read(v).data));
    two.dispose();
  });

  it('splits only kernels worth a wake-up by default', () => {
    const g = graph({ floatDtype: 'f32' });
    const a = g.input('a', [256, 256]);
    g.output('big', a.matMul(a).tanh());
    g.output('small', a.slice([0, 0], [2, 2]).exp());
    const listing = wasm.compile(g, { threads: 2 }).source();
    expect(listing).toMatch(/gemm 256×256×256 nn \(split\)/);
    expect(listing).toMatch(/Exp f32x4\n|Exp f32x4$/m);
  });
});

describe('the default cpu backend', () => {
  it('is wasm for data graphs and JavaScript for tiny ones, and says why', () => {
    const big = mlpStep('f32');
    expect(cpuChoice(big).backend).toBe('wasm');
    expect(cpu.compile(big).backend).toBe('wasm');
    const tiny = graph();
    const p = tiny.param('p', [], init.constant(2));
    tiny.output('f', p.mul(p).sub(p), 'loss');
    expect(cpuChoice(tiny)).toEqual({ backend: 'js', why: expect.stringMatching(/tiny/) });
    expect(cpu.compile(tiny).backend).toBe('js');
    expect(js.compile(big).backend).toBe('js');
  });

  it('--backend auto runs a graph with an op wasm lacks on js, and says so', () => {
    const said: string[] = [];
    const lacksMatMul = (g: Parameters<typeof cpuChoice>[0]) =>
      [...g.reachable(g.roots())].some((n) => n.op === 'MatMul') ? 'MatMul' : undefined;
    const auto = cpuFallingBack((m) => said.push(m), lacksMatMul);
    expect(auto.compile(mlpStep('f32')).backend).toBe('js');
    expect(said).toEqual(['the wasm backend has no kernel for MatMul: running this graph on the js backend']);
    const g = graph();
    g.output('y', g.input('x', [100, 100]).exp().sum());
    expect(auto.compile(g).backend).toBe('wasm');
    expect(said).toHaveLength(1);
  });
});
