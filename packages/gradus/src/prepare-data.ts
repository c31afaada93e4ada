import {
  formatShape,
  type Graph,
  isTensor,
  type NestedArray,
  type Shape,
  type Tensor,
  type TensorLike,
  toTensor,
} from '@gradus/autodiff';
import { bindInputs, type DeclInfo, UsageError } from '@gradus/dsl';
import {
  type Columns,
  type DataSpec,
  type EvalSet,
  type LoadedData,
  loadData,
  splitValidation,
} from '@gradus/optim';

/** Columns by input name, as tensors or nested arrays (the first axis is the example axis). */
export type ColumnsLike = Readonly<Record<string, TensorLike | NestedArray>>;

/** Training data held in memory: the training columns, and a test split if there is one. */
export interface InMemoryData {
  readonly train: ColumnsLike;
  readonly test?: ColumnsLike;
  /** For reports (default: "in-memory data: N examples"). */
  readonly description?: string;
}

/** An input to bind data to: its name, declared shape and dtype (a model's `input` declarations). */
export type InputDecl = Pick<DeclInfo, 'name' | 'shape' | 'dtype'> & { readonly shapeText?: string };

export interface PrepareDataOptions {
  readonly modelName: string;
  readonly inputs: readonly InputDecl[];
  /** The training graph: int labels are checked against the classes it uses them with. */
  readonly graph?: Graph;
  /** A data set or file (as in a `train { }` block), or data already in memory. */
  readonly data?: DataSpec | InMemoryData;
  /** What a relative data path is relative to. */
  readonly baseDir?: string;
  /** The fraction of the training rows held out for validation, in (0, 1). */
  readonly validation?: number;
  /** Seeds the validation split. */
  readonly seed: number;
}

export interface PreparedData {
  /** The rows the run trains on (absent for a model without inputs). */
  readonly train?: Columns;
  /**
   * What evaluations during training score (early stopping, plateau, per-epoch reports): the
   * validation split when `validation` is set, else the data set's test split, else nothing
   * (the trainer then scores the training rows).
   */
  readonly evaluation?: EvalSet;
  /** The test split, when a validation split is carved beside it: scored once, at the end. */
  readonly test?: EvalSet;
  readonly description: string;
  /** Rows per split, for summaries. */
  readonly rows: { readonly train: number; readonly validation?: number; readonly test?: number };
}

const isInMemory = (d: DataSpec | InMemoryData): d is InMemoryData =>
  'train' in d && typeof d.train === 'object' && d.train !== null;

/** The shape as written, `[N, 2]`, for messages about data bound to a graph's inputs. */
export const shapeText = (shape: Shape): string => formatShape(shape);

function columnsOf(c: ColumnsLike, what: string): Columns {
  const out: Record<string, Tensor> = Object.create(null);
  for (const [name, v] of Object.entries(c)) {
    try {
      out[name] = isTensor(v) ? v : toTensor(v as TensorLike);
    } catch (e) {
      throw new UsageError(
        `${what}: column '${name}' is not a tensor or nested array: ${(e as Error).message}`,
      );
    }
  }
  return out;
}

function loaded(data: DataSpec | InMemoryData, baseDir: string): LoadedData {
  if (!isInMemory(data)) return loadData(data, baseDir);
  const train = columnsOf(data.train, 'the training data');
  const first = Object.values(train)[0];
  return {
    train,
    ...(data.test ? { test: columnsOf(data.test, 'the test data') } : {}),
    description: data.description ?? `in-memory data: ${first ? first.shape[0] : 0} examples`,
  };
}

/**
 * The data of a run, bound to the model's inputs and split: what `gradus train` and `fit()` both
 * train and evaluate on. Loads the data set (or takes it from memory), checks every column
 * against its input, and with `validation = f` holds out that fraction of the training rows
 * (seeded) for the evaluations during training, also when the data set has a test split of its
 * own, which is then scored once at the end. Without `validation` the evaluations score the test
 * split when there is one. A model without inputs needs no data.
 */
export function prepareData(o: PrepareDataOptions): PreparedData {
  const inputNames = o.inputs.map((i) => i.name);
  if (inputNames.length === 0) return { description: 'no data', rows: { train: 0 } };
  if (!o.data) {
    throw new UsageError(
      `model ${o.modelName} has inputs (${inputNames.join(', ')}) but no data`,
      'add `data = ...` to its train block or pass --data',
    );
  }
  const model = {
    inputs: o.inputs.map((i) => ({
      ...i,
      span: { start: 0, end: 0 },
      shapeText: i.shapeText ?? shapeText(i.shape),
    })),
  };
  const data = loaded(o.data, o.baseDir ?? process.cwd());
  const bound = bindInputs(model, data.train, data.description, o.graph);
  const test = data.test
    ? { split: 'test', columns: bindInputs(model, data.test, `${data.description} (test split)`, o.graph) }
    : undefined;
  const rowsOf = (c: Columns) => c[inputNames[0]].shape[0];
  const rows = rowsOf(bound);
  if (o.validation === undefined) {
    return {
      train: bound,
      ...(test ? { evaluation: test } : {}),
      description: data.description,
      rows: { train: rows, ...(test ? { test: rowsOf(test.columns) } : {}) },
    };
  }
  if (!(o.validation > 0 && o.validation < 1))
    throw new UsageError(`validation must be a fraction in (0, 1), got ${o.validation}`);
  const held = Math.max(1, Math.round(rows * o.validation));
  if (rows - held < 1)
    throw new UsageError(
      `validation = ${o.validation} of ${data.description} (${rows} example${rows === 1 ? '' : 's'}) holds out ${held} and leaves no training rows`,
      'use a smaller fraction, or more data',
    );
  const split = splitValidation(bound, inputNames, o.validation, o.seed);
  return {
    train: split.train,
    evaluation: { split: 'validation', columns: split.validation },
    ...(test ? { test } : {}),
    description: data.description,
    rows: { train: rows - held, validation: held, ...(test ? { test: rowsOf(test.columns) } : {}) },
  };
}
