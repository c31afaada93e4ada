/**
 * `exportOnnx`: a `.model` file's evaluation graph (no dropout or noise, batchnorm's running
 * statistics) with trained params as an ONNX file. The CLI's `gradus export --onnx` is this and
 * `writeOnnx`.
 */
import { existsSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { type FloatDType, formatShape, initVariables, type Tensor } from '@gradus/autodiff';
import { defaultOnnxOutputs, emitOnnx, loadModel, UsageError } from '@gradus/dsl';
import { CHECKPOINT_FILE, loadCheckpoint } from '@gradus/optim';
import { VERSION } from './version.js';

export interface ExportOnnxOptions {
  /** A checkpoint directory whose params (and running statistics) the file holds. */
  readonly checkpoint?: string;
  /** Float precision of the file: f32 (default, what ONNX runtimes run fastest) or f64. */
  readonly dtype?: FloatDType;
  /** The named results to export (default: the `output`s, or the metrics and loss of a model without one). */
  readonly outputs?: readonly string[];
  /** Seed of the initialisation when there is no checkpoint (default: the train block's). */
  readonly seed?: number;
  /** Values for the model's hyper-parameters, as the run that trained the params had them. */
  readonly hypers?: Readonly<Record<string, number>>;
}

export interface OnnxExport {
  readonly bytes: Uint8Array;
  readonly model: string;
  /** Where the params came from, in words (`checkpoint at step 4690`). */
  readonly source: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Every file the export read, which `writeOnnx` never overwrites. */
  readonly readFrom: readonly string[];
}

/** The ONNX file of the model in `path`, with the params of `opts.checkpoint` (or the seeded initialisation). */
export function exportOnnx(path: string, opts: ExportOnnxOptions = {}): OnnxExport {
  const dtype = opts.dtype ?? 'f32';
  const checkpoint = opts.checkpoint ? loadCheckpoint(opts.checkpoint) : undefined;
  const probe = loadModel(path, { floatDtype: dtype, mode: 'eval', hypers: opts.hypers }).lowered;
  if (checkpoint && checkpoint.model !== probe.model.name) {
    throw new UsageError(
      `the checkpoint in ${opts.checkpoint} is of model ${checkpoint.model}, not ${probe.model.name}`,
    );
  }
  const seed = checkpoint?.seed ?? opts.seed ?? probe.model.train.seed ?? 0;
  const { graph, model } = loadModel(path, {
    floatDtype: dtype,
    mode: 'eval',
    seed,
    hypers: opts.hypers,
  }).lowered;
  let variables: Record<string, Tensor>;
  if (checkpoint) {
    variables = Object.assign(Object.create(null), checkpoint.variables);
    for (const [name, node] of graph.variables) {
      if (!Object.hasOwn(variables, name))
        throw new UsageError(`the checkpoint in ${opts.checkpoint} has no value for '${name}'`);
      const t = variables[name];
      if (t.shape.join() !== node.shape.join())
        throw new UsageError(
          `the checkpoint in ${opts.checkpoint} has '${name}' of shape [${t.shape.join(', ')}], but the model declares ${formatShape(node.shape)}`,
        );
    }
  } else variables = initVariables(graph, seed);
  const outputs = opts.outputs ?? defaultOnnxOutputs(graph);
  const source = checkpoint ? `checkpoint at step ${checkpoint.step}` : `initial params (seed ${seed})`;
  const bytes = emitOnnx(graph, {
    variables,
    outputs,
    name: model.name,
    producerVersion: VERSION,
    doc: `${model.name}, exported by Gradus from ${basename(path)}`,
    metadata: { 'gradus.model': model.name, 'gradus.params': source },
  });
  return {
    bytes,
    model: model.name,
    source,
    inputs: model.inputs.map((i) => i.name),
    outputs,
    readFrom: [path, ...(opts.checkpoint ? [join(opts.checkpoint, CHECKPOINT_FILE)] : [])],
  };
}

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
};

/**
 * Writes an export to `out` atomically (a temporary file renamed over it), never over a file the
 * export was made from, and over an existing file only with `overwrite`.
 */
export function writeOnnx(
  out: string,
  exported: OnnxExport,
  opts: { readonly overwrite?: boolean } = {},
): void {
  const target = real(out);
  const input = exported.readFrom.find((f) => real(f) === target);
  if (input !== undefined)
    throw new UsageError(
      `refusing to write ${out}: it is ${input}, which the export reads`,
      'choose another file name',
    );
  if (existsSync(out)) {
    if (statSync(out).isDirectory()) throw new UsageError(`cannot write ${out}: it is a directory`);
    if (!opts.overwrite)
      throw new UsageError(`${out} exists`, 'pass --overwrite to replace it, or choose another file name');
  }
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, exported.bytes);
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UsageError(`cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}
