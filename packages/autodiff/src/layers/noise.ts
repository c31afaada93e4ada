/**
 * Noise and stochastic layers, train/eval aware like `dropout`: in a training graph they draw
 * from the counter-based generator (graph seed, a stream of their own, the step, the element), so
 * every backend and every resumed run sees the same noise; in an evaluation graph they are
 * deterministic.
 */
import { diagnostic, GradusError } from '../diagnostic.js';
import type { Dim } from '../shape.js';
import type { Value } from '../value.js';

/** Samples of `op` with `shape`, from a fresh stream of `x`'s graph. */
export function noiseLike(x: Value, op: 'RandomUniform' | 'RandomNormal', shape: readonly Dim[]): Value {
  const g = x.g;
  return g.value(
    g.add(op, [g.stepInput()], {
      shape: [...shape],
      dtype: x.toFloat().dtype,
      seed: g.seed,
      stream: g.nextStream(),
    }),
  );
}

function rangeError(op: string, message: string): GradusError {
  return new GradusError(diagnostic('E0338', `${op}: ${message}`));
}

/** Noise injection (Keras's `GaussianNoise`): `x + std·ε`, ε ~ N(0, 1), in training; `x` in evaluation. */
export function gaussianNoise(x: Value, std: number): Value {
  if (!(Number.isFinite(std) && std >= 0))
    throw rangeError('gaussian_noise', `std must be a finite number ≥ 0, got ${std}`);
  if (x.g.mode === 'eval' || std === 0) return x;
  return x.toFloat().add(noiseLike(x, 'RandomNormal', x.shape).mul(std));
}

export type StochasticMode = 'vanilla' | 'inverted';

/**
 * Stochastic depth (Huang et al., 2016) on a residual branch `[N, ...]`: in training each example's
 * branch is kept with probability `survive` and zeroed otherwise; in evaluation it is scaled by
 * `survive` (`'vanilla'`, the paper's form). `'inverted'` scales kept branches by 1/survive in
 * training and leaves evaluation alone (torchvision's `stochastic_depth(mode = "row")`).
 * Add the result to the block's input: `x + stochastic_depth(f(x), 0.8)`.
 */
export function stochasticDepth(branch: Value, survive: number, mode: StochasticMode = 'vanilla'): Value {
  if (!(survive > 0 && survive <= 1))
    throw rangeError('stochastic_depth', `survive must be in (0, 1], got ${survive}`);
  checkMode('stochastic_depth', mode);
  if (branch.rank === 0)
    throw rangeError('stochastic_depth', 'the branch needs a leading batch axis, got a scalar');
  const x = branch.toFloat();
  if (x.g.mode === 'eval') return mode === 'vanilla' && survive !== 1 ? x.mul(survive) : x;
  if (survive === 1) return x;
  const perExample = [x.shape[0], ...x.shape.slice(1).map(() => 1)];
  const kept = noiseLike(x, 'RandomUniform', perExample).lt(survive);
  return kept.where(mode === 'inverted' ? x.div(survive) : x, 0);
}

export function checkMode(op: string, mode: string): void {
  if (mode !== 'vanilla' && mode !== 'inverted')
    throw rangeError(op, `mode must be "inverted" or "vanilla", got ${JSON.stringify(mode)}`);
}
