/**
 * jax-js peer on its WebAssembly device, eager and `jit`-compiled. Optional bench-only
 * dependency; when it is not installed the adapter says so. (Written against the jax-js README's
 * API: arrays are reference-counted, so values used twice are passed as `.ref`.)
 */
import { type Adapter, C_SIZE, MLP, medianMs, ROSENBROCK, randomF32, randomLabels } from '../workloads.js';

// biome-ignore lint/suspicious/noExplicitAny: optional peer without installed types
type J = any;

export async function load(mode: 'eager' | 'jit'): Promise<Adapter | string> {
  let jax: J;
  try {
    jax = await import(/* @vite-ignore */ '@jax-js/jax' as string);
  } catch {
    return '@jax-js/jax not installed';
  }
  const { numpy: np, grad, valueAndGrad, jit } = jax;
  await jax.init?.();
  jax.defaultDevice?.('wasm');
  const wrap = (f: J) => (mode === 'jit' ? jit(f) : f);
  const workloads: Record<string, () => Promise<number>> = {};
  for (const n of [256, 512, 1024]) {
    workloads[`A${n}`] = async () => {
      const a = np.array(randomF32(n * n, 1)).reshape([n, n]);
      const b = np.array(randomF32(n * n, 2)).reshape([n, n]);
      const mm = wrap((p: J, q: J) => np.matmul(p, q));
      const ms = await medianMs(async () => {
        await mm(a.ref, b.ref).data();
      });
      return (2 * n ** 3) / ms / 1e6;
    };
  }
  workloads.C = async () => {
    const x = np.array(randomF32(C_SIZE, 4));
    const f = wrap(valueAndGrad((v: J) => np.sum(np.tanh(v.ref).mul(v))));
    return medianMs(async () => {
      const [value, g] = f(x.ref);
      await value.data();
      await g.data();
    });
  };
  workloads.D = async () => {
    const f = (p: J) => {
      const x = p.ref.slice(0);
      const y = p.slice(1);
      const a = np.square(np.subtract(1, x.ref));
      return a.add(np.square(y.sub(np.square(x))).mul(100));
    };
    const df = wrap(grad(f));
    const [b1, b2, eps, lr] = [0.9, 0.999, 1e-8, ROSENBROCK.lr];
    const ms = await medianMs(
      async () => {
        let p = np.array(new Float32Array(ROSENBROCK.start));
        let m = np.zeros([2]);
        let v = np.zeros([2]);
        for (let t = 1; t <= ROSENBROCK.steps; t++) {
          const g = df(p.ref);
          m = m.mul(b1).add(g.ref.mul(1 - b1));
          v = v.mul(b2).add(np.square(g).mul(1 - b2));
          const mh = m.ref.div(1 - b1 ** t);
          const vh = v.ref.div(1 - b2 ** t);
          p = p.sub(mh.mul(lr).div(np.sqrt(vh).add(eps)));
        }
        await p.data();
      },
      5,
      1,
    );
    return (ms * 1000) / ROSENBROCK.steps;
  };
  void MLP;
  void randomLabels;
  return { system: `jax-js wasm ${mode}`, workloads };
}
