import { existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { GradusError } from '@gradus/autodiff';
import { type Backend, cpu, cpuFallingBack, gpu, gpuProblem, js } from '@gradus/backends';
import { loadModel, UsageError } from '@gradus/dsl';
import {
  type Callback,
  CHECKPOINT_FILE,
  type Checkpoint,
  charts,
  gatherRows,
  jsonlLog,
  type LineWriter,
  loadCheckpoint,
  openJsonLines,
  plotFileNames,
  prepareChartDir,
  progress,
  runLength,
  stepTrace,
  type TrainResult,
  train,
  twoCoordinates,
} from '@gradus/optim';
import { prepareData } from '../prepare-data.js';
import { scheduleLengthWarning } from '../run-length.js';
import { VERSION } from '../version.js';
import { interruptSetup } from './interrupt.js';
import { fmt, type Io } from './output.js';
import { applySettingFlags, DEFAULT_OPTIMIZER, describeCall } from './run-config.js';
import {
  checkRunDir,
  makeRunDir,
  newRunDir,
  RUN_FILES,
  RUN_FORMAT,
  RUN_VERSION,
  type RunManifest,
  readRunManifest,
  runsRoot,
  sha256,
  shownPath,
  writeJsonAtomic,
} from './run-dir.js';

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
  /** The run directory (default: the next free `runs/<model>/<n>`, or the `--resume` one). */
  readonly runDir?: string;
  readonly plot?: string;
  /** Write the charts into the run directory's `charts/` (as `--plot` does into its directory). */
  readonly charts?: boolean;
  readonly json?: boolean;
  readonly overwrite?: boolean;
}

/** Where a run writes, once `trainCommand` has chosen: its directory and its checkpoint directory. */
export interface RunPlace {
  readonly runDir: string;
  /** `--checkpoint DIR`, else the run directory. */
  readonly checkpointDir: string;
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

/**
 * The flags of a resumed run: what the user gave, and for everything else the value the run in
 * `manifest` used (dtype, backend, hyper-parameters and every train setting), so that
 * `--resume DIR` alone continues the run as it was started.
 */
export function resumedOptions(opts: TrainCliOptions, manifest: RunManifest): TrainCliOptions {
  const s = manifest.settings;
  const str = (k: string) => (typeof s[k] === 'string' ? (s[k] as string) : undefined);
  const num = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : undefined);
  const setKeys = new Set((opts.set ?? []).map((t) => t.slice(0, t.indexOf('=')).trim()));
  const given = (k: string) => setKeys.has(k);
  const sets = [...(opts.set ?? [])];
  for (const k of ['validation', 'shuffle', 'clip', 'polyak', 'early_stop', 'restore_best'] as const) {
    const v = s[k];
    if ((typeof v === 'number' || typeof v === 'boolean') && !given(k)) sets.push(`${k}=${v}`);
  }
  const hypers =
    typeof s.hypers === 'object' && s.hypers !== null
      ? { ...(s.hypers as Record<string, number>), ...(opts.hypers ?? {}) }
      : opts.hypers;
  const lengthGiven =
    opts.steps !== undefined || opts.epochs !== undefined || given('steps') || given('epochs');
  const optimizer = str('optimizer');
  const schedule = str('schedule');
  const data = str('data');
  const batch = num('batch');
  const dtype = str('dtype');
  const backend = str('backend');
  return {
    ...opts,
    ...(sets.length > 0 ? { set: sets } : {}),
    ...(hypers ? { hypers } : {}),
    ...(opts.optimizer === undefined && !given('optimizer') && optimizer ? { optimizer } : {}),
    ...(opts.schedule === undefined && !given('schedule') && schedule && schedule !== 'none'
      ? { schedule }
      : {}),
    ...(opts.data === undefined && !given('data') && data ? { data } : {}),
    ...(opts.batch === undefined && !given('batch') && batch !== undefined ? { batch } : {}),
    ...(!lengthGiven && num('steps') !== undefined ? { steps: num('steps') } : {}),
    ...(opts.dtype === undefined && (dtype === 'f32' || dtype === 'f64') ? { dtype } : {}),
    ...(opts.backend === undefined &&
    (backend === 'cpu' || backend === 'js' || backend === 'gpu' || backend === 'auto')
      ? { backend }
      : {}),
    ...(opts.checkpointEvery === undefined && num('checkpoint_every') !== undefined
      ? { checkpointEvery: num('checkpoint_every') }
      : {}),
  };
}

/** `gradus train FILE`: trains the model with its `train { }` settings, overridden by flags. */
export function trainCommand(path: string, given: TrainCliOptions, io: Io): number {
  if (given.epochs !== undefined && given.steps !== undefined)
    throw new UsageError(
      'give either --epochs or --steps, not both',
      'both set the total length of the run; a resumed run counts the steps before its checkpoint',
    );
  // A resumed run directory brings its own settings; flags given now win (with a warning below
  // when they part from the run).
  const resumedRun = given.resume !== undefined ? readRunManifest(given.resume) : undefined;
  const merged = resumedRun ? resumedOptions(given, resumedRun) : given;
  const resume: Checkpoint | undefined = merged.resume ? loadCheckpoint(merged.resume) : undefined;
  // A checkpoint directory of an earlier version (no settings.json) still knows its dtype.
  const opts: TrainCliOptions =
    resume && merged.dtype === undefined && merged.backend !== 'gpu' && resume.dtype === 'f32'
      ? { ...merged, dtype: 'f32' }
      : merged;
  const { backend, dtype } = chooseBackend(opts, io);
  const probe = loadModel(path, { floatDtype: dtype, hypers: opts.hypers });
  const config = applySettingFlags(probe.lowered.model.train, opts);

  if (resume && opts.resume) {
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
  // The run directory: --run-dir, else the resumed one, else the next free runs/<model>/<n>
  // (allocated once the run is ready to start, so a run refused before then leaves nothing).
  const chosenDir = opts.runDir ?? opts.resume;
  if (chosenDir !== undefined)
    checkRunDir(chosenDir, {
      overwrite: opts.overwrite,
      resuming: opts.resume !== undefined && resolve(chosenDir) === resolve(opts.resume),
    });
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

  // The data: loaded, bound to the inputs and split exactly as fit() does (prepare-data.ts).
  const prepared = prepareData({
    modelName: model.name,
    inputs: model.inputs,
    graph: trainModel.graph,
    ...(config.data ? { data: config.data } : {}),
    baseDir:
      config.data && 'path' in config.data && opts.data === config.data.path ? process.cwd() : dirname(path),
    ...(config.validation !== undefined ? { validation: config.validation } : {}),
    seed,
  });
  const trainCols = prepared.train;
  const evaluation = prepared.evaluation;
  const dataDescription = prepared.description;
  const optimizer = config.optimizer ?? DEFAULT_OPTIMIZER;
  const paramCount = model.params.reduce((n, p) => n + (p.shape as number[]).reduce((a, b) => a * b, 1), 0);
  // One rule for the run's length (run-length.ts), which `gradus schedule` counts by too.
  const length = runLength({
    rows: prepared.rows.train,
    optimizer,
    ...(config.batch !== undefined ? { batch: config.batch } : {}),
    ...(config.epochs !== undefined ? { epochs: config.epochs } : {}),
    ...(config.steps !== undefined ? { steps: config.steps } : {}),
  });
  const { batch, fullBatch, totalSteps } = length;
  const steps = length.by === 'steps' ? totalSteps : undefined;
  // Said when the run starts; a resumed run continues it without repeating the warning.
  const lengthWarning =
    config.schedule && !opts.resume ? scheduleLengthWarning(config.schedule, totalSteps) : undefined;
  if (lengthWarning) io.err(lengthWarning);

  // What a resumed run must repeat to continue bit-identically; saved with every checkpoint.
  const settings: Record<string, string | number> = {
    optimizer: describeCall(optimizer),
    schedule: config.schedule ? describeCall(config.schedule) : 'none',
    batch,
    dtype,
    data: dataDescription,
    ...(config.polyak !== undefined ? { polyak: config.polyak } : {}),
  };
  if (resume?.settings) {
    for (const [k, v] of Object.entries(settings)) {
      if (k === 'polyak') continue;
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
  // Everything is checked: the run directory is made (or continued) now.
  let runDir: string;
  if (chosenDir !== undefined) {
    makeRunDir(chosenDir);
    runDir = chosenDir;
  } else runDir = newRunDir(runsRoot(), model.name);
  const place: RunPlace = { runDir, checkpointDir: opts.checkpoint ?? runDir };
  const checkpointDir = place.checkpointDir;
  const plotDir = opts.plot ?? (opts.charts ? join(runDir, RUN_FILES.charts) : undefined);
  const resolvedSettings: Record<string, unknown> = {
    file: resolve(path),
    model: model.name,
    hypers: Object.fromEntries(model.hypers.map((h) => [h.name, h.value])),
    dtype,
    backend: opts.backend ?? 'cpu',
    backendUsed: backend.name,
    seed,
    optimizer: describeCall(optimizer),
    schedule: config.schedule ? describeCall(config.schedule) : 'none',
    ...(config.data
      ? {
          data:
            'path' in config.data
              ? resolve(opts.data === config.data.path ? process.cwd() : dirname(path), config.data.path)
              : describeCall(config.data),
        }
      : {}),
    dataDescription,
    batch,
    fullBatch,
    ...(config.epochs !== undefined && config.steps === undefined ? { epochs: config.epochs } : {}),
    steps: totalSteps,
    shuffle: config.shuffle ?? true,
    ...(config.validation !== undefined ? { validation: config.validation } : {}),
    evaluation: evaluation?.split ?? (trainCols || inputNames.length === 0 ? 'train' : 'none'),
    ...(config.clip !== undefined ? { clip: config.clip } : {}),
    ...(config.polyak !== undefined ? { polyak: config.polyak } : {}),
    ...(config.early_stop !== undefined ? { early_stop: config.early_stop } : {}),
    ...(config.early_stop !== undefined ? { restore_best: config.restore_best ?? true } : {}),
    ...(opts.checkpointEvery !== undefined ? { checkpoint_every: opts.checkpointEvery } : {}),
  };
  const manifest: RunManifest = {
    format: RUN_FORMAT,
    version: RUN_VERSION,
    gradus: VERSION,
    model: model.name,
    file: resolve(path),
    modelHash: sha256(probe.file.text),
    created: resumedRun?.created ?? new Date().toISOString(),
    settings: resolvedSettings,
    outputs: {
      checkpoint: resolve(checkpointDir),
      log: resolve(opts.log ?? join(runDir, RUN_FILES.log)),
      ...(opts.trace ? { trace: resolve(opts.trace) } : {}),
      ...(plotDir ? { charts: resolve(plotDir) } : {}),
    },
  };
  writeJsonAtomic(join(runDir, RUN_FILES.settings), manifest, 2);
  // The summary of an earlier attempt describes that one: it is written again at the end.
  rmSync(join(runDir, RUN_FILES.summary), { force: true });

  if (!opts.json) {
    io.out(header);
    io.out(`run: ${shownPath(runDir)}`);
  }
  if (resume && resume.step >= totalSteps && !opts.json)
    io.out(
      `the checkpoint is already at step ${resume.step} of ${totalSteps}: nothing to do (--steps and --epochs give the total length of the run, not additional steps)`,
    );

  const log = continueFile(opts.log ?? join(runDir, RUN_FILES.log), resume?.step);
  const trace = continueFile(opts.trace, resume?.step);
  const coords = plotDir
    ? twoCoordinates(Object.fromEntries(model.params.map((p) => [p.name, p.shape as number[]])))
    : undefined;
  const traceParams = (opts.trace !== undefined && paramCount <= TRACE_PARAM_LIMIT) || coords !== undefined;
  const callbacks: Callback[] = [];
  // Ctrl-C: first, so the run counts as over (and Ctrl-C exits at once) before charts are drawn.
  const interruption =
    io.interrupt && interruptSetup(io.interrupt, io, { model: model.name, checkpointDir, settings });
  if (interruption) callbacks.push(interruption.callback);
  if (log) callbacks.push(jsonlLog(log));
  if (trace) callbacks.push(stepTrace(trace));
  if (!opts.json) callbacks.push(progress(io));
  if (plotDir) {
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
      charts(plotDir, {
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
      ...(prepared.test ? { test: prepared.test } : {}),
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
      checkpointDir,
      ...(opts.checkpointEvery !== undefined ? { checkpointEvery: opts.checkpointEvery } : {}),
      settings,
      ...(resume ? { resume } : {}),
      traceParams,
    },
    callbacks,
  );

  const metrics: Record<string, number> = { ...(result.evaluation?.metrics ?? {}) };
  writeJsonAtomic(join(runDir, RUN_FILES.summary), {
    model: model.name,
    loss: result.finalLoss,
    ...(firstLoss !== undefined ? { firstLoss } : {}),
    evaluation: result.evaluation
      ? { split: result.evaluation.split, loss: result.evaluation.loss, metrics }
      : null,
    steps: result.steps,
    totalSteps,
    seconds: result.seconds,
    compileSeconds: result.compileSeconds,
    stopped: result.stopped ? result.stopped.reason : null,
    ...(result.stopped ? { message: result.stopped.message } : {}),
    ...(result.restored ? { restoredStep: result.restored.step } : {}),
  });
  const interrupted = result.stopped?.reason === 'interrupted' ? result.stopped : undefined;
  if (opts.json) {
    io.out(
      JSON.stringify({
        loss: result.finalLoss,
        ...(firstLoss !== undefined ? { firstLoss } : {}),
        metrics,
        ...(result.evaluation
          ? { evaluation: { split: result.evaluation.split, loss: result.evaluation.loss, metrics } }
          : {}),
        ...(result.test ? { test: { loss: result.test.loss, metrics: result.test.metrics } } : {}),
        steps: result.steps,
        seconds: result.seconds,
        compileSeconds: result.compileSeconds,
        ...(result.stopped ? { stopped: result.stopped.reason, message: result.stopped.message } : {}),
        ...(result.warnings.length > 0 ? { warnings: result.warnings } : {}),
        runDir: resolve(runDir),
      }),
    );
  } else if (!interrupted) {
    const evalText = result.evaluation
      ? `; ${result.evaluation.split} loss ${fmt(result.evaluation.loss)}${Object.entries(
          result.evaluation.metrics,
        )
          .map(([k, v]) => `, ${k} ${fmt(v)}`)
          .join('')}`
      : '';
    const testText = result.test
      ? `; test loss ${fmt(result.test.loss)}${Object.entries(result.test.metrics)
          .map(([k, v]) => `, test ${k} ${fmt(v)}`)
          .join('')}`
      : '';
    io.out(
      `done: ${result.steps} steps in ${result.seconds.toFixed(2)} s (compile ${result.compileSeconds.toFixed(2)} s); final training loss ${fmt(result.finalLoss)}${evalText}${testText}`,
    );
    if (model.params.length > 0 && paramCount <= 8) {
      io.out(
        model.params
          .map((p) => `${p.name} = [${Array.from(result.params[p.name].data, fmt).join(', ')}]`)
          .join('\n'),
      );
    }
    if (result.restored) io.out(result.restored.message);
    if (opts.checkpoint) io.out(`checkpoint: ${join(checkpointDir, CHECKPOINT_FILE)}`);
    io.out(`run: ${shownPath(runDir)}`);
  }
  for (const w of result.warnings) io.err(`warning: ${w}`);
  if (interrupted && interruption) return interruption.report(interrupted.message);
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
