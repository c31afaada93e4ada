import { normalAt, streamOf } from '@gradus/autodiff';

/** A labelled data set: `x` is [n, features] row-major, `y` holds integer labels. */
export interface Dataset {
  readonly x: Float64Array;
  readonly y: Int32Array;
  readonly n: number;
  readonly features: number;
  readonly classes: number;
}

/**
 * The three-armed spiral of the CS231n case study, `points` per class: for class j,
 * r = linspace(0, 1, N), t = linspace(4j, 4(j+1), N) + 0.2·normal(), x = (r sin t, r cos t).
 * The noise comes from the counter-based generator, so a seed gives the same points everywhere.
 */
export function spiral(classes = 3, points = 100, seed = 0): Dataset {
  const n = classes * points;
  const x = new Float64Array(n * 2);
  const y = new Int32Array(n);
  const stream = streamOf('spiral');
  for (let j = 0; j < classes; j++) {
    for (let i = 0; i < points; i++) {
      const k = j * points + i;
      const frac = points === 1 ? 0 : i / (points - 1);
      const r = frac;
      const t = 4 * j + 4 * frac + 0.2 * normalAt(seed, stream, 0, k);
      x[2 * k] = r * Math.sin(t);
      x[2 * k + 1] = r * Math.cos(t);
      y[k] = j;
    }
  }
  return { x, y, n, features: 2, classes };
}
