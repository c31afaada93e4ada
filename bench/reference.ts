/**
 * Independent f64 references in plain JavaScript for the correctness checks: a benchmark of a wrong
 * computation is worthless, so every system's results on the workloads' own data are compared
 * with these before its speed is reported.
 *
 * - A: entries of the 256² matrix product at fixed positions, and the sum of all entries.
 * - B: the loss at each of the first 10 Adam steps of the MLP from the shared starting parameters.
 * - C: `sum(tanh(x)·x)`, the gradient at fixed positions, and the sum of the gradient.
 * - D: the point reached after 1000 Adam steps on Rosenbrock.
 */
import {
  ADAM,
  C_SIZE,
  CHECK_D_STEPS,
  type CheckId,
  cData,
  MLP,
  matmulData,
  mlpData,
  ROSENBROCK,
} from './workloads.js';

export const CHECK_MATMUL_N = 256;
const SAMPLES = [0, 1, 255, 256 * 37 + 101, 256 * 128 + 128, 256 * 200 + 3, 256 * 255, 256 * 256 - 1];
const C_SAMPLES = [0, 1, 4242, 123_456, 500_000, 777_777, C_SIZE - 1];

/** Tolerances (f32 systems against f64): |got − ref| ≤ atol + rtol·|ref| for every number. */
export const TOLERANCE: Record<CheckId, { rtol: number; atol: number }> = {
  A: { rtol: 1e-4, atol: 1e-3 },
  B: { rtol: 1e-3, atol: 1e-4 },
  C: { rtol: 1e-3, atol: 1e-5 },
  D: { rtol: 1e-3, atol: 1e-3 },
};

/** What a system reports for check A, from its n×n product `c`. */
export function fingerprintA(c: ArrayLike<number>): number[] {
  let sum = 0;
  for (let i = 0; i < c.length; i++) sum += c[i];
  return [...SAMPLES.map((i) => c[i]), sum];
}

/** What a system reports for check C, from the value and the gradient. */
export function fingerprintC(value: number, dx: ArrayLike<number>): number[] {
  let sum = 0;
  for (let i = 0; i < dx.length; i++) sum += dx[i];
  return [value, ...C_SAMPLES.map((i) => dx[i]), sum];
}

function referenceA(): number[] {
  const n = CHECK_MATMUL_N;
  const { a, b } = matmulData(n);
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      for (let j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
    }
  }
  return fingerprintA(c);
}

/** One Adam update in place (PyTorch's form, bias-corrected). */
function adamUpdate(
  p: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  t: number,
  lr: number,
) {
  const c1 = 1 - ADAM.beta1 ** t;
  const c2 = 1 - ADAM.beta2 ** t;
  for (let i = 0; i < p.length; i++) {
    m[i] = ADAM.beta1 * m[i] + (1 - ADAM.beta1) * g[i];
    v[i] = ADAM.beta2 * v[i] + (1 - ADAM.beta2) * g[i] * g[i];
    p[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + ADAM.eps);
  }
}

function referenceB(): number[] {
  const { batch: N, input: I, hidden: H, classes: K } = MLP;
  const d = mlpData();
  const x = Float64Array.from(d.x);
  const params = [d.W1, d.b1, d.W2, d.b2].map((p) => Float64Array.from(p));
  const [W1, b1, W2, b2] = params;
  const ms = params.map((p) => new Float64Array(p.length));
  const vs = params.map((p) => new Float64Array(p.length));
  const z1 = new Float64Array(N * H);
  const losses: number[] = [];
  for (let t = 1; t <= MLP.checkSteps; t++) {
    // forward
    for (let n = 0; n < N; n++) {
      const row = z1.subarray(n * H, (n + 1) * H);
      row.set(b1);
      for (let i = 0; i < I; i++) {
        const xi = x[n * I + i];
        for (let h = 0; h < H; h++) row[h] += xi * W1[i * H + h];
      }
    }
    const dz2 = new Float64Array(N * K);
    let loss = 0;
    for (let n = 0; n < N; n++) {
      const z2 = new Float64Array(K);
      z2.set(b2);
      for (let h = 0; h < H; h++) {
        const a = Math.max(z1[n * H + h], 0);
        for (let k = 0; k < K; k++) z2[k] += a * W2[h * K + k];
      }
      const max = Math.max(...z2);
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp(z2[k] - max);
      const lse = max + Math.log(s);
      loss += lse - z2[d.labels[n]];
      for (let k = 0; k < K; k++) dz2[n * K + k] = (Math.exp(z2[k] - lse) - (k === d.labels[n] ? 1 : 0)) / N;
    }
    losses.push(loss / N);
    // backward
    const grads = params.map((p) => new Float64Array(p.length));
    const [gW1, gb1, gW2, gb2] = grads;
    const dz1 = new Float64Array(N * H);
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) gb2[k] += dz2[n * K + k];
      for (let h = 0; h < H; h++) {
        const z = z1[n * H + h];
        const a = Math.max(z, 0);
        let dh = 0;
        for (let k = 0; k < K; k++) {
          gW2[h * K + k] += a * dz2[n * K + k];
          dh += dz2[n * K + k] * W2[h * K + k];
        }
        dz1[n * H + h] = z > 0 ? dh : 0;
        gb1[h] += dz1[n * H + h];
      }
      for (let i = 0; i < I; i++) {
        const xi = x[n * I + i];
        for (let h = 0; h < H; h++) gW1[i * H + h] += xi * dz1[n * H + h];
      }
    }
    params.forEach((p, i) => {
      adamUpdate(p, grads[i], ms[i], vs[i], t, MLP.lr);
    });
  }
  return losses;
}

function referenceC(): number[] {
  const x = cData();
  const dx = new Float64Array(C_SIZE);
  let value = 0;
  for (let i = 0; i < C_SIZE; i++) {
    const th = Math.tanh(x[i]);
    value += th * x[i];
    dx[i] = th + x[i] * (1 - th * th);
  }
  return fingerprintC(value, dx);
}

function referenceD(): number[] {
  const p = Float64Array.from(ROSENBROCK.start);
  const m = new Float64Array(2);
  const v = new Float64Array(2);
  const g = new Float64Array(2);
  for (let t = 1; t <= CHECK_D_STEPS; t++) {
    const [x, y] = p;
    g[0] = -2 * (1 - x) - 400 * x * (y - x * x);
    g[1] = 200 * (y - x * x);
    adamUpdate(p, g, m, v, t, ROSENBROCK.lr);
  }
  return [...p];
}

export const REFERENCES: Record<CheckId, () => number[]> = {
  A: referenceA,
  B: referenceB,
  C: referenceC,
  D: referenceD,
};

export interface CheckResult {
  readonly ok: boolean;
  /** The largest |got − ref| / (atol + rtol·|ref|): ≤ 1 passes. */
  readonly worst: number;
  readonly message: string;
}

export function compareCheck(id: CheckId, got: readonly number[], ref: readonly number[]): CheckResult {
  const { rtol, atol } = TOLERANCE[id];
  if (got.length !== ref.length) {
    return {
      ok: false,
      worst: Number.POSITIVE_INFINITY,
      message: `${got.length} numbers, expected ${ref.length}`,
    };
  }
  let worst = 0;
  let at = 0;
  got.forEach((g, i) => {
    const e = Math.abs(g - ref[i]) / (atol + rtol * Math.abs(ref[i]));
    if (!(e <= worst)) [worst, at] = [Number.isNaN(e) ? Number.POSITIVE_INFINITY : e, i];
  });
  const ok = worst <= 1;
  return {
    ok,
    worst,
    message: ok
      ? `ok (${worst.toFixed(3)} of tolerance)`
      : `WRONG: value #${at} is ${got[at]}, reference ${ref[at]} (rtol ${rtol}, atol ${atol})`,
  };
}
