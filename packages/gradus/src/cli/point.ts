import { dirname } from 'node:path';
import { initVariables, type Tensor } from '@gradus/autodiff';
import type { Lowered, ModelInfo } from '@gradus/dsl';
import { bindInputs, checkParams, randomInputs, sampleRows, UsageError } from '@gradus/dsl';
import { loadData, MAX_DATA_BYTES, parseJsonColumns, readRegularFile, UnreadableFile } from '@gradus/optim';

export interface PointOptions {
  readonly params?: string;
  readonly data?: string;
  readonly seed?: number;
  /** Use at most this many examples of the model's data (a seeded sample). */
  readonly batch?: number;
  /** Values for the model's hyper-parameters (from `--hyper`), replacing their defaults. */
  readonly hypers?: Readonly<Record<string, number>>;
}

function readJson(path: string, what: string): string {
  try {
    return readRegularFile(path, MAX_DATA_BYTES, `a ${what} file`).toString('utf8');
  } catch (e) {
    if (!(e instanceof UnreadableFile)) throw e;
    throw new UsageError(e.reason === 'missing' ? `no such ${what} file: ${path}` : e.message);
  }
}

/** A JSON file mapping some of the model's param names to arrays of their shapes (names and shapes checked). */
export function readParamsFile(model: ModelInfo, path: string, what = 'params'): Record<string, Tensor> {
  return checkParams(model, parseJsonColumns(readJson(path, what), path), path);
}

/**
 * The point at which `grad` and `gradcheck` evaluate a model: param values (from `--params`, else
 * the seeded initialisation) and input data (from `--data`, else the `train` block's data, else a
 * small seeded random batch of the declared shapes). Every variable (including batchnorm state)
 * gets a value, and random ops see step 1.
 */
export function pointOf(
  { graph, model }: Lowered,
  modelPath: string,
  opts: PointOptions,
): { feeds: Record<string, Tensor>; dataSource: string } {
  const seed = opts.seed ?? model.train.seed ?? 0;
  let inputs: Record<string, Tensor>;
  let dataSource: string;
  if (model.inputs.length === 0) {
    inputs = {};
    dataSource = 'none';
  } else if (opts.data) {
    inputs = bindInputs(model, loadData({ path: opts.data }).train, opts.data, graph);
    dataSource = opts.data;
  } else if (model.train.data) {
    const loaded = loadData(model.train.data, dirname(modelPath));
    inputs = bindInputs(model, loaded.train, loaded.description, graph);
    dataSource = loaded.description;
  } else {
    inputs = randomInputs(graph, model, 4, seed);
    dataSource = 'a seeded random batch of 4';
  }
  // A model whose inputs have a fixed number of rows (a param per example, as in sparse coding)
  // takes them all.
  const fixedRows = model.inputs.some((i) => typeof i.shape[0] === 'number');
  if (opts.batch !== undefined && model.inputs.length > 0 && !fixedRows) {
    const total = inputs[model.inputs[0].name].shape[0];
    inputs = sampleRows(inputs, opts.batch, seed);
    if (total > opts.batch) dataSource += `, ${opts.batch} examples sampled`;
  }
  const dims: Record<string, number> = Object.create(null);
  for (const inp of model.inputs)
    inp.shape.forEach((d, i) => {
      if (typeof d === 'string') dims[d] = inputs[inp.name].shape[i];
    });
  const params = opts.params ? readParamsFile(model, opts.params) : {};
  const variables = initVariables(graph, seed, dims);
  // Random ops (dropout) draw the masks of the first training step.
  const step: Tensor = { shape: [], dtype: 'i32', data: Float64Array.of(1) };
  return { feeds: { ...variables, ...params, ...inputs, $step: step }, dataSource };
}
