/**
 * A model as the doctor examines it: its syntax tree (for the variants), its training data bound
 * to its inputs, and a way to lower a variant: with or without regularisation and dropout, with
 * the scores (or prediction and target) of its loss exposed as outputs.
 */
import { dirname } from 'node:path';
import type { Tensor } from '@gradus/autodiff';
import {
  bindInputs,
  type Lowered,
  lower,
  type ModelDecl,
  ModelErrors,
  type Program,
  parse,
  readSource,
  type SourceFile,
  sampleRows,
  UsageError,
} from '@gradus/dsl';
import { loadData } from '@gradus/optim';
import { applySettingFlags } from '../cli/run-config.js';
import { type LossParts, lossParts, modelOf, withLoss, withoutDropout } from './model-variants.js';

/** Names of the probe outputs; a suffix keeps them clear of the model's own names. */
export const PROBE = { scores: 'doctor_scores', prediction: 'doctor_prediction', target: 'doctor_target' };

export interface DoctorModel {
  readonly file: SourceFile;
  readonly program: Program;
  readonly decl: ModelDecl;
  /** The model as written. */
  readonly lowered: Lowered;
  readonly loss: LossParts;
  readonly seed: number;
  /** The training data bound to the inputs (empty for a model without inputs). */
  readonly data: Record<string, Tensor>;
  readonly rows: number;
  readonly dataDescription: string;
  readonly inputNames: readonly string[];
}

export interface VariantOptions {
  /** Keep the regularisation terms of the loss (default true). */
  readonly regularisation?: boolean;
  /** Keep dropout (default true). */
  readonly dropout?: boolean;
  /** Add the probe outputs of the data loss (default false). */
  readonly probe?: boolean;
}

export interface DoctorLoadOptions {
  readonly data?: string;
  readonly seed?: number;
  /** At most this many examples are kept (a seeded sample): the checks need no more. */
  readonly maxRows?: number;
}

/** Reads, checks and lowers a model file and loads its training data. */
export function loadDoctorModel(path: string, opts: DoctorLoadOptions = {}): DoctorModel {
  const file = readSource(path);
  const parsed = parse(file.text);
  if (parsed.diagnostics.some((d) => d.severity === 'error')) throw new ModelErrors(file, parsed.diagnostics);
  const first = lower(parsed.program, {
    floatDtype: 'f64',
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  });
  if (!first.result) throw new ModelErrors(file, first.diagnostics);
  const seed = opts.seed ?? first.result.model.train.seed ?? 0;
  const lowered =
    seed === (opts.seed ?? 0) ? first.result : lower(parsed.program, { floatDtype: 'f64', seed }).result!;
  const decl = modelOf(parsed.program, lowered.model.name)!;
  const lossStmt = decl.stmts.find((s) => s.kind === 'loss');
  if (lossStmt?.kind !== 'loss') throw new UsageError(`model ${lowered.model.name} has no loss`);
  const { model } = lowered;
  let data: Record<string, Tensor> = {};
  let dataDescription = 'no data';
  if (model.inputs.length > 0) {
    const config = applySettingFlags(model.train, opts.data !== undefined ? { data: opts.data } : {});
    if (!config.data)
      throw new UsageError(
        `model ${model.name} has inputs but no data`,
        'pass --data, or add `data = ...` to its train block',
      );
    const loaded = loadData(
      config.data,
      'path' in config.data && opts.data === config.data.path ? process.cwd() : dirname(path),
    );
    data = bindInputs(model, loaded.train, loaded.description, lowered.graph);
    dataDescription = loaded.description;
    if (opts.maxRows !== undefined) data = sampleRows(data, opts.maxRows, seed);
  }
  const inputNames = model.inputs.map((i) => i.name);
  const rows = inputNames.length === 0 ? 0 : data[inputNames[0]].shape[0];
  return {
    file,
    program: parsed.program,
    decl,
    lowered,
    loss: lossParts(lossStmt.value),
    seed,
    data,
    rows,
    dataDescription,
    inputNames,
  };
}

/** The model lowered as asked: regularisation and dropout kept or removed, probes added. */
export function lowerVariant(m: DoctorModel, v: VariantOptions = {}): Lowered {
  let program = m.program;
  let decl = m.decl;
  if (v.dropout === false) {
    program = withoutDropout(program, decl);
    decl = modelOf(program, decl.name)!;
  }
  const lossStmt = decl.stmts.find((s) => s.kind === 'loss');
  const lossExpr = lossStmt && lossStmt.kind === 'loss' ? lossStmt.value : m.loss.data;
  const loss = v.regularisation === false ? lossParts(lossExpr).data : lossExpr;
  const dl = lossParts(lossExpr).dataLoss;
  const probes =
    v.probe && dl.kind !== 'unknown'
      ? dl.kind === 'mse'
        ? [
            { name: PROBE.prediction, value: dl.prediction },
            { name: PROBE.target, value: dl.target },
          ]
        : [{ name: PROBE.scores, value: dl.scores }]
      : [];
  program = withLoss(program, decl, loss, probes);
  const { result, diagnostics } = lower(program, { floatDtype: 'f64', seed: m.seed, model: decl.name });
  if (!result) throw new ModelErrors(m.file, diagnostics);
  return result;
}
