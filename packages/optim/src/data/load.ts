import { extname, resolve } from 'node:path';
import { diagnostic, GradusError, type Tensor } from '@gradus/autodiff';
import type { DataSpec } from '../catalogue.js';
import { blobs, iris, mnist, moons } from './builtin-sets.js';
import { parseCsvColumns, parseJsonColumns, parseNpy } from './files.js';
import { readRegularFile, UnreadableFile } from './read-file.js';
import { spiral } from './spiral.js';

/** The largest data file read (.json, .csv, .npy): 512 MiB. */
export const MAX_DATA_BYTES = 512 * 1024 * 1024;

/** Named columns of examples (`x`, `y`, ...): the first axis of every tensor is the example axis. */
export type Columns = Readonly<Record<string, Tensor>>;

export interface LoadedData {
  readonly train: Columns;
  /** A held-out split, when the data set has one (MNIST's test set). */
  readonly test?: Columns;
  readonly description: string;
}

const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);

/** Loads a data set named in a `train { data = ... }` setting or a `--data` flag. */
export function loadData(spec: DataSpec, baseDir = process.cwd()): LoadedData {
  if ('path' in spec) return loadFile(resolve(baseDir, spec.path));
  const a = spec.args;
  switch (spec.name) {
    case 'spiral': {
      const d = spiral(num(a.classes, 3), num(a.points, 100), num(a.seed, 0));
      return {
        train: {
          x: { shape: [d.n, 2], dtype: 'f64', data: d.x },
          y: { shape: [d.n], dtype: 'i32', data: Float64Array.from(d.y) },
        },
        description: `spiral: ${d.classes} classes × ${d.n / d.classes} points`,
      };
    }
    case 'moons':
      return { train: moons(num(a.points, 100), num(a.noise, 0.1), num(a.seed, 0)), description: 'moons' };
    case 'blobs':
      return { train: blobs(num(a.classes, 3), num(a.points, 100), num(a.seed, 0)), description: 'blobs' };
    case 'iris':
      return { train: iris(), description: 'iris: 150 flowers × 4 measurements' };
    case 'mnist': {
      const { train, test } = mnist();
      return { train, test, description: 'MNIST: 60,000 training and 10,000 test images' };
    }
    default:
      throw new GradusError(diagnostic('E0601', `unknown data set '${spec.name}'`));
  }
}

/** A data file: `.json` (`{ "x": [[...]], "y": [...] }`), `.csv` (header `x[0],x[1],y`) or `.npy`. */
function loadFile(path: string): LoadedData {
  const ext = extname(path).toLowerCase();
  if (!['.json', '.csv', '.npy'].includes(ext)) {
    throw new GradusError(diagnostic('E0603', `cannot read ${path}: data files must be .json, .csv or .npy`));
  }
  let bytes: Buffer;
  try {
    bytes = readRegularFile(path, MAX_DATA_BYTES, 'a data file');
  } catch (e) {
    if (!(e instanceof UnreadableFile)) throw e;
    throw new GradusError(
      diagnostic('E0602', e.reason === 'missing' ? `no such data file: ${path}` : e.message),
    );
  }
  const train =
    ext === '.json'
      ? parseJsonColumns(bytes.toString('utf8'), path)
      : ext === '.csv'
        ? parseCsvColumns(bytes.toString('utf8'), path)
        : parseNpy(bytes, path);
  return { train, description: path };
}
