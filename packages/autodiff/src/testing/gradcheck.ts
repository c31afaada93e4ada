import { type DType, isFloat } from '../dtype.js';
import { hvp, vjp } from '../grad.js';
import { Graph } from '../graph.js';
import { interpret } from '../interpreter.js';
import type { Node } from '../node.js';
import { uniformAt } from '../random.js';
import { type Tensor, type TensorLike, toTensor } from '../tensor.js';
import type { Value } from '../value.js';

/** An argument of the function under test; plain tensors are differentiated, the others are held fixed. */
export type CheckArg =
  | TensorLike
  | { readonly value: TensorLike; readonly dtype: DType; readonly differentiate?: boolean };

export interface GradcheckOptions {
  /** Central-difference step (default 1e-6). */
  readonly eps?: number;
  /** Relative tolerance on |a − n| / max(|a|, |n|, tiny) (default 1e-5). */
  readonly rtol?: number;
  /** Absolute tolerance: elements with |a − n| ≤ atol pass whatever their relative error (default 1e-7). */
  readonly atol?: number;
  /** Step counter fed to random ops; held fixed across the ± evaluations (default 1). */
  readonly step?: number;
}

export interface ElementReport {
  readonly input: number;
  readonly index: number;
  readonly analytic: number;
  readonly numeric: number;
  readonly relError: number;
}

export interface GradcheckReport {
  readonly ok: boolean;
  /** Largest relative error among elements larger than `atol`. */
  readonly maxRelError: number;
  /** The worst element (by relative error), for the message. */
  readonly worst?: ElementReport;
  /** Per differentiated input, its largest relative error. */
  readonly perInput: readonly number[];
  readonly message: string;
}

const TINY = 1e-30;

interface Prepared {
  g: Graph;
  args: Value[];
  names: string[];
  tensors: Tensor[];
  diff: boolean[];
  scalar: Value;
}

/** Builds `⟨r, fn(args)⟩` with a fixed random cotangent r, so non-scalar outputs are checked in every direction. */
function prepare(fn: (...xs: Value[]) => Value, inputs: readonly CheckArg[]): Prepared {
  const g = new Graph({ floatDtype: 'f64', seed: 1234 });
  const tensors: Tensor[] = [];
  const diff: boolean[] = [];
  const names: string[] = [];
  const args = inputs.map((arg, i) => {
    const spec =
      typeof arg === 'object' && arg !== null && 'value' in arg && !('shape' in arg) ? arg : undefined;
    const t = spec ? toTensor(spec.value, spec.dtype) : toTensor(arg as TensorLike, 'f64');
    tensors.push(t);
    diff.push(spec ? (spec.differentiate ?? isFloat(spec.dtype)) : true);
    names.push(`arg${i}`);
    return g.input(`arg${i}`, t.shape, t.dtype);
  });
  const out = fn(...args);
  const f = out.toFloat('f64');
  let scalar = f;
  if (f.rank !== 0) {
    const shape = f.shape as number[];
    const n = shape.reduce((p, d) => p * d, 1);
    // Cotangent entries in [0.5, 1.5): never zero, so no direction is skipped.
    const r = Array.from({ length: n }, (_, i) => 0.5 + uniformAt(99, 7, 0, i));
    scalar = f.mul(g.constant(r, 'f64', shape)).sum();
  }
  return { g, args, names, tensors, diff, scalar };
}

function feedsOf(p: Prepared, tensors: readonly Tensor[], step: number): Record<string, TensorLike> {
  const feeds: Record<string, TensorLike> = { $step: step };
  p.names.forEach((n, i) => {
    feeds[n] = tensors[i];
  });
  return feeds;
}

function compare(
  analytic: readonly Float64Array[],
  numeric: readonly Float64Array[],
  diff: readonly boolean[],
  o: GradcheckOptions,
) {
  const rtol = o.rtol ?? 1e-5;
  const atol = o.atol ?? 1e-7;
  let worst: ElementReport | undefined;
  let maxRel = 0;
  let ok = true;
  const perInput = analytic.map(() => 0);
  analytic.forEach((a, i) => {
    if (!diff[i]) return;
    for (let j = 0; j < a.length; j++) {
      const an = a[j];
      const nu = numeric[i][j];
      const abs = Math.abs(an - nu);
      const rel = abs / Math.max(Math.abs(an), Math.abs(nu), TINY);
      const pass = abs <= atol || rel <= rtol;
      // Relative error means little for values indistinguishable from zero: report it only above atol.
      const relCounted = Number.isNaN(rel)
        ? Infinity
        : Math.max(Math.abs(an), Math.abs(nu)) <= atol
          ? 0
          : rel;
      if (!pass || Number.isNaN(an) !== Number.isNaN(nu)) ok = false;
      perInput[i] = Math.max(perInput[i], relCounted);
      if (!worst || relCounted > worst.relError)
        worst = { input: i, index: j, analytic: an, numeric: nu, relError: relCounted };
      maxRel = Math.max(maxRel, relCounted);
    }
  });
  const message = ok
    ? `gradients match (max relative error ${maxRel.toExponential(2)})`
    : `gradient mismatch at input ${worst?.input}, element ${worst?.index}: analytic ${worst?.analytic}, numeric ${worst?.numeric} (relative error ${worst?.relError.toExponential(2)})`;
  return { ok, maxRelError: maxRel, worst, perInput, message };
}

/** Central differences of the scalar `evalAt` around `tensors`, one element at a time, in f64. */
function centralDifferences(
  tensors: readonly Tensor[],
  diff: readonly boolean[],
  eps: number,
  evalAt: (ts: Tensor[]) => number,
): Float64Array[] {
  return tensors.map((t, i) => {
    const res = new Float64Array(t.data.length);
    if (!diff[i]) return res;
    const at = (j: number, delta: number) => {
      const ts = [...tensors];
      const data = Float64Array.from(t.data);
      data[j] += delta;
      ts[i] = { ...t, data };
      return evalAt(ts);
    };
    for (let j = 0; j < t.data.length; j++) res[j] = (at(j, eps) - at(j, -eps)) / (2 * eps);
    return res;
  });
}

/**
 * Checks `fn`'s reverse-mode gradient against central differences in f64. Non-scalar outputs
 * are contracted with a fixed random cotangent. Random ops see the same step in every
 * evaluation, so dropout masks stay fixed across the ± perturbations.
 */
export function gradcheck(
  fn: (...xs: Value[]) => Value,
  inputs: readonly CheckArg[],
  opts: GradcheckOptions = {},
): GradcheckReport {
  const p = prepare(fn, inputs);
  const step = opts.step ?? 1;
  const eps = opts.eps ?? 1e-6;
  const diffArgs = p.args.filter((_, i) => p.diff[i]);
  const grads = vjp(p.scalar, diffArgs);
  const gradNodes: Node[] = grads.map((v) => v.node);
  const analyticVals = interpret(gradNodes, { feeds: feedsOf(p, p.tensors, step) });
  let k = 0;
  const analytic = p.args.map((_, i) => (p.diff[i] ? analyticVals[k++].data : new Float64Array(0)));
  const numeric = centralDifferences(
    p.tensors,
    p.diff,
    eps,
    (ts) => interpret([p.scalar.node], { feeds: feedsOf(p, ts, step) })[0].data[0],
  );
  return compare(analytic, numeric, p.diff, opts);
}

/**
 * Second-order check: the Hessian-vector product H·v (reverse over reverse) against central
 * differences of the analytic gradient along v, for a random direction v per input.
 */
export function hvpcheck(
  fn: (...xs: Value[]) => Value,
  inputs: readonly CheckArg[],
  opts: GradcheckOptions = {},
): GradcheckReport {
  const p = prepare(fn, inputs);
  const step = opts.step ?? 1;
  const eps = opts.eps ?? 1e-5;
  const idx = p.args.map((_, i) => i).filter((i) => p.diff[i]);
  const analytic: Float64Array[] = [];
  const numeric: Float64Array[] = [];
  for (const i of idx) {
    const x = p.args[i];
    const n = p.tensors[i].data.length;
    const v = Array.from({ length: n }, (_, j) => 2 * uniformAt(5, i, 0, j) - 1);
    const vv = p.g.constant(v, 'f64', x.shape);
    const hv = hvp(p.scalar, x, vv);
    const [gx] = vjp(p.scalar, [x]);
    analytic.push(interpret([hv.node], { feeds: feedsOf(p, p.tensors, step) })[0].data);
    const shifted = (sgn: number) => {
      const ts = [...p.tensors];
      ts[i] = { ...p.tensors[i], data: p.tensors[i].data.map((d, j) => d + sgn * eps * v[j]) };
      return interpret([gx.node], { feeds: feedsOf(p, ts, step) })[0].data;
    };
    const gp = shifted(1);
    const gm = shifted(-1);
    numeric.push(gp.map((a, j) => (a - gm[j]) / (2 * eps)));
  }
  return compare(
    analytic,
    numeric,
    idx.map(() => true),
    { rtol: 1e-4, atol: 1e-6, ...opts },
  );
}
