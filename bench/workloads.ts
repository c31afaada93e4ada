/**
 * The benchmark workloads (issue 4), all in f32, and what every system shares: the sizes, the data
 * (deterministic, identical for every system), the timing loop and the shapes of an adapter.
 */
export interface Workload {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  /** Whether a larger value is better (throughput) or worse (time). */
  readonly higherIsBetter: boolean;
  /** Measured by `--quick` too. */
  readonly quick?: boolean;
}

export const WORKLOADS: readonly Workload[] = [
  { id: 'A256', label: 'A matmul 256²', unit: 'GFLOP/s', higherIsBetter: true },
  { id: 'A512', label: 'A matmul 512²', unit: 'GFLOP/s', higherIsBetter: true, quick: true },
  { id: 'A1024', label: 'A matmul 1024²', unit: 'GFLOP/s', higherIsBetter: true },
  {
    id: 'B',
    label: 'B MLP 784-256-10 Adam, batch 128',
    unit: 'samples/s',
    higherIsBetter: true,
    quick: true,
  },
  {
    id: 'Bcompile',
    label: 'B compile (1st in process)',
    unit: 'ms',
    higherIsBetter: false,
    quick: true,
  },
  { id: 'Bfirst', label: 'B build → 1st step done', unit: 'ms', higherIsBetter: false, quick: true },
  { id: 'C', label: 'C sum(tanh(x)·x) + grad, 10⁶', unit: 'ms', higherIsBetter: false, quick: true },
  { id: 'Ccompile', label: 'C compile (1st in process)', unit: 'ms', higherIsBetter: false },
  { id: 'D', label: 'D Rosenbrock Adam step', unit: 'µs/step', higherIsBetter: false, quick: true },
  { id: 'rss', label: 'peak RSS of the process', unit: 'MB', higherIsBetter: false, quick: true },
];

export interface Measurement {
  readonly workload: string;
  readonly system: string;
  readonly value: number;
  readonly unit: string;
}

/**
 * A system under test: a name, one async measurement per workload it supports, and the results
 * of the correctness checks (`reference.ts`), which the parent compares with an f64 reference.
 */
export interface Adapter {
  readonly system: string;
  readonly workloads: Readonly<Record<string, () => Promise<number>>>;
  readonly checks: Readonly<Partial<Record<CheckId, () => Promise<number[]>>>>;
}

export type CheckId = 'A' | 'B' | 'C' | 'D';

export const RUNS = 5;

export interface TimingOptions {
  /** Timed samples (the median is reported); at least this many, more while under a second. */
  readonly runs?: number;
  /** Warm-up calls before timing (and at least 300 ms of them, so the JIT has tiered up). */
  readonly warmup?: number;
  /** Keep warming up until this long has passed (ms); default 300. */
  readonly warmupMs?: number;
  /** Calls per timed sample are batched until a sample lasts this long (ms); default 20. */
  readonly minSampleMs?: number;
  /** Stop adding samples (beyond `runs`) after this long (ms); default 1000. */
  readonly budgetMs?: number;
}

/**
 * Median time (ms) of one call of `fn`: warm-up, then ≥ `runs` samples, each batching as many
 * calls as make it last ≥ `minSampleMs`, and more samples while the budget lasts (≤ 50).
 */
export async function medianMs(fn: () => unknown, opts: TimingOptions = {}): Promise<number> {
  const { runs = RUNS, warmup = 2, warmupMs = 300, minSampleMs = 20, budgetMs = 1000 } = opts;
  const start = performance.now();
  let calls = 0;
  for (; calls < warmup || performance.now() - start < warmupMs; calls++) {
    if (calls > 0 && performance.now() - start > 1000) break; // one warm-up call of a slow workload
    await fn();
  }
  const perCall = (performance.now() - start) / Math.max(calls, 1);
  const reps = Math.max(1, Math.ceil(minSampleMs / Math.max(perCall, 1e-6)));
  const times: number[] = [];
  const t0 = performance.now();
  while (times.length < runs || (performance.now() - t0 < budgetMs && times.length < 50)) {
    const t = performance.now();
    for (let r = 0; r < reps; r++) await fn();
    times.push((performance.now() - t) / reps);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * Median time (ms) of a cold start (`fn` builds something fresh and runs it once), over `runs`
 * fresh builds after one warm-up build (so it is a warm process, not a cold module load).
 */
export async function medianColdMs(fn: () => unknown, runs = RUNS): Promise<number> {
  return medianMs(fn, { runs, warmup: 1, warmupMs: 0, minSampleMs: 0, budgetMs: 0 });
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

export const MATMUL_SIZES = [256, 512, 1024] as const;

/** The two factors of workload A at size n (the same for every system). */
export function matmulData(n: number): { a: Float32Array; b: Float32Array } {
  return { a: randomF32(n * n, 1), b: randomF32(n * n, 2) };
}

export const MLP = { batch: 128, input: 784, hidden: 256, classes: 10, lr: 1e-3, checkSteps: 10 } as const;
export const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

export interface MlpData {
  /** [batch, input], row-major. */
  readonly x: Float32Array;
  readonly labels: Int32Array;
  /** [batch, classes] one-hot labels, for the peers' cross-entropy. */
  readonly oneHot: Float32Array;
  /** Starting parameters (Glorot-uniform weights, zero biases), the same for every system. */
  readonly W1: Float32Array;
  readonly b1: Float32Array;
  readonly W2: Float32Array;
  readonly b2: Float32Array;
}

function glorot(fanIn: number, fanOut: number, seed: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return randomF32(fanIn * fanOut, seed).map((v) => v * limit);
}

/** The MLP's batch and starting parameters. */
export function mlpData(): MlpData {
  const { batch, input, hidden, classes } = MLP;
  const labels = randomLabels(batch, classes);
  const oneHot = new Float32Array(batch * classes);
  labels.forEach((l, i) => {
    oneHot[i * classes + l] = 1;
  });
  return {
    x: randomF32(batch * input, 3),
    labels,
    oneHot,
    W1: glorot(input, hidden, 11),
    b1: new Float32Array(hidden),
    W2: glorot(hidden, classes, 12),
    b2: new Float32Array(classes),
  };
}

export const C_SIZE = 1_000_000;

export function cData(): Float32Array {
  return randomF32(C_SIZE, 4);
}

export const ROSENBROCK = { start: [-1.5, 2] as const, steps: 5000, lr: 1e-3 } as const;

/** A system's Rosenbrock optimisation: restart, take steps, read the point. */
export interface RosenbrockRun {
  /** Back to the start, with fresh optimiser state. */
  reset(): unknown;
  /** `n` Adam steps from where it is; done when it resolves. */
  steps(n: number): unknown;
  point(): number[] | Promise<number[]>;
}

/** Steps in one timed sample of D. */
export const D_SEGMENT = 500;

/**
 * µs per Adam step of D: the median of ≥ 5 samples, each a segment of 500 steps (batched up to
 * 20 ms) of 5000-step trajectories from the start (every tenth segment restarts), after warm-up.
 */
export async function timeRosenbrock(r: RosenbrockRun): Promise<number> {
  const perTrajectory = ROSENBROCK.steps / D_SEGMENT;
  let k = 0;
  const ms = await medianMs(async () => {
    if (k++ % perTrajectory === 0) await r.reset();
    await r.steps(D_SEGMENT);
  });
  return (ms * 1000) / D_SEGMENT;
}

/** Steps of check D (fewer than the workload's 5000, so the slowest peer checks in seconds). */
export const CHECK_D_STEPS = 1000;

/** The point reached after `CHECK_D_STEPS` steps from the start (check D). */
export async function rosenbrockPoint(r: RosenbrockRun): Promise<number[]> {
  await r.reset();
  await r.steps(CHECK_D_STEPS);
  return r.point();
}

/** A peer library, loaded only if installed; typed loosely so the bench type-checks without it. */
// biome-ignore lint/suspicious/noExplicitAny: optional peers have no types here
export type OptionalModule = any;

/** Imports a module by a computed name, so the type-checker does not need it installed. */
export async function optional(name: string): Promise<OptionalModule> {
  return import(/* @vite-ignore */ name);
}
