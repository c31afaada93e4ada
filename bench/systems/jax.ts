/**
 * jax-js peer on its WebAssembly device, eager and `jit`-compiled. Optional bench-only dependency;
 * when it is not installed the adapter says so.
 *
 * jax-js arrays are reference-counted and every function takes ownership of its arguments, so a
 * value used twice is passed as `.ref` the first time. The training steps are pure functions
 * `(params, m, v, t, ...data) → [params', m', v', t', loss]` with Adam written in jax-js ops
 * (PyTorch's form, the same as Gradus's and tfjs's), so `jit` compiles the whole step.
 *
 * On Node jax-js's wasm device runs on one thread (its worker pool needs the Web `Worker`
 * global), and jax-js 0.1.25 reads `navigator.userAgent`, which Node 20 lacks (Node ≥ 21 has
 * it): a minimal `navigator` is defined before it loads.
 */
import { availableParallelism } from 'node:os';
import { fingerprintA, fingerprintC } from '../reference.js';
import {
  ADAM,
  type Adapter,
  cData,
  MATMUL_SIZES,
  MLP,
  matmulData,
  medianColdMs,
  medianMs,
  mlpData,
  type OptionalModule,
  optional,
  ROSENBROCK,
  type RosenbrockRun,
  rosenbrockPoint,
  timeRosenbrock,
} from '../workloads.js';

type J = OptionalModule;

export async function load(mode: 'eager' | 'jit'): Promise<Adapter | string> {
  const g = globalThis as { navigator?: unknown };
  g.navigator ??= { userAgent: `Node.js/${process.version}`, hardwareConcurrency: availableParallelism() };
  let jax: J;
  try {
    jax = await optional('@jax-js/jax');
  } catch {
    return '@jax-js/jax not installed';
  }
  const { numpy: np, nn, tree, valueAndGrad } = jax;
  if (!(await jax.init('wasm')).includes('wasm')) return 'jax-js: no wasm device';
  jax.defaultDevice('wasm');
  const jit = mode === 'jit';
  /** A fresh compiled (or eager) function: jit caches by function, so each build compiles anew. */
  const wrap = <F>(f: F): F => (jit ? jax.jit(f) : f);

  /** One Adam step of `loss(params, ...data)`; params is a list of arrays. */
  const adamStep =
    (loss: (p: J[], ...data: J[]) => J, lr: number) =>
    (params: J[], ms: J[], vs: J[], t: J, ...data: J[]) => {
      const [value, grads] = valueAndGrad(loss)(tree.ref(params), ...data);
      const t1 = t.add(1);
      const c1 = np.subtract(1, np.exp(t1.ref.mul(Math.log(ADAM.beta1))));
      const c2 = np.subtract(1, np.exp(t1.ref.mul(Math.log(ADAM.beta2))));
      const out: J[][] = [[], [], []];
      params.forEach((p, i) => {
        const gr = grads[i];
        const m = ms[i].mul(ADAM.beta1).add(gr.ref.mul(1 - ADAM.beta1));
        const v = vs[i].mul(ADAM.beta2).add(np.square(gr).mul(1 - ADAM.beta2));
        const mHat = m.ref.div(c1.ref);
        const vHat = v.ref.div(c2.ref);
        out[0].push(p.sub(mHat.mul(lr).div(np.sqrt(vHat).add(ADAM.eps))));
        out[1].push(m);
        out[2].push(v);
      });
      c1.dispose();
      c2.dispose();
      return [...out, t1, value];
    };

  /** Optimiser state for `params`: zero moments and step count. */
  const adamInit = (params: J[]) => ({
    ms: params.map((p) => np.zeros(p.shape)),
    vs: params.map((p) => np.zeros(p.shape)),
    t: np.array(0),
  });

  const workloads: Record<string, () => Promise<number>> = {};
  const matmul = (n: number) => {
    const { a: da, b: db } = matmulData(n);
    const a = np.array(da).reshape([n, n]);
    const b = np.array(db).reshape([n, n]);
    const mm = wrap((p: J, q: J) => np.matmul(p, q));
    return async () => (await mm(a.ref, b.ref).data()) as Float32Array;
  };
  for (const n of MATMUL_SIZES) {
    workloads[`A${n}`] = async () => (2 * n ** 3) / (await medianMs(matmul(n))) / 1e6;
  }

  const data = mlpData();
  const x = np.array(data.x).reshape([MLP.batch, MLP.input]);
  const y = np.array(data.oneHot).reshape([MLP.batch, MLP.classes]);
  const mlpLoss = ([W1, b1, W2, b2]: J[], xb: J, yb: J) => {
    const logits = np.matmul(nn.relu(np.matmul(xb, W1).add(b1)), W2).add(b2);
    return np.mean(np.sum(nn.logSoftmax(logits, -1).mul(yb), -1)).mul(-1);
  };
  /**
   * Duration (ms) of the first call in this process of the MLP step and of C's function: with jit,
   * tracing and compiling the kernels (jax-js then reuses compiled kernels in later `jit`
   * functions, so only the first call in a process shows the compile time).
   */
  const cold: { B?: number; C?: number } = {};
  /** A fresh model from the shared starting parameters; `step()` resolves to the loss before it. */
  const mlp = () => {
    const step = wrap(adamStep(mlpLoss, MLP.lr));
    let params = [
      np.array(data.W1).reshape([MLP.input, MLP.hidden]),
      np.array(data.b1),
      np.array(data.W2).reshape([MLP.hidden, MLP.classes]),
      np.array(data.b2),
    ];
    let { ms, vs, t } = adamInit(params);
    return {
      step: async (): Promise<number> => {
        const start = performance.now();
        let loss: J;
        [params, ms, vs, t, loss] = step(params, ms, vs, t, x.ref, y.ref);
        await jax.blockUntilReady([params, ms, vs, t]);
        const value = (await loss.data())[0];
        cold.B ??= performance.now() - start;
        return value;
      },
      dispose: () => {
        tree.dispose([params, ms, vs, t]);
        if (jit) (step as J).dispose();
      },
    };
  };
  workloads.B = async () => {
    const model = mlp();
    const ms = await medianMs(model.step);
    model.dispose();
    return MLP.batch / (ms / 1000);
  };
  workloads.Bfirst = async () =>
    medianColdMs(async () => {
      const model = mlp();
      await model.step();
      model.dispose();
    });
  if (jit) {
    // The process's first call of a jit step less a steady-state step: tracing and compiling.
    workloads.Bcompile = async () => {
      const model = mlp();
      const steady = await medianMs(model.step);
      model.dispose();
      return cold.B! - steady;
    };
  }

  const xc = np.array(cData());
  const cFn = wrap(valueAndGrad((v: J) => np.sum(np.tanh(v.ref).mul(v))));
  const cRun = async () => {
    const start = performance.now();
    const [value, dx] = cFn(xc.ref);
    const out = { value: (await value.data())[0] as number, dx: (await dx.data()) as Float32Array };
    cold.C ??= performance.now() - start;
    return out;
  };
  workloads.C = async () => medianMs(cRun);
  if (jit) workloads.Ccompile = async () => cold.C! - (await medianMs(cRun));

  // Rosenbrock over one 2-vector (a list of two scalars runs 3-10× slower in jax-js).
  const rosenbrock = ([p]: J[]) => {
    const px = p.ref.slice(0);
    const py = p.slice(1);
    return np.square(np.subtract(1, px.ref)).add(np.square(py.sub(np.square(px))).mul(100));
  };
  const dStep = wrap(adamStep(rosenbrock, ROSENBROCK.lr));
  let dState: J = [];
  const dRun: RosenbrockRun = {
    reset: () => {
      tree.dispose(dState);
      const params = [np.array(new Float32Array(ROSENBROCK.start))];
      const { ms, vs, t } = adamInit(params);
      dState = [params, ms, vs, t];
    },
    steps: async (n) => {
      for (let s = 0; s < n; s++) {
        const [params, ms, vs, t, loss] = dStep(dState[0], dState[1], dState[2], dState[3]);
        loss.dispose();
        dState = [params, ms, vs, t];
        // jax-js's advice: wait regularly in an iterative computation. Every step is fastest,
        // eager and jit: pending ops otherwise pile up (2-10× slower per step waiting every 100).
        await jax.blockUntilReady(dState);
      }
    },
    point: async () => Array.from(await dState[0][0].ref.data()),
  };
  workloads.D = () => timeRosenbrock(dRun);

  return {
    system: `jax-${mode}`,
    workloads,
    checks: {
      A: async () => fingerprintA(await matmul(256)()),
      B: async () => {
        const model = mlp();
        const losses: number[] = [];
        for (let s = 0; s < MLP.checkSteps; s++) losses.push(await model.step());
        model.dispose();
        return losses;
      },
      C: async () => {
        const { value, dx } = await cRun();
        return fingerprintC(value, dx);
      },
      D: () => rosenbrockPoint(dRun),
    },
  };
}
