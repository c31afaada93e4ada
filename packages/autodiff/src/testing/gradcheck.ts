import { type DType, isFloat } from '../dtype.js';
import { hvp, vjp } from '../grad.js';
import { Graph, type Mode } from '../graph.js';
import { interpret } from '../interpreter.js';
import { type Node, topoSort } from '../node.js';
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
  /** Mode of the graph `fn` builds in (default 'train'): eval-mode dropout and batchnorm. */
  readonly mode?: Mode;
  /** Variables `fn` declares (e.g. batchnorm's running statistics) take their initial values under this seed. */
  readonly initSeed?: number;
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
  /** Per differentiated input, its largest absolute error |a − n|. */
  readonly perInputAbs: readonly number[];
  /** Per differentiated input, whether every element passed (|a − n| ≤ atol or relative error ≤ rtol). */
  readonly perInputOk: readonly boolean[];
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
function prepare(fn: (...xs: Value[]) => Value, inputs: readonly CheckArg[], mode: Mode = 'train'): Prepared {
  const g = new Graph({ floatDtype: 'f64', seed: 1234, mode });
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
  const perInputAbs = analytic.map(() => 0);
  const perInputOk = analytic.map(() => true);
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
      if (!pass || Number.isNaN(an) !== Number.isNaN(nu)) {
        ok = false;
        perInputOk[i] = false;
      }
      perInput[i] = Math.max(perInput[i], relCounted);
      perInputAbs[i] = Math.max(perInputAbs[i], Number.isNaN(abs) ? Infinity : abs);
      if (!worst || relCounted > worst.relError)
        worst = { input: i, index: j, analytic: an, numeric: nu, relError: relCounted };
      maxRel = Math.max(maxRel, relCounted);
    }
  });
  const message = ok
    ? `gradients match (max relative error ${maxRel.toExponential(2)})`
    : `gradient mismatch at input ${worst?.input}, element ${worst?.index}: analytic ${worst?.analytic}, numeric ${worst?.numeric} (relative error ${worst?.relError.toExponential(2)})`;
  return { ok, maxRelError: maxRel, worst, perInput, perInputAbs, perInputOk, message };
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
  const p = prepare(fn, inputs, opts.mode);
  const step = opts.step ?? 1;
  const eps = opts.eps ?? 1e-6;
  const diffArgs = p.args.filter((_, i) => p.diff[i]);
  const grads = vjp(p.scalar, diffArgs);
  const gradNodes: Node[] = grads.map((v) => v.node);
  const analyticVals = interpret(gradNodes, { feeds: feedsOf(p, p.tensors, step), initSeed: opts.initSeed });
  let k = 0;
  const analytic = p.args.map((_, i) => (p.diff[i] ? analyticVals[k++].data : new Float64Array(0)));
  const numeric = centralDifferences(
    p.tensors,
    p.diff,
    eps,
    (ts) => interpret([p.scalar.node], { feeds: feedsOf(p, ts, step), initSeed: opts.initSeed })[0].data[0],
  );
  return compare(analytic, numeric, p.diff, opts);
}

export interface GraphCheckOptions extends GradcheckOptions {
  /** Check at most this many elements of each tensor (chosen by a seeded draw); all when absent. */
  readonly samples?: number;
  readonly seed?: number;
  /**
   * Evaluates the analytic gradient values (default: the reference interpreter). A backend
   * passes its own, so its gradients are checked against the interpreter's central differences.
   */
  readonly evaluate?: (gradients: readonly Value[], feeds: Readonly<Record<string, TensorLike>>) => Tensor[];
}

/**
 * Gradcheck of an existing graph: the gradient of scalar `loss` with respect to the variables
 * `wrt`, at the values in `feeds` (which must hold every input and every variable), against
 * central differences of the interpreter in f64. Large tensors can be sampled (CS231n's
 * "sparse" check) so that big models stay affordable.
 */
export function gradcheckGraph(
  loss: Value,
  wrt: readonly Value[],
  feeds: Readonly<Record<string, TensorLike>>,
  opts: GraphCheckOptions = {},
): GradcheckReport & { readonly kinks: readonly number[] } {
  const eps = opts.eps ?? 1e-6;
  const grads = vjp(loss, wrt);
  const base: Record<string, TensorLike> = { ...feeds, $step: feeds.$step ?? opts.step ?? 1 };
  const analyticAll = opts.evaluate
    ? opts.evaluate(grads, base)
    : interpret(
        grads.map((v) => v.node),
        { feeds: base, graph: loss.g },
      );
  // The decisions a piecewise function makes (relu's x > 0, a max's winner, where's condition).
  // If one flips between x − eps and x + eps, the central difference straddles a kink and says
  // nothing about the derivative, so that element is set aside and counted, not compared.
  const order = topoSort([loss.node]);
  // A max that only stabilises (logsumexp's, gradient-stopped) decides nothing about the value.
  const stabiliser = new Set(order.filter((n) => n.op === 'StopGradient').flatMap((n) => n.inputs));
  for (const n of order) if (n.op !== 'StopGradient') for (const i of n.inputs) stabiliser.delete(i);
  const decisions = order.flatMap((n) => (stabiliser.has(n) ? [] : decisionsOf(loss.g, n)));
  const names = wrt.map((w) => w.node.attrs.name as string);
  const tensors = names.map((n, i) => toTensor(base[n] as TensorLike, 'f64', analyticAll[i].shape));
  const analytic: Float64Array[] = [];
  const numeric: Float64Array[] = [];
  const kinks: number[] = [];
  tensors.forEach((t, i) => {
    const n = t.data.length;
    const picks =
      opts.samples !== undefined && opts.samples < n
        ? Array.from({ length: opts.samples }, (_, k) => Math.floor(uniformAt(opts.seed ?? 0, i, 1, k) * n))
        : Array.from({ length: n }, (_, k) => k);
    const at = (j: number, delta: number) => {
      const data = Float64Array.from(t.data);
      data[j] += delta;
      return interpret([loss.node, ...decisions], {
        feeds: { ...base, [names[i]]: { ...t, data } },
        graph: loss.g,
      });
    };
    const a: number[] = [];
    const nu: number[] = [];
    let straddled = 0;
    for (const j of picks) {
      const [fp, ...dp] = at(j, eps);
      const [fm, ...dm] = at(j, -eps);
      if (dp.some((d, k) => d.data.some((v, m) => v !== dm[k].data[m]))) {
        straddled++;
        continue;
      }
      a.push(analyticAll[i].data[j]);
      nu.push((fp.data[0] - fm.data[0]) / (2 * eps));
    }
    analytic.push(Float64Array.from(a));
    numeric.push(Float64Array.from(nu));
    kinks.push(straddled);
  });
  return {
    ...compare(
      analytic,
      numeric,
      wrt.map(() => true),
      opts,
    ),
    kinks,
  };
}

const DECISION_OPS = new Set(['Equal', 'NotEqual', 'Less', 'LessEqual', 'Greater', 'GreaterEqual', 'ArgMax']);

/**
 * The discrete choices `n` makes: comparisons and argmax are choices themselves; `max`/`min`
 * (reductions and element-wise) choose their winners, and a tie broken one way at x + eps and
 * the other at x − eps is a kink like relu's, so the winners mask is watched too.
 */
function decisionsOf(g: Graph, n: Node): Node[] {
  if (DECISION_OPS.has(n.op)) return [n];
  const [x, y] = n.inputs.map((i) => g.value(i));
  const out = g.value(n);
  if (n.op === 'Max' || n.op === 'Min') {
    const kept = x.shape.map((d, i) => ((n.attrs.axes as number[]).includes(i) ? 1 : d));
    return [x.eq(out.reshape(kept).broadcastTo(x.shape)).node];
  }
  if (n.op === 'Maximum' || n.op === 'Minimum') return [x.gt(y).node, x.lt(y).node];
  return [];
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
  const p = prepare(fn, inputs, opts.mode);
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
    analytic.push(
      interpret([hv.node], { feeds: feedsOf(p, p.tensors, step), initSeed: opts.initSeed })[0].data,
    );
    const shifted = (sgn: number) => {
      const ts = [...p.tensors];
      ts[i] = { ...p.tensors[i], data: p.tensors[i].data.map((d, j) => d + sgn * eps * v[j]) };
      return interpret([gx.node], { feeds: feedsOf(p, ts, step), initSeed: opts.initSeed })[0].data;
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
