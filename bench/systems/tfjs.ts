/**
 * TensorFlow.js peers: the pure-JS `cpu` backend and the WebAssembly backend (SIMD; on Node it is
 * single-threaded, as `WASM_HAS_MULTITHREAD_SUPPORT` is false), whose `.wasm` files are loaded from
 * the package's `dist/` folder in node_modules. Optional bench-only dependencies: when they are
 * not installed the adapter says so. Adam is `tf.train.adam` with eps 1e-8 (its default is 1e-7).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
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

type TF = OptionalModule;

export async function load(backend: 'cpu' | 'wasm'): Promise<Adapter | string> {
  let tf: TF;
  try {
    tf = await optional('@tensorflow/tfjs');
  } catch {
    return '@tensorflow/tfjs not installed';
  }
  if (backend === 'wasm') {
    try {
      const wasm = await optional('@tensorflow/tfjs-backend-wasm');
      // `main` is dist/tf-backend-wasm.node.js, beside the .wasm files; a file path, read with fs.
      const dist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
      wasm.setWasmPaths(`${dist}/`);
    } catch {
      return '@tensorflow/tfjs-backend-wasm not installed';
    }
  }
  if (!(await tf.setBackend(backend))) return `tfjs backend '${backend}' failed to initialise`;
  await tf.ready();
  if (backend === 'wasm' && !(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) {
    return 'tfjs wasm: no WebAssembly SIMD';
  }
  const adamOpt = (lr: number) => tf.train.adam(lr, ADAM.beta1, ADAM.beta2, ADAM.eps);

  const workloads: Record<string, () => Promise<number>> = {};
  const matmul = (n: number) => {
    const { a: da, b: db } = matmulData(n);
    const a = tf.tensor2d(da, [n, n]);
    const b = tf.tensor2d(db, [n, n]);
    return () => {
      const c = tf.matMul(a, b);
      const out = c.dataSync();
      c.dispose();
      return out as Float32Array;
    };
  };
  for (const n of MATMUL_SIZES) {
    workloads[`A${n}`] = async () => (2 * n ** 3) / (await medianMs(matmul(n))) / 1e6;
  }

  const data = mlpData();
  const x = tf.tensor2d(data.x, [MLP.batch, MLP.input]);
  const y = tf.tensor2d(data.oneHot, [MLP.batch, MLP.classes]);
  /** A fresh model from the shared starting parameters; `step()` returns the loss before the step. */
  const mlp = () => {
    const W1 = tf.variable(tf.tensor2d(data.W1, [MLP.input, MLP.hidden]));
    const b1 = tf.variable(tf.tensor1d(data.b1));
    const W2 = tf.variable(tf.tensor2d(data.W2, [MLP.hidden, MLP.classes]));
    const b2 = tf.variable(tf.tensor1d(data.b2));
    const opt = adamOpt(MLP.lr);
    const loss = () => {
      const logits = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, W1), b1)), W2), b2);
      return tf.losses.softmaxCrossEntropy(y, logits); // mean over the batch
    };
    return {
      step: (): number => {
        const cost = opt.minimize(loss, true);
        const v = cost.dataSync()[0];
        cost.dispose();
        return v;
      },
      dispose: () => {
        opt.dispose();
        tf.dispose([W1, b1, W2, b2]);
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
    medianColdMs(() => {
      const model = mlp();
      model.step();
      model.dispose();
    });

  const xc = tf.tensor1d(cData());
  const f = tf.valueAndGrad((v: TF) => tf.sum(tf.mul(tf.tanh(v), v)));
  const cRun = () => {
    const { value, grad } = f(xc);
    const out = { value: value.dataSync()[0] as number, dx: grad.dataSync() as Float32Array };
    tf.dispose([value, grad]);
    return out;
  };
  workloads.C = async () => medianMs(cRun);

  const px = tf.variable(tf.scalar(ROSENBROCK.start[0]));
  const py = tf.variable(tf.scalar(ROSENBROCK.start[1]));
  const rosenbrock = () =>
    tf.add(tf.square(tf.sub(1, px)), tf.mul(100, tf.square(tf.sub(py, tf.square(px)))));
  let dOpt: TF;
  const dRun: RosenbrockRun = {
    reset: () => {
      px.assign(tf.scalar(ROSENBROCK.start[0]));
      py.assign(tf.scalar(ROSENBROCK.start[1]));
      dOpt?.dispose();
      dOpt = adamOpt(ROSENBROCK.lr);
    },
    steps: (n) => {
      for (let s = 0; s < n; s++) tf.tidy(() => dOpt.minimize(rosenbrock));
      px.dataSync();
    },
    point: () => [px.dataSync()[0], py.dataSync()[0]],
  };
  workloads.D = () => timeRosenbrock(dRun);

  return {
    system: backend === 'cpu' ? 'tfjs-cpu' : 'tfjs-wasm',
    workloads,
    checks: {
      A: async () => fingerprintA(matmul(256)()),
      B: async () => {
        const model = mlp();
        const losses = Array.from({ length: MLP.checkSteps }, model.step);
        model.dispose();
        return losses;
      },
      C: async () => {
        const { value, dx } = cRun();
        return fingerprintC(value, dx);
      },
      D: () => rosenbrockPoint(dRun),
    },
  };
}
