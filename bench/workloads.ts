/** The benchmark workloads (issue 4), all in f32. Each system implements the ones it can. */
export interface Workload {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  /** Whether a larger value is better (throughput) or worse (time). */
  readonly higherIsBetter: boolean;
}

export const WORKLOADS: readonly Workload[] = [
  { id: 'A256', label: 'A matmul 256²', unit: 'GFLOP/s', higherIsBetter: true },
  { id: 'A512', label: 'A matmul 512²', unit: 'GFLOP/s', higherIsBetter: true },
  { id: 'A1024', label: 'A matmul 1024²', unit: 'GFLOP/s', higherIsBetter: true },
  { id: 'B', label: 'B MLP 784-256-10 Adam, batch 128', unit: 'samples/s', higherIsBetter: true },
  { id: 'Bcompile', label: 'B compile time', unit: 'ms', higherIsBetter: false },
  { id: 'C', label: 'C sum(tanh(x)·x) + grad, 10⁶', unit: 'ms', higherIsBetter: false },
  { id: 'Ccompile', label: 'C compile time', unit: 'ms', higherIsBetter: false },
  { id: 'D', label: 'D Rosenbrock Adam step', unit: 'µs/step', higherIsBetter: false },
  { id: 'rss', label: 'peak RSS', unit: 'MB', higherIsBetter: false },
];

export interface Measurement {
  readonly workload: string;
  readonly system: string;
  readonly value: number;
  readonly unit: string;
}

/** A system under test: a name and one async measurement per workload it supports. */
export interface Adapter {
  readonly system: string;
  readonly workloads: Readonly<Record<string, () => Promise<number>>>;
}

export const RUNS = 5;

/**
 * Median of at least `runs` timings (ms) of `fn`, after warming up for at least `warmup` calls and
 * 300 ms (so the JIT has tiered up); short workloads are timed more often, for up to a second.
 */
export async function medianMs(fn: () => unknown, runs = RUNS, warmup = 3): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < warmup || performance.now() - start < 300; i++) await fn();
  const times: number[] = [];
  const t0 = performance.now();
  while (times.length < runs || (performance.now() - t0 < 1000 && times.length < 50)) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Deterministic f32 data in [-1, 1). */
export function randomF32(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** Random class labels in [0, classes). */
export function randomLabels(n: number, classes: number, seed = 2): Int32Array {
  const f = randomF32(n, seed);
  return Int32Array.from(f, (v) => Math.min(classes - 1, Math.floor(((v + 1) / 2) * classes)));
}

export const MLP = { batch: 128, input: 784, hidden: 256, classes: 10, lr: 1e-3, steps: 20 } as const;
export const ROSENBROCK = { start: [-1.5, 2] as const, steps: 5000, lr: 1e-3 } as const;
export const C_SIZE = 1_000_000;
