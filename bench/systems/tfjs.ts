/**
 * TensorFlow.js peers: the pure-JS `cpu` backend and the WebAssembly (SIMD) backend. Both are
 * optional bench-only dependencies; when they are not installed the adapter says so.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Adapter, C_SIZE, MLP, medianMs, ROSENBROCK, randomF32, randomLabels } from '../workloads.js';

// biome-ignore lint/suspicious/noExplicitAny: optional peer without installed types
type TF = any;

/** Imports a module by a computed name, so the type-checker does not need it installed. */
async function optional(name: string): Promise<TF> {
  return import(/* @vite-ignore */ name);
}

export async function load(backend: 'cpu' | 'wasm'): Promise<Adapter | string> {
  let tf: TF;
  try {
    tf = await optional('@tensorflow/tfjs');
    if (backend === 'wasm') {
      const wasm = await optional('@tensorflow/tfjs-backend-wasm');
      const require = createRequire(import.meta.url);
      const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
      wasm.setWasmPaths(`${join(dir, '..', 'dist')}/`);
    }
  } catch {
    return backend === 'cpu'
      ? '@tensorflow/tfjs not installed'
      : '@tensorflow/tfjs-backend-wasm not installed';
  }
  if (!(await tf.setBackend(backend))) return `tfjs backend '${backend}' failed to initialise`;
  await tf.ready();
  const workloads: Record<string, () => Promise<number>> = {};
  for (const n of [256, 512, 1024]) {
    workloads[`A${n}`] = async () => {
      const a = tf.tensor2d(randomF32(n * n, 1), [n, n]);
      const b = tf.tensor2d(randomF32(n * n, 2), [n, n]);
      const ms = await medianMs(() => {
        const c = tf.matMul(a, b);
        c.dataSync();
        c.dispose();
      });
      a.dispose();
      b.dispose();
      return (2 * n ** 3) / ms / 1e6;
    };
  }
  workloads.B = async () => {
    const x = tf.tensor2d(randomF32(MLP.batch * MLP.input, 3), [MLP.batch, MLP.input]);
    const y = tf.oneHot(tf.tensor1d(randomLabels(MLP.batch, MLP.classes), 'int32'), MLP.classes);
    const W1 = tf.variable(tf.randomNormal([MLP.input, MLP.hidden], 0, 0.05));
    const b1 = tf.variable(tf.zeros([MLP.hidden]));
    const W2 = tf.variable(tf.randomNormal([MLP.hidden, MLP.classes], 0, 0.05));
    const b2 = tf.variable(tf.zeros([MLP.classes]));
    const opt = tf.train.adam(MLP.lr);
    const step = () =>
      tf.tidy(() => {
        opt.minimize(() => {
          const logits = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, W1), b1)), W2), b2);
          return tf.losses.softmaxCrossEntropy(y, logits);
        });
      });
    const ms = await medianMs(() => {
      for (let s = 0; s < MLP.steps; s++) step();
      b2.dataSync();
    });
    return (MLP.steps * MLP.batch) / (ms / 1000);
  };
  workloads.C = async () => {
    const x = tf.tensor1d(randomF32(C_SIZE, 4));
    const f = tf.valueAndGrad((v: TF) => tf.sum(tf.mul(tf.tanh(v), v)));
    return medianMs(() => {
      const { value, grad } = f(x);
      value.dataSync();
      grad.dataSync();
      value.dispose();
      grad.dispose();
    });
  };
  workloads.D = async () => {
    const x = tf.variable(tf.scalar(ROSENBROCK.start[0]));
    const y = tf.variable(tf.scalar(ROSENBROCK.start[1]));
    const opt = tf.train.adam(ROSENBROCK.lr);
    const loss = () => tf.add(tf.square(tf.sub(1, x)), tf.mul(100, tf.square(tf.sub(y, tf.square(x)))));
    const ms = await medianMs(
      () => {
        for (let s = 0; s < ROSENBROCK.steps; s++) tf.tidy(() => opt.minimize(loss));
        x.dataSync();
      },
      5,
      1,
    );
    return (ms * 1000) / ROSENBROCK.steps;
  };
  return { system: backend === 'cpu' ? 'tfjs cpu' : 'tfjs wasm', workloads };
}
