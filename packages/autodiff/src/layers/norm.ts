/**
 * Layer and instance normalisation, PyTorch's `F.layer_norm` and `F.instance_norm` (biased
 * variance, `eps = 1e-5`, statistics of the example itself in training and evaluation alike), as
 * composites of means: no running statistics, so no state.
 */
import { mean, square } from '../composites.js';
import { formatShape, normalizeAxis, type Shape, sameShape } from '../shape.js';
import type { Value } from '../value.js';
import { layerError } from './window.js';

export interface NormOptions {
  readonly eps?: number;
}

function checkAffine(op: string, gamma: Value, beta: Value, want: Shape, what: string): void {
  for (const [name, v] of [
    ['gamma', gamma],
    ['beta', beta],
  ] as const) {
    if (!sameShape(v.shape, want))
      throw layerError(
        'E0335',
        op,
        `${name} must have the shape of ${what}, ${formatShape(want)}, got ${formatShape(v.shape)}`,
      );
  }
}

/** (x − μ)/√(σ² + eps) over `axes`, with μ and the biased σ² taken over those axes. */
function standardise(x: Value, axes: readonly number[], eps: number): Value {
  const centred = x.sub(mean(x, { axis: axes, keepdims: true }));
  const variance = mean(square(centred), { axis: axes, keepdims: true });
  return centred.div(variance.add(eps).sqrt());
}

/**
 * Normalises over the axes from `axis` to the last (PyTorch's `normalized_shape = x.shape[axis:]`),
 * then `gamma·x̂ + beta` with `gamma`, `beta` of that shape.
 */
export function layernorm(
  x: Value,
  gamma: Value,
  beta: Value,
  opts: NormOptions & { readonly axis?: number } = {},
): Value {
  const first = normalizeAxis(opts.axis ?? -1, x.rank, 'layernorm');
  const axes = x.shape.map((_, i) => i).filter((i) => i >= first);
  checkAffine(
    'layernorm',
    gamma,
    beta,
    x.shape.slice(first),
    `the normalised axes of x ${formatShape(x.shape)}`,
  );
  return standardise(x.toFloat(), axes, opts.eps ?? 1e-5)
    .mul(gamma)
    .add(beta);
}

/** Normalises each example's channel over its spatial axes: `x [N, C, ...]`, `gamma`, `beta` [C]. */
export function instancenorm(x: Value, gamma: Value, beta: Value, opts: NormOptions = {}): Value {
  if (x.rank < 3)
    throw layerError(
      'E0334',
      'instancenorm',
      `x must be [N, C, ...] with spatial axes, got ${formatShape(x.shape)}`,
    );
  checkAffine('instancenorm', gamma, beta, [x.shape[1]], `the channel axis of x ${formatShape(x.shape)}`);
  const axes = x.shape.map((_, i) => i).filter((i) => i >= 2);
  const perChannel = [x.shape[1], ...axes.map(() => 1)];
  return standardise(x.toFloat(), axes, opts.eps ?? 1e-5)
    .mul(gamma.reshape(perChannel))
    .add(beta.reshape(perChannel));
}
