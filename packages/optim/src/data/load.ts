import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { diagnostic, GradusError, type Tensor, toTensor } from '@gradus/autodiff';
import type { DataSpec } from '../catalogue.js';
import { spiral } from './spiral.js';

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
    default:
      throw new GradusError(
        diagnostic('E0601', `the data set '${spec.name}' cannot be loaded by this version of Gradus`),
      );
  }
}

/** A JSON file mapping column names to nested arrays: `{ "x": [[0.1, 0.2], ...], "y": [0, ...] }`. */
function loadFile(path: string): LoadedData {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new GradusError(
      diagnostic(
        'E0602',
        `cannot read the data file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      ),
    );
  }
  if (!path.endsWith('.json')) {
    throw new GradusError(diagnostic('E0603', `cannot read ${path}: data files must be .json`));
  }
  return { train: parseColumns(text, path), description: path };
}

/** Parses `{ name: nested array }` JSON into columns, with errors that name the file and the column. */
export function parseColumns(text: string, source: string): Columns {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new GradusError(diagnostic('E0604', `${source} is not valid JSON: ${(e as Error).message}`));
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new GradusError(diagnostic('E0605', `${source} must hold a JSON object mapping names to arrays`));
  }
  const out: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(json)) {
    try {
      out[name] = toTensor(value as number[], 'f64');
    } catch (e) {
      throw new GradusError(
        diagnostic(
          'E0606',
          `${source}: '${name}' is not a rectangular array of numbers (${(e as Error).message})`,
        ),
      );
    }
    if (out[name].data.some((v) => typeof v !== 'number' || Number.isNaN(v))) {
      throw new GradusError(
        diagnostic('E0607', `${source}: '${name}' contains a value that is not a number`),
      );
    }
  }
  return out;
}
