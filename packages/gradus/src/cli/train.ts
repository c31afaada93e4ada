import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GradusError } from '@gradus/autodiff';
import { type Backend, cpu, cpuFallingBack, gpu, gpuProblem, js } from '@gradus/backends';
import { bindInputs, loadModel, UsageError } from '@gradus/dsl';
import {
  type Callback,
  CHECKPOINT_FILE,
  type Checkpoint,
  type Columns,
  charts,
  type DataSpec,
  type EvalSet,
  gatherRows,
  hostRunLength,
  isHostDriven,
  jsonlLog,
  type LineWriter,
  loadCheckpoint,
  loadData,
  openJsonLines,
  plotFileNames,
  prepareChartDir,
  progress,
  splitValidation,
  stepTrace,
  type TrainResult,
  train,
  twoCoordinates,
} from '@gradus/optim';
import { fmt, type Io } from './output.js';
import { applySettingFlags, DEFAULT_OPTIMIZER, describeCall } from './run-config.js';

export interface TrainCliOptions {
  readonly data?: string;
  /** `--set key=value`: any train setting. */
  readonly set?: readonly string[];
  /** Values for the model's hyper-parameters (from `--hyper`). */
  readonly hypers?: Readonly<Record<string, number>>;
  readonly optimizer?: string;
  readonly schedule?: string;
  readonly epochs?: number;
  readonly steps?: number;
  readonly batch?: number;
  readonly seed?: number;
  readonly dtype?: 'f32' | 'f64';
  readonly backend?: 'cpu' | 'js' | 'gpu' | 'auto';
  readonly log?: string;
  readonly trace?: string;
  readonly checkpoint?: string;
  readonly checkpointEvery?: number;
  readonly resume?: string;
  readonly plot?: string;
  readonly json?: boolean;
  readonly overwrite?: boolean;
}

/** Trace lines carry params only for models this small. */
const TRACE_PARAM_LIMIT = 10_000;

/**
 * A file that must not clobber an earlier run's output unless asked to. A resumed run continues
 * its own log and trace (see `continueFile`), so only a fresh run is refused.
 */
function claim(path: string | undefined, what: string, opts: TrainCliOptions): void {
  if (!path || opts.resume || opts.overwrite) return;
  if (existsSync(path))
    throw new UsageError(
      `${what} ${path} already exists`,
      'pass --overwrite to replace it, or --resume to continue that run',
    );
}

/** `openJsonLines` for a `--log` or `--trace` flag, with a usage error naming the file. */
function continueFile(file: string | undefined, resumeStep: number | undefined): LineWriter | undefined {
  if (!file) return undefined;
  try {
    return openJsonLines(file, resumeStep);
  } catch (e) {
    throw new UsageError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/**
 * `--backend`: `cpu` is WebAssembly (JavaScript for tiny graphs), `js` the generated-JavaScript
 * backend; `gpu` runs on gpu.js (single precision) or fails naming what is missing; `auto` takes
 * the GPU when a context can be made and otherwise falls back to the CPU (and, for an op the
 * wasm backend lacks, to `js`), saying so.
 */
function chooseBackend(opts: TrainCliOptions, io: Io): { backend: Backend; dtype: 'f32' | 'f64' } {
  const choice = opts.backend ?? 'cpu';
  if (choice === 'cpu') return { backend: cpu, dtype: opts.dtype ?? 'f64' };
  if (choice === 'js') return { backend: js, dtype: opts.dtype ?? 'f64' };
  const problem = gpuProblem();
  if (choice === 'gpu') {
    if (problem !== undefined) {
      throw new UsageError(
        `--backend gpu: ${problem}`,
        'use --backend cpu, or --backend auto to fall back to it',
      );
    }
    if (opts.dtype === 'f64') {
      throw new UsageError(
        'the gpu backend computes in single precision',
        'use --dtype f32 with --backend gpu',
      );
    }
    return { backend: gpu, dtype: 'f32' };
  }
  if (problem === undefined && opts.dtype !== 'f64') return { backend: gpu, dtype: 'f32' };
  io.err(
    `--backend auto: using the cpu backend (${problem !== undefined ? `no GPU: ${problem}` : 'f64 was asked for and the gpu backend is single precision'})`,
  );
  return { backend: cpuFallingBack((m) => io.err(`--backend auto: ${m}`)), dtype: opts.dtype ?? 'f32' };
}

/** `gradus train FILE`: trains the model with its `train { }` settings, overridden by flags. */
export function trainCommand(path: string, opts: TrainCliOptions, io: Io): number {
  if (opts.epochs !== undefined && opts.steps !== undefined)
    throw new UsageError(
      'give either --epochs or --steps, not both',
      'both set the total length of the run; a resumed run counts the steps before its checkpoint',
    );
  const { backend, dtype } = chooseBackend(opts, io);
  const probe = loadModel(path, { floatDtype: dtype, hypers: opts.hypers });
  const config = applySettingFlags(probe.lowered.model.train, opts);

  let resume: Checkpoint | undefined;
  if (opts.resume) {
    resume = loadCheckpoint(opts.resume);
    if (resume.model !== probe.lowered.model.name) {
      throw new UsageError(
        `the checkpoint in ${opts.resume} is of model ${resume.model}, not ${probe.lowered.model.name}`,
        `resume it with the model file of ${resume.model}`,
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
  if (opts.checkpoint && opts.checkpoint !== opts.resume && !opts.overwrite) {
    const existing = join(opts.checkpoint, CHECKPOINT_FILE);
    if (existsSync(existing))
      throw new UsageError(
        `the checkpoint ${existing} already exists`,
        `pass --overwrite to replace it, or --resume ${opts.checkpoint} to continue that run`,
      );
  }

  const trainModel = loadModel(path, { floatDtype: dtype, seed, mode: 'train', hypers: opts.hypers }).lowered;
  const evalModel = loadModel(path, { floatDtype: dtype, seed, mode: 'eval', hypers: opts.hypers }).lowered;
  const model = trainModel.model;
  const inputNames = model.inputs.map((i) => i.name);
  if (opts.plot) {
    // Made now, so an unusable chart directory fails before training, not after it.
    try {
      prepareChartDir(opts.plot);
    } catch (e) {
      if (e instanceof GradusError) throw new UsageError(e.diagnostics[0].message);
      throw e;
    }
  }
  if (opts.plot && !opts.resume) {
    const names = plotFileNames(model.outputs.map((o) => o.name));
    for (const f of names) claim(join(opts.plot, f), 'the chart', opts);
  }

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
    const bound = bindInputs(model, loaded.train, loaded.description, trainModel.graph);
    dataDescription = loaded.description;
    if (loaded.test) {
      trainCols = bound;
      evaluation = {
        split: 'test',
        columns: bindInputs(model, loaded.test, `${loaded.description} (test split)`, trainModel.graph),
      };
    } else if (config.validation !== undefined && config.validation > 0 && config.validation < 1) {
      const split = splitValidation(bound, inputNames, config.validation, seed);
      trainCols = split.train;
      evaluation = { split: 'validation', columns: split.validation };
    } else trainCols = bound;
  }
  const optimizer = config.optimizer ?? DEFAULT_OPTIMIZER;
  const paramCount = model.params.reduce((n, p) => n + (p.shape as number[]).reduce((a, b) => a * b, 1), 0);
  const rows = trainCols ? trainCols[inputNames[0]].shape[0] : 0;
  // Host-driven optimisers (L-BFGS, Newton) take every example at every step.
  const fullBatch = isHostDriven(optimizer);
  const batch = trainCols ? (fullBatch ? rows : Math.max(1, Math.min(config.batch ?? 32, rows))) : 1;
  const batchesPerEpoch = trainCols ? Math.ceil(rows / batch) : 1;
  // `coordinate(sweeps = n)` sets the length of a run that gives neither steps nor epochs.
  const steps = config.steps ?? (config.epochs === undefined ? hostRunLength(optimizer) : undefined);
  const totalSteps = steps ?? (config.epochs ?? 10) * batchesPerEpoch;

  // What a resumed run must repeat to continue bit-identically; saved with every checkpoint.
  const settings: Record<string, string | number> = {
    optimizer: describeCall(optimizer),
    schedule: config.schedule ? describeCall(config.schedule) : 'none',
    batch,
    dtype,
    data: dataDescription,
  };
  if (resume?.settings) {
    for (const [k, v] of Object.entries(settings)) {
      const was = resume.settings[k];
      if (was !== undefined && was !== v)
        io.err(
          `warning: the checkpointed run used ${k} ${was}, this one ${v}; it will not continue that run exactly`,
        );
    }
  }

  const header =
    `training ${model.name} (${paramCount} params) on ${dataDescription}: ${describeCall(optimizer)}` +
    `${config.schedule ? `, schedule ${describeCall(config.schedule)}` : ''}` +
    `${trainCols ? (fullBatch ? ', full batch' : `, batch ${batch}`) : ''}, ${steps !== undefined ? `${steps} steps` : `${config.epochs ?? 10} epochs (${totalSteps} steps)`}, ${backend.name} ${dtype}` +
    `${resume ? `, resuming at step ${resume.step}` : ''}`;
  if (!opts.json) io.out(header);
  if (resume && resume.step >= totalSteps && !opts.json)
    io.out(
      `the checkpoint is already at step ${resume.step} of ${totalSteps}: nothing to do (--steps and --epochs give the total length of the run, not additional steps)`,
    );

  const log = continueFile(opts.log, resume?.step);
  const trace = continueFile(opts.trace, resume?.step);
  const coords = opts.plot
    ? twoCoordinates(Object.fromEntries(model.params.map((p) => [p.name, p.shape as number[]])))
    : undefined;
  const traceParams = (opts.trace !== undefined && paramCount <= TRACE_PARAM_LIMIT) || coords !== undefined;
  const callbacks: Callback[] = [];
  if (log) callbacks.push(jsonlLog(log));
  if (trace) callbacks.push(stepTrace(trace));
  if (!opts.json) callbacks.push(progress(io));
  if (opts.plot) {
    const surfaceData = evaluation?.columns ?? trainCols;
    const n = surfaceData ? Math.min(PLOT_SURFACE_ROWS, surfaceData[inputNames[0]].shape[0]) : 0;
    const feeds = surfaceData
      ? gatherRows(
          surfaceData,
          inputNames,
          Int32Array.from({ length: n }, (_, i) => i),
        )
      : {};
    callbacks.push(
      charts(opts.plot, {
        model: model.name,
        ...(coords ? { landscape: { coords, evalGraph: evalModel.graph, feeds } } : {}),
        onWritten: (files) => {
          if (!opts.json) io.out(`charts: ${files.join(', ')}`);
        },
      }),
    );
  }

  // The loss this run started from, which `--json` reports (a search calls a run that ended
  // above it diverged).
  let firstLoss: number | undefined;
  callbacks.push({
    name: 'firstLoss',
    onStep(e) {
      if (firstLoss === undefined) firstLoss = e.loss;
    },
  });

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
      ...(steps !== undefined ? { steps } : {}),
      ...(config.shuffle !== undefined ? { shuffle: config.shuffle } : {}),
      seed,
      ...(config.clip !== undefined ? { clip: config.clip } : {}),
      ...(config.polyak !== undefined ? { polyak: config.polyak } : {}),
      ...(config.early_stop !== undefined ? { earlyStop: config.early_stop } : {}),
      ...(config.restore_best !== undefined ? { restoreBest: config.restore_best } : {}),
      backend,
      dtype,
      ...(checkpointDir ? { checkpointDir } : {}),
      ...(opts.checkpointEvery !== undefined ? { checkpointEvery: opts.checkpointEvery } : {}),
      settings,
      ...(resume ? { resume } : {}),
      traceParams,
    },
    callbacks,
  );

  const metrics: Record<string, number> = { ...(result.evaluation?.metrics ?? {}) };
  if (opts.json) {
    io.out(
      JSON.stringify({
        loss: result.finalLoss,
        ...(firstLoss !== undefined ? { firstLoss } : {}),
        metrics,
        ...(result.evaluation
          ? { evaluation: { split: result.evaluation.split, loss: result.evaluation.loss, metrics } }
          : {}),
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
    if (result.restored) io.out(result.restored.message);
    if (checkpointDir) io.out(`checkpoint: ${join(checkpointDir, CHECKPOINT_FILE)}`);
  }
  if (result.stopped && result.stopped.reason !== 'early_stop') {
    io.err(`error: ${result.stopped.message}`);
    return 1;
  }
  // With --json the last line must stay the JSON summary, which already carries the message.
  if (result.stopped && !opts.json) io.out(result.stopped.message);
  return 0;
}

/** Rows of data the contour chart's loss is computed on (each of its grid points runs them all). */
const PLOT_SURFACE_ROWS = 512;
