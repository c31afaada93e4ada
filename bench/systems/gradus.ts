/**
 * Gradus's backends, f32: `gradus-wasm` (WebAssembly SIMD, one thread), `gradus-wasm-2t` (two
 * threads), `gradus-js` (generated JavaScript) and `gradus-gpu` (gpu.js on WebGL). B and D are the
 * product's own training step: `buildTrainStep` with `@gradus/optim`'s `adam`, so one `run()` is
 * forward, backward and the Adam update, with parameters and optimiser state living in the
 * executable.
 */
import { crossEntropy, type Graph, grad, graph, init, type Tensor, type Value } from '@gradus/autodiff';
import { type Backend, type CompileOptions, type Executable, gpu, gpuProblem } from '@gradus/backends';
import { adam, buildTrainStep, paramsOf } from '@gradus/optim';
import { fingerprintA, fingerprintC } from '../reference.js';
import {
  ADAM,
  type Adapter,
  C_SIZE,
  cData,
  MATMUL_SIZES,
  MLP,
  matmulData,
  medianColdMs,
  medianMs,
  mlpData,
  ROSENBROCK,
  type RosenbrockRun,
  rosenbrockPoint,
  timeRosenbrock,
} from '../workloads.js';

const tensor = (shape: number[], data: Float32Array | Int32Array, dtype: 'f32' | 'i32' = 'f32'): Tensor => ({
  shape,
  dtype,
  // The backends read any ArrayLike; no copy into a Float64Array.
  data: data as unknown as Float64Array,
});

/** Makes one run() of `g` an Adam training step of `loss` over all its params. */
function trainStep(g: Graph, loss: Value, lr: number): { stateNames: string[] } {
  return buildTrainStep(g, loss, paramsOf(g), adam(lr, ADAM.beta1, ADAM.beta2, ADAM.eps), {
    gradNorm: false,
  });
}

function mlpGraph(): Graph {
  const g = graph({ floatDtype: 'f32' });
  const x = g.input('x', ['N', MLP.input]);
  const y = g.input('y', ['N'], 'i32');
  const W1 = g.param('W1', [MLP.input, MLP.hidden], init.glorotUniform());
  const b1 = g.param('b1', [MLP.hidden]);
  const W2 = g.param('W2', [MLP.hidden, MLP.classes], init.glorotUniform());
  const b2 = g.param('b2', [MLP.classes]);
  const logits = x.matMul(W1).add(b1).relu().matMul(W2).add(b2);
  trainStep(g, crossEntropy(logits, y).mean(), MLP.lr);
  return g;
}

function rosenbrockGraph(): { g: Graph; stateNames: string[] } {
  const g = graph({ floatDtype: 'f32' });
  const x = g.param('x', [], init.constant(ROSENBROCK.start[0]));
  const y = g.param('y', [], init.constant(ROSENBROCK.start[1]));
  const f = x.rsub(1).square().add(y.sub(x.square()).square().mul(100));
  return { g, ...trainStep(g, f, ROSENBROCK.lr) };
}

function cGraph(): Graph {
  const g = graph({ floatDtype: 'f32' });
  const x = g.input('x', [C_SIZE]);
  const y = x.tanh().mul(x).sum();
  g.output('y', y);
  g.output('dx', grad(y, [x])[0]);
  return g;
}

/** The same workloads on the gpu backend, or why it cannot run here (no `gl` build, no display). */
export async function loadGpu(): Promise<Adapter | string> {
  const problem = gpuProblem();
  return problem === undefined ? load('gradus-gpu', gpu) : `no GPU context: ${problem}`;
}

/** Both backends' executables can be disposed (the gpu one deletes its textures). */
type Disposable = Executable & { dispose(): void };

export async function load(system: string, backend: Backend, threads = 1): Promise<Adapter> {
  // `threads` is a wasm-backend option; the others ignore it.
  const opts: CompileOptions & { readonly threads: number } = { threads };
  const workloads: Record<string, () => Promise<number>> = {};

  const matmul = (n: number) => {
    const g = graph({ floatDtype: 'f32' });
    g.output('c', g.input('a', [n, n]).matMul(g.input('b', [n, n])));
    const ex = backend.compile(g, opts);
    const { a, b } = matmulData(n);
    const feeds = { a: tensor([n, n], a), b: tensor([n, n], b) };
    return () => ex.run(feeds).c.data;
  };
  for (const n of MATMUL_SIZES) {
    workloads[`A${n}`] = async () => (2 * n ** 3) / (await medianMs(matmul(n))) / 1e6;
  }

  const data = mlpData();
  const mlpFeeds = { x: tensor([MLP.batch, MLP.input], data.x), y: tensor([MLP.batch], data.labels, 'i32') };
  /** Duration (ms) of the first compile of B's and C's graphs in this process (cold, like jax-js's). */
  const cold: { B?: number; C?: number } = {};
  /** A fresh MLP training step from the shared starting parameters. */
  const mlp = (outputs: string[] = []): Disposable => {
    const start = performance.now();
    // Build the graph and the training step, generate the JavaScript for the batch size.
    const ex = backend.compile(mlpGraph(), { ...opts, outputs }) as Disposable;
    ex.source({ N: MLP.batch });
    cold.B ??= performance.now() - start;
    ex.write('W1', tensor([MLP.input, MLP.hidden], data.W1));
    ex.write('b1', tensor([MLP.hidden], data.b1));
    ex.write('W2', tensor([MLP.hidden, MLP.classes], data.W2));
    ex.write('b2', tensor([MLP.classes], data.b2));
    return ex;
  };
  workloads.B = async () => {
    // As the trainer runs it: the batch written into the bound run's inputs, nothing read back.
    const bound = mlp().bind({ N: MLP.batch });
    bound.inputs.x.set(data.x);
    bound.inputs.y.set(data.labels);
    return MLP.batch / ((await medianMs(() => bound.run())) / 1000);
  };
  workloads.Bcompile = async () => {
    if (cold.B === undefined) mlp();
    return cold.B!;
  };
  workloads.Bfirst = async () =>
    medianColdMs(() => {
      const ex = mlp();
      ex.run(mlpFeeds);
      ex.dispose();
    });

  const x = tensor([C_SIZE], cData());
  const cRun = (ex: Disposable) => {
    const out = ex.run({ x });
    return { value: out.y.data[0], dx: out.dx.data };
  };
  const cCompile = () => {
    const start = performance.now();
    const ex = backend.compile(cGraph(), opts) as Disposable;
    ex.source();
    cold.C ??= performance.now() - start;
    return ex;
  };
  workloads.C = async () => {
    const ex = cCompile();
    return medianMs(() => cRun(ex));
  };
  workloads.Ccompile = async () => {
    if (cold.C === undefined) cCompile();
    return cold.C!;
  };

  const rosenbrock = rosenbrockGraph();
  const dEx = backend.compile(rosenbrock.g, { ...opts, outputs: [] });
  const empty = {};
  const dRun: RosenbrockRun = {
    reset: () => {
      dEx.write('x', ROSENBROCK.start[0]);
      dEx.write('y', ROSENBROCK.start[1]);
      for (const s of rosenbrock.stateNames) dEx.write(s, 0);
    },
    steps: (n) => {
      for (let s = 0; s < n; s++) dEx.run(empty);
    },
    point: () => [dEx.read('x').data[0], dEx.read('y').data[0]],
  };
  workloads.D = () => timeRosenbrock(dRun);

  return {
    system,
    workloads,
    checks: {
      A: async () => fingerprintA(matmul(256)()),
      B: async () => {
        const ex = mlp(['loss']);
        return Array.from({ length: MLP.checkSteps }, () => ex.run(mlpFeeds).loss.data[0]);
      },
      C: async () => {
        const { value, dx } = cRun(cCompile());
        return fingerprintC(value, dx);
      },
      D: () => rosenbrockPoint(dRun),
    },
  };
}
