import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cpu } from '@gradus/backends';
import {
  CHECKPOINT_FILE,
  type Checkpoint,
  type Columns,
  type DataSpec,
  type EvalSet,
  loadCheckpoint,
  loadData,
  splitValidation,
  type TrainResult,
  train,
} from '@gradus/optim';
import { bindInputs } from '../feeds.js';
import { type CallSpec, parseSettingFlag, type TrainConfig } from '../lower/index.js';
import { loadModel, ModelErrors, UsageError } from '../model-file.js';
import { fmt, type Io } from './output.js';

export interface TrainCliOptions {
  readonly data?: string;
  readonly optimizer?: string;
  readonly schedule?: string;
  readonly epochs?: number;
  readonly steps?: number;
  readonly batch?: number;
  readonly seed?: number;
  readonly dtype?: 'f32' | 'f64';
  readonly backend?: 'cpu' | 'gpu' | 'auto';
  readonly log?: string;
  readonly trace?: string;
  readonly checkpoint?: string;
  readonly resume?: string;
  readonly json?: boolean;
  readonly overwrite?: boolean;
}

/** Trace lines carry params only for models this small. */
const TRACE_PARAM_LIMIT = 10_000;

function describeCall(c: CallSpec): string {
  const args = Object.entries(c.args)
    .map(
      ([k, v]) =>
        `${k} = ${typeof v === 'object' && !Array.isArray(v) ? describeCall(v as CallSpec) : Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`,
    )
    .join(', ');
  return `${c.name}(${args})`;
}

/** A file that must not clobber an earlier run's output unless asked to. */
function claim(path: string | undefined, what: string, opts: TrainCliOptions): void {
  if (!path || opts.resume || opts.overwrite) return;
  if (existsSync(path))
    throw new UsageError(
      `${what} ${path} already exists`,
      'pass --overwrite to replace it, or --resume to continue that run',
    );
}

/** `gradus train FILE`: trains the model with its `train { }` settings, overridden by flags. */
export function trainCommand(path: string, opts: TrainCliOptions, io: Io): number {
  if (opts.epochs !== undefined && opts.steps !== undefined)
    throw new UsageError('give either --epochs or --steps, not both');
  if (opts.backend === 'gpu') {
    throw new UsageError('the GPU backend is not part of this build yet', 'use --backend cpu (the default)');
  }
  const dtype = opts.dtype ?? 'f64';
  const probe = loadModel(path, { floatDtype: dtype });
  const config: TrainConfig = { ...probe.lowered.model.train };
  for (const key of ['optimizer', 'schedule'] as const) {
    const text = opts[key];
    if (text === undefined) continue;
    const diagnostics = parseSettingFlag(key, text, config);
    if (diagnostics.length > 0) throw new ModelErrors({ name: `--${key}`, text }, diagnostics);
  }
  if (opts.data !== undefined) {
    const isPath = /[/\\]|\.(json|csv|npy)$/i.test(opts.data);
    if (isPath) config.data = { path: opts.data };
    else {
      const diagnostics = parseSettingFlag('data', opts.data, config);
      if (diagnostics.length > 0) throw new ModelErrors({ name: '--data', text: opts.data }, diagnostics);
    }
  }
  if (opts.epochs !== undefined) {
    config.epochs = opts.epochs;
    delete config.steps;
  }
  if (opts.steps !== undefined) {
    config.steps = opts.steps;
    delete config.epochs;
  }
  if (opts.batch !== undefined) config.batch = opts.batch;
  if (opts.seed !== undefined) config.seed = opts.seed;

  let resume: Checkpoint | undefined;
  if (opts.resume) {
    resume = loadCheckpoint(opts.resume);
    if (resume.model !== probe.lowered.model.name) {
      throw new UsageError(
        `the checkpoint in ${opts.resume} is of model ${resume.model}, not ${probe.lowered.model.name}`,
      );
    }
    if (opts.seed !== undefined && opts.seed !== resume.seed) {
      throw new UsageError(
        `--seed ${opts.seed} differs from the checkpoint's seed ${resume.seed}; a resumed run keeps its seed`,
      );
    }
    config.seed = resume.seed;
  }
  const seed = config.seed ?? 0;
  const checkpointDir = opts.checkpoint ?? opts.resume;
  claim(opts.log, 'the log file', opts);
  claim(opts.trace, 'the trace file', opts);
  if (opts.checkpoint && !opts.resume && !opts.overwrite)
    claim(join(opts.checkpoint, CHECKPOINT_FILE), 'the checkpoint', opts);

  const trainModel = loadModel(path, { floatDtype: dtype, seed, mode: 'train' }).lowered;
  const evalModel = loadModel(path, { floatDtype: dtype, seed, mode: 'eval' }).lowered;
  const model = trainModel.model;
  const inputNames = model.inputs.map((i) => i.name);

  let trainCols: Columns | undefined;
  let evaluation: EvalSet | undefined;
  let dataDescription = 'no data';
  if (inputNames.length > 0) {
    const spec: DataSpec | undefined = config.data;
    if (!spec) {
      throw new UsageError(
        `model ${model.name} has inputs (${inputNames.join(', ')}) but no data`,
        'add `data = ...` to its train block or pass --data',
      );
    }
    const loaded = loadData(spec, 'path' in spec && opts.data === spec.path ? process.cwd() : dirname(path));
    const bound = bindInputs(model, loaded.train, loaded.description);
    dataDescription = loaded.description;
    if (loaded.test) {
      trainCols = bound;
      evaluation = {
        split: 'test',
        columns: bindInputs(model, loaded.test, `${loaded.description} (test split)`),
      };
    } else if (config.validation !== undefined && config.validation > 0 && config.validation < 1) {
      const split = splitValidation(bound, inputNames, config.validation, seed);
      trainCols = split.train;
      evaluation = { split: 'validation', columns: split.validation };
    } else trainCols = bound;
  }
  const optimizer = config.optimizer ?? { name: 'sgd', args: { lr: 0.01 } };
  const paramCount = model.params.reduce((n, p) => n + (p.shape as number[]).reduce((a, b) => a * b, 1), 0);

  const header =
    `training ${model.name} (${paramCount} params) on ${dataDescription}: ${describeCall(optimizer)}` +
    `${config.schedule ? `, schedule ${describeCall(config.schedule)}` : ''}` +
    `${trainCols ? `, batch ${config.batch ?? 32}` : ''}, ${config.steps !== undefined ? `${config.steps} steps` : `${config.epochs ?? 10} epochs`}, cpu ${dtype}` +
    `${resume ? `, resuming at step ${resume.step}` : ''}`;
  if (!opts.json) io.out(header);

  const write = (file: string | undefined) => {
    if (!file) return () => {};
    if (!opts.resume) writeFileSync(file, '');
    return (line: object) => appendFileSync(file, `${JSON.stringify(line)}\n`);
  };
  const log = write(opts.log);
  const trace = write(opts.trace);
  const traceParams = opts.trace !== undefined && paramCount <= TRACE_PARAM_LIMIT;
  const progress = io.tty && !opts.json;
  const rowsPerEpoch = trainCols
    ? Math.ceil(
        trainCols[inputNames[0]].shape[0] / Math.min(config.batch ?? 32, trainCols[inputNames[0]].shape[0]),
      )
    : 1;
  const totalSteps = config.steps ?? (config.epochs ?? 10) * rowsPerEpoch;
  const printEvery = Math.max(1, Math.floor(totalSteps / rowsPerEpoch / 20));
  let evals = 0;
  let lastPrinted = 0;
  const started = Date.now();

  const result: TrainResult = train(
    {
      modelName: model.name,
      graph: trainModel.graph,
      evalGraph: evalModel.graph,
      inputNames,
      ...(trainCols ? { train: trainCols } : {}),
      ...(evaluation ? { evaluation } : {}),
      optimizer,
      ...(config.schedule ? { schedule: config.schedule } : {}),
      ...(config.batch !== undefined ? { batch: config.batch } : {}),
      ...(config.epochs !== undefined ? { epochs: config.epochs } : {}),
      ...(config.steps !== undefined ? { steps: config.steps } : {}),
      ...(config.shuffle !== undefined ? { shuffle: config.shuffle } : {}),
      seed,
      ...(config.clip !== undefined ? { clip: config.clip } : {}),
      ...(config.early_stop !== undefined ? { earlyStop: config.early_stop } : {}),
      backend: cpu,
      dtype,
      ...(checkpointDir ? { checkpointDir } : {}),
      ...(resume ? { resume } : {}),
      traceParams,
    },
    {
      onStep: (e) => {
        log({
          step: e.step,
          epoch: e.epoch,
          loss: e.loss,
          ...(e.lr !== undefined ? { lr: e.lr } : {}),
          ...(e.gradNorm !== undefined ? { grad_norm: e.gradNorm } : {}),
          ...e.metrics,
        });
        trace({
          step: e.step,
          loss: e.loss,
          ...(e.lr !== undefined ? { lr: e.lr } : {}),
          ...(e.params
            ? { params: Object.fromEntries(Object.entries(e.params).map(([k, v]) => [k, Array.from(v)])) }
            : {}),
        });
        if (progress && (Date.now() - lastPrinted > 100 || e.step === e.totalSteps)) {
          lastPrinted = Date.now();
          const done = e.step / e.totalSteps;
          const elapsed = (Date.now() - started) / 1000;
          const eta = done > 0 ? (elapsed / done) * (1 - done) : 0;
          const bar = '█'.repeat(Math.round(done * 24)).padEnd(24, '·');
          const metrics = Object.entries(e.metrics)
            .map(([k, v]) => `${k} ${fmt(v)}`)
            .join('  ');
          io.err(
            `\r${bar} epoch ${e.epoch + 1}  step ${e.step}/${e.totalSteps}  loss ${fmt(e.loss)}  ${metrics}  ETA ${eta.toFixed(0)}s\u001b[K\u001b[1A`,
          );
        }
      },
      onEval: (e) => {
        log({ eval: e.split, step: e.step, epoch: e.epoch, loss: e.loss, ...e.metrics });
        evals++;
        // About twenty lines per run on a terminal-less output, plus the last one.
        const final = e.step >= totalSteps;
        if (!opts.json && !progress && (evals % printEvery === 0 || final)) {
          const metrics = Object.entries(e.metrics)
            .map(([k, v]) => `  ${e.split} ${k} ${fmt(v)}`)
            .join('');
          io.out(`epoch ${e.epoch + 1}  step ${e.step}  ${e.split} loss ${fmt(e.loss)}${metrics}`);
        }
      },
    },
  );
  if (progress) io.err('');

  const metrics: Record<string, number> = { ...(result.evaluation?.metrics ?? {}) };
  if (opts.json) {
    io.out(
      JSON.stringify({
        loss: result.finalLoss,
        metrics,
        steps: result.steps,
        seconds: result.seconds,
        compileSeconds: result.compileSeconds,
        ...(result.stopped ? { stopped: result.stopped.reason, message: result.stopped.message } : {}),
      }),
    );
  } else {
    const evalText = result.evaluation
      ? `; ${result.evaluation.split} loss ${fmt(result.evaluation.loss)}${Object.entries(
          result.evaluation.metrics,
        )
          .map(([k, v]) => `, ${k} ${fmt(v)}`)
          .join('')}`
      : '';
    io.out(
      `done: ${result.steps} steps in ${result.seconds.toFixed(2)} s (compile ${result.compileSeconds.toFixed(2)} s); final training loss ${fmt(result.finalLoss)}${evalText}`,
    );
    if (model.params.length > 0 && paramCount <= 8) {
      io.out(
        model.params
          .map((p) => `${p.name} = [${Array.from(result.params[p.name].data, fmt).join(', ')}]`)
          .join('\n'),
      );
    }
    if (checkpointDir) io.out(`checkpoint: ${join(checkpointDir, CHECKPOINT_FILE)}`);
  }
  if (result.stopped && result.stopped.reason !== 'early_stop') {
    io.err(`error: ${result.stopped.message}`);
    return 1;
  }
  if (result.stopped) io.out(result.stopped.message);
  return 0;
}
