/**
 * `overfit_small_subset`: the lectures' second check. A copy of the model, without regularisation
 * or dropout, trained on ~20 examples must fit them: 100% accuracy, or a loss near zero. If it
 * cannot, the model or its gradients are broken — unless the examples themselves cannot be told
 * apart (the same input with two labels), which is said instead.
 */
import { permutation, streamOf, type Tensor } from '@gradus/autodiff';
import type { CallSpec } from '@gradus/optim';
import { describeCall } from '../cli/run-config.js';
import { type DoctorCheck, num } from './check.js';
import { type DoctorModel, lowerVariant } from './doctor-model.js';
import { gradientOptimizer, stepRunner } from './step-runner.js';

export interface OverfitOptions {
  /** Examples in the subset (default 20). */
  readonly examples?: number;
  /** Full-batch steps per attempt (default 500). */
  readonly steps?: number;
}

/** Pairs of rows of `rows` whose inputs are identical but whose integer labels differ. */
function conflicts(m: DoctorModel, rows: readonly number[]): number {
  const inputs = m.lowered.model.inputs;
  const labels = inputs.filter((i) => i.dtype === 'i32');
  const features = inputs.filter((i) => i.dtype !== 'i32');
  if (labels.length === 0 || features.length === 0) return 0;
  const rowOf = (t: Tensor, r: number) => {
    const w = t.data.length / t.shape[0];
    return Array.from(t.data.subarray(r * w, (r + 1) * w));
  };
  const seen = new Map<string, string>();
  let count = 0;
  for (const r of rows) {
    const key = JSON.stringify(features.map((f) => rowOf(m.data[f.name], r)));
    const label = JSON.stringify(labels.map((l) => rowOf(m.data[l.name], r)));
    const prev = seen.get(key);
    if (prev === undefined) seen.set(key, label);
    else if (prev !== label) count++;
  }
  return count;
}

const ACCURACY = /acc/i;

export function checkOverfitSmallSubset(m: DoctorModel, opts: OverfitOptions = {}): DoctorCheck {
  const name = 'overfit_small_subset';
  if (m.inputNames.length === 0)
    return {
      name,
      status: 'ok',
      message: 'not applicable: the model has no inputs, so there is no subset of examples to fit',
    };
  const n = Math.min(opts.examples ?? 20, m.rows || 1);
  const steps = opts.steps ?? 500;
  // A seeded sample, not the first rows: data sets are often sorted by label.
  const rows =
    m.rows === 0 ? [] : Array.from(permutation(m.rows, m.seed, streamOf('doctor:subset'), 0).slice(0, n));
  const clash = conflicts(m, rows);
  const own = m.lowered.model.train.optimizer;
  const attempts: CallSpec[] = [
    gradientOptimizer(own, { name: 'adam', args: { lr: 1e-2 } }),
    { name: 'adam', args: { lr: 1e-2 } },
    { name: 'adam', args: { lr: 1e-3 } },
  ].filter((c, i, all) => all.findIndex((d) => describeCall(d) === describeCall(c)) === i);
  const tried: { optimizer: string; first: number; last: number; accuracy?: number; fitted: boolean }[] = [];
  for (const optimizer of attempts) {
    const runner = stepRunner(
      lowerVariant(m, { regularisation: false, dropout: false }),
      m.data,
      optimizer,
      m.seed,
    );
    const accuracyName = runner.metrics.find((k) => ACCURACY.test(k));
    let first = Number.NaN;
    let last = Number.NaN;
    let accuracy: number | undefined;
    let fitted = false;
    for (let k = 0; k <= steps; k++) {
      const r = runner.step(rows);
      if (k === 0) first = r.loss;
      last = r.loss;
      accuracy = accuracyName ? r.metrics[accuracyName] : undefined;
      if (!Number.isFinite(last)) break;
      fitted = accuracy !== undefined ? accuracy >= 1 : last <= 0.02 * Math.abs(first) || last < 1e-6;
      if (fitted) break;
    }
    tried.push({
      optimizer: describeCall(optimizer),
      first,
      last,
      ...(accuracy !== undefined ? { accuracy } : {}),
      fitted,
    });
    if (fitted) break;
  }
  const details = { examples: n, steps, attempts: tried, conflicting: clash };
  const ok = tried.find((t) => t.fitted);
  const what = (t: (typeof tried)[number]) =>
    `${t.optimizer}: loss ${num(t.first)} → ${num(t.last)}${t.accuracy !== undefined ? `, accuracy ${num(t.accuracy)}` : ''}`;
  if (ok && ok === tried[0])
    return {
      name,
      status: 'ok',
      message: `fits ${n} examples without regularisation (${what(ok)})`,
      details,
    };
  if (ok)
    return {
      name,
      status: 'warn',
      message: `fits ${n} examples only with another optimiser (${what(ok)}; with the model's own, ${what(tried[0])}): the model can learn, but its learning rate is probably too low (or too high) for it`,
      details,
    };
  if (clash > 0)
    return {
      name,
      status: 'warn',
      message: `could not fit ${n} examples (${tried.map(what).join('; ')}), but ${clash} of them repeat an input with a different label, so no model can: these points cannot be separated`,
      details,
    };
  return {
    name,
    status: 'fail',
    message: `could not fit ${n} examples in ${steps} steps without regularisation (${tried.map(what).join('; ')}): the model cannot represent them (too little capacity) or its gradients are broken; run gradus gradcheck on it`,
    details,
  };
}
