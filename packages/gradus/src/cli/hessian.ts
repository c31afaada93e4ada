import { loadModel } from '@gradus/dsl';
import { hessianSpectrum, type RitzValue } from '@gradus/optim';
import { fmt, type Io, table } from './output.js';
import { type PointOptions, pointOf } from './point.js';

export interface HessianOptions extends PointOptions {
  /** How many of the largest (and of the smallest) eigenvalues to report (default 5). */
  readonly top?: number;
  /** At most this many Hessian-vector products. */
  readonly iterations?: number;
  /** Relative tolerance of the reported eigenvalues (default 1e-8). */
  readonly tol?: number;
  readonly json?: boolean;
}

/**
 * `gradus hessian FILE`: the extreme eigenvalues of the loss's Hessian over all params at a point
 * (the same point `gradus grad` uses), by Lanczos on Hessian-vector products, and what they say
 * about learning rates.
 */
export function hessianCommand(path: string, opts: HessianOptions, io: Io): number {
  const { lowered } = loadModel(path, {
    floatDtype: 'f64',
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    hypers: opts.hypers,
  });
  const { feeds, dataSource } = pointOf(lowered, path, opts);
  const s = hessianSpectrum(lowered.graph, feeds, {
    top: opts.top ?? 5,
    ...(opts.iterations !== undefined ? { maxIterations: opts.iterations } : {}),
    ...(opts.tol !== undefined ? { tol: opts.tol } : {}),
    seed: opts.seed ?? lowered.model.train.seed ?? 0,
  });
  if (opts.json) {
    const values = (r: readonly RitzValue[]) => r.map((x) => x.value);
    const bounds = (r: readonly RitzValue[]) => r.map((x) => x.bound);
    io.out(
      JSON.stringify({
        loss: s.loss,
        params: s.n,
        eigenvalues: values(s.largest),
        bounds: bounds(s.largest),
        smallest: values(s.smallest),
        smallest_bounds: bounds(s.smallest),
        lambda_max: s.lambdaMax,
        lambda_min: s.lambdaMin,
        definiteness: s.definiteness,
        condition: s.condition ?? null,
        max_stable_lr: s.maxStableLr ?? null,
        optimal_lr: s.optimalLr ?? null,
        rate: s.rate ?? null,
        hvps: s.iterations,
        complete: s.complete,
        converged: s.converged,
      }),
    );
    return 0;
  }
  const { model } = lowered;
  const where = opts.params ? `the params of ${opts.params}` : 'the initial params';
  io.out(
    `Hessian of ${model.name}'s loss (${fmt(s.loss)}) over all ${s.n} params (${model.params.map((p) => p.name).join(', ')}) at ${where}, on ${dataSource === 'none' ? 'no data' : dataSource}`,
  );
  io.out(
    s.complete
      ? `Lanczos: ${s.iterations} Hessian-vector products gave the whole spectrum (exact to rounding)`
      : `Lanczos: ${s.iterations} Hessian-vector products; each eigenvalue is within its ± bound of a true one${s.converged ? '' : ' (not all reached the tolerance: raise --iterations)'}`,
  );
  const rows = [['', 'eigenvalue', '± bound']];
  const shown = new Set<RitzValue>();
  s.largest.forEach((x, i) => {
    shown.add(x);
    rows.push([`λ${i + 1}`, fmt(x.value), fmt(x.bound)]);
  });
  const low = s.smallest.filter((x) => !shown.has(x));
  if (low.length > 0) {
    if (s.n - low.length > s.largest.length) rows.push(['…', '', '']);
    [...low].reverse().forEach((x) => {
      const rank = s.n - s.smallest.indexOf(x);
      rows.push([`λ${rank}`, fmt(x.value), fmt(x.bound)]);
    });
  }
  io.out(table(rows));
  io.out('');
  io.out(`λmax = ${fmt(s.lambdaMax)}, λmin = ${fmt(s.lambdaMin)}`);
  if (s.condition !== undefined) io.out(`condition number κ = λmax/λmin = ${fmt(s.condition)}`);
  else
    io.out(
      s.definiteness === 'indefinite'
        ? 'λmin < 0: the Hessian is indefinite here, so this point is not a minimum (a saddle, or training has not converged); κ is not defined'
        : 'λmin = 0 within its bound: the Hessian is singular here (flat directions, which regularisation would curve); κ is infinite',
    );
  if (s.maxStableLr !== undefined) {
    io.out(
      `max_stable_lr = 2/λmax = ${fmt(s.maxStableLr)}: on the local quadratic model, gradient descent converges for lr < 2/λmax and diverges above it`,
    );
  }
  if (s.optimalLr !== undefined && s.rate !== undefined) {
    io.out(
      `the fastest constant lr there is 2/(λmax + λmin) = ${fmt(s.optimalLr)}, where the error shrinks by (κ−1)/(κ+1) = ${fmt(s.rate)} per step`,
    );
  }
  return 0;
}
