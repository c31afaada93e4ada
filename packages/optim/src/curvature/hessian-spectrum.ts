/**
 * The extreme eigenvalues of a model's loss Hessian over all its params, by Lanczos on
 * Hessian-vector products: the graph gains one input block per param (the direction v) and
 * outputs H·v (`hvpAll`, two gradient evaluations), it is compiled once, and each Lanczos step
 * is one run. The dense Hessian is never formed, so this works for models of any size; the cost
 * is `iterations` runs plus O(iterations²·n) host arithmetic for the reorthogonalisation.
 *
 * What the numbers mean for training (the lectures' analysis of gradient descent on a
 * quadratic, which the loss is near a point to second order): gradient descent converges iff
 * lr < 2/λmax, fastest at lr = 2/(λmax + λmin) where the error shrinks by (κ−1)/(κ+1) per step,
 * κ = λmax/λmin; a negative λmin means the point is not a minimum (a saddle, or not converged).
 */
import { diagnostic, GradusError, type Graph, hvpAll, type TensorLike } from '@gradus/autodiff';
import { type Backend, cpu } from '@gradus/backends';
import { paramsOf } from '../step.js';
import { type LanczosOptions, lanczos, type RitzValue } from './lanczos.js';

/** Names the spectrum program adds to the graph; `$` keeps them apart from the model's. */
export const directionInput = (param: string): string => `$v.${param}`;
export const hvpOutput = (param: string): string => `$hvp.${param}`;

export interface HessianSpectrumOptions extends LanczosOptions {
  /** Where the products run (default: the CPU backend). */
  readonly backend?: Backend;
  /** Default f64: Lanczos needs an operator that is symmetric to rounding. */
  readonly dtype?: 'f32' | 'f64';
}

export interface HessianSpectrum {
  /** Numbers in all params together: the Hessian is n×n. */
  readonly n: number;
  /** The loss at the point. */
  readonly loss: number;
  /** The `top` largest eigenvalues, descending, with their error bounds. */
  readonly largest: readonly RitzValue[];
  /** The `top` smallest eigenvalues, ascending (so `smallest[0]` is λmin), with their bounds. */
  readonly smallest: readonly RitzValue[];
  readonly lambdaMax: number;
  readonly lambdaMin: number;
  /**
   * From λmin and its bound: 'positive definite' (λmin − bound > 0), 'singular' (0 is within
   * λmin's bound: flat directions, κ infinite) or 'indefinite' (λmin + bound < 0: not a minimum).
   */
  readonly definiteness: 'positive definite' | 'singular' | 'indefinite';
  /** κ = λmax/λmin when positive definite; undefined otherwise. */
  readonly condition?: number;
  /** 2/λmax when λmax > 0: gradient descent on the local quadratic model diverges above it. */
  readonly maxStableLr?: number;
  /** 2/(λmax + λmin) when positive definite: the fastest constant lr on that model. */
  readonly optimalLr?: number;
  /** (κ−1)/(κ+1): the error's shrink factor per step at `optimalLr`. */
  readonly rate?: number;
  /** Hessian-vector products made. */
  readonly iterations: number;
  /** The whole spectrum was computed (iterations = n): exact to rounding. */
  readonly complete: boolean;
  /** Every reported eigenvalue met the tolerance. */
  readonly converged: boolean;
}

/**
 * The Hessian spectrum of `g`'s loss with respect to all its params at the point `feeds` (every
 * variable and input, as `run` takes them). Adds the direction inputs and H·v outputs to `g`.
 */
export function hessianSpectrum(
  g: Graph,
  feeds: Readonly<Record<string, TensorLike>>,
  opts: HessianSpectrumOptions = {},
): HessianSpectrum {
  const lossNode = g.loss();
  if (!lossNode) throw new GradusError(diagnostic('E1301', 'the graph has no loss to take the Hessian of'));
  const params = paramsOf(g);
  if (params.length === 0)
    throw new GradusError(diagnostic('E1301', 'the model has no params, so its Hessian is empty'));
  const shapes = params.map((p) => {
    if (!p.value.shape.every((d) => typeof d === 'number'))
      throw new GradusError(
        diagnostic(
          'E1301',
          `the Hessian needs params of known shape; '${p.name}' is [${p.value.shape.join(', ')}]`,
        ),
      );
    return p.value.shape as number[];
  });
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  const n = sizes.reduce((a, b) => a + b, 0);
  const values = params.map((p) => p.value);
  const hv = hvpAll(
    g.value(lossNode),
    values,
    params.map((p, i) => g.input(directionInput(p.name), shapes[i], p.value.dtype)),
  );
  params.forEach((p, i) => {
    g.output(hvpOutput(p.name), hv[i]);
  });
  const dtype = opts.dtype ?? 'f64';
  const outputs = ['loss', ...params.map((p) => hvpOutput(p.name))];
  if (!g.outputs.has('loss')) g.output('loss', lossNode, 'loss');
  const exe = (opts.backend ?? cpu).compile(g, { dtype, outputs });
  // The first run writes the variables; later runs feed only the data and the direction.
  const data: Record<string, TensorLike> = {};
  for (const [k, v] of Object.entries(feeds)) if (!g.variables.has(k)) data[k] = v;
  let first = true;
  let loss = Number.NaN;
  const op = (v: Float64Array): Float64Array => {
    const run: Record<string, TensorLike> = first ? { ...feeds } : { ...data };
    let o = 0;
    params.forEach((p, i) => {
      run[directionInput(p.name)] = {
        shape: shapes[i],
        dtype: p.value.dtype,
        data: v.subarray(o, o + sizes[i]),
      };
      o += sizes[i];
    });
    const out = exe.run(run);
    if (first) loss = out.loss.data[0];
    first = false;
    const r = new Float64Array(n);
    o = 0;
    params.forEach((p, i) => {
      r.set(out[hvpOutput(p.name)].data, o);
      o += sizes[i];
    });
    return r;
  };
  const top = Math.max(1, Math.min(opts.top ?? 1, n));
  const result = lanczos(op, n, { ...opts, top });
  const ritz = result.ritz;
  const largest = ritz.slice(0, top);
  const smallest = ritz.slice(-top).reverse();
  const lambdaMax = ritz[0].value;
  const lambdaMin = ritz[ritz.length - 1].value;
  const minBound = smallest[0].bound;
  const definiteness =
    lambdaMin - minBound > 0 ? 'positive definite' : lambdaMin + minBound < 0 ? 'indefinite' : 'singular';
  const pd = definiteness === 'positive definite';
  const kappa = lambdaMax / lambdaMin;
  return {
    n,
    loss,
    largest,
    smallest,
    lambdaMax,
    lambdaMin,
    definiteness,
    ...(pd
      ? { condition: kappa, optimalLr: 2 / (lambdaMax + lambdaMin), rate: (kappa - 1) / (kappa + 1) }
      : {}),
    ...(lambdaMax > 0 ? { maxStableLr: 2 / lambdaMax } : {}),
    iterations: result.iterations,
    complete: result.complete,
    converged: result.converged,
  };
}
