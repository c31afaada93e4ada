/**
 * The training worker: the model is checked and lowered from its text, its training step is built
 * and compiled by `prepareSession` (the code under `gradus train`), and the steps run here in
 * slices of a few milliseconds, so that Pause, Step and a new run are answered between slices.
 * Every slice's steps, evaluations and (for small pictures) the decision regions or the
 * optimiser's path are posted to the page.
 */
import type { Tensor } from '@gradus/autodiff';
import {
  type Backend,
  cpuChoice,
  cpuFallingBack,
  type Executable,
  js,
  WasmExecutable,
} from '@gradus/backends';
import {
  bindInputs,
  type CallSpec,
  checkSource,
  type Lowered,
  parseSettingFlag,
  type TrainConfig,
} from '@gradus/dsl';
import {
  type Columns,
  type EvalSet,
  gatherRows,
  hostRunLength,
  isHostDriven,
  prepareSession,
  type Session,
  splitValidation,
} from '@gradus/optim';
import { loadBrowserData } from './data.js';
import { checkpointJson, describeCall } from './files.js';
import type { EvalRecord, FromWorker, Grid, RunInfo, RunSettings, StepRecord, ToWorker } from './protocol.js';

const post = (m: FromWorker) => (self as unknown as { postMessage(m: FromWorker): void }).postMessage(m);

/** The optimiser of a model whose train block names none (as `gradus train`). */
const DEFAULT_OPTIMIZER: CallSpec = { name: 'sgd', args: { lr: 0.01 } };
/** A slice of training between looks at the message queue. */
const SLICE_MS = 30;
/** How often a slice starts when the speed is limited. */
const TICK_MS = 40;
/** The decision regions are redrawn at most this often. */
const REGIONS_MS = 250;
const REGION_CELLS = 64;
const SURFACE_CELLS = 48;
/** Rows of data each point of a loss surface is computed on. */
const SURFACE_ROWS = 512;

class RunError extends Error {}

interface Run {
  readonly runId: number;
  readonly session: Session;
  readonly info: RunInfo;
  readonly inputNames: readonly string[];
  readonly regions?: {
    readonly exe: Executable;
    readonly output: string;
    readonly grid: Omit<Grid, 'values'>;
  };
  readonly surface?: {
    readonly exe: Executable;
    readonly feeds: Record<string, Tensor>;
    box: Omit<Grid, 'values'>;
  };
  step: number;
  paused: boolean;
  finished: boolean;
  lastRegions: number;
  firstLoss?: number;
  lastLoss?: number;
}

let run: Run | undefined;
/** Steps per second; 0: as fast as the backend goes. */
let speed = 0;
let timer: ReturnType<typeof setTimeout> | undefined;

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  try {
    if (m.type === 'start') {
      speed = m.speed;
      start(m.runId, m.settings, m.paused);
    } else if (m.type === 'speed') speed = m.speed;
    else if (m.type === 'pause') {
      if (run && !run.finished) {
        run.paused = true;
        post({ type: 'paused', runId: run.runId, step: run.step });
      }
    } else if (m.type === 'resume') {
      if (run && !run.finished) {
        run.paused = false;
        schedule();
      }
    } else if (m.type === 'step') {
      if (run && !run.finished) {
        run.paused = true;
        slice(run, 1);
      }
    } else if (m.type === 'stop') {
      run = undefined;
    } else if (m.type === 'checkpoint') {
      if (run && run.runId === m.runId) post({ type: 'checkpoint', runId: m.runId, json: checkpointOf(run) });
    }
  } catch (err) {
    const runId = 'runId' in m ? m.runId : (run?.runId ?? 0);
    post({ type: 'error', runId, message: messageOf(err) });
    run = undefined;
  }
};

function messageOf(err: unknown): string {
  if (err instanceof RunError) return err.message;
  const e = err as { diagnostics?: readonly { message: string; hint?: string }[]; message?: string };
  if (e?.diagnostics?.length)
    return e.diagnostics.map((d) => d.message + (d.hint ? ` (hint: ${d.hint})` : '')).join('; ');
  return String(e?.message ?? err);
}

function schedule(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = setTimeout(
    () => {
      timer = undefined;
      if (!run || run.paused || run.finished) return;
      try {
        slice(run, speed > 0 ? Math.max(1, Math.round((speed * TICK_MS) / 1000)) : Number.POSITIVE_INFINITY);
      } catch (err) {
        post({ type: 'error', runId: run.runId, message: messageOf(err) });
        run = undefined;
        return;
      }
      schedule();
    },
    speed > 0 ? TICK_MS : 0,
  );
}

/** Checks and lowers the model (as `loadModel`), or throws with its first error. */
function lowerModel(source: string, opts: Parameters<typeof checkSource>[1]): Lowered {
  const checked = checkSource({ name: 'playground.model', text: source }, opts);
  if (!checked.lowered) {
    const first = checked.diagnostics.find((d) => d.severity === 'error');
    throw new RunError(`the model has errors${first ? `: ${first.message}` : ''} (see the editor)`);
  }
  return checked.lowered;
}

function applySetting(config: TrainConfig, key: string, text: string): void {
  if (text.trim() === '') return;
  const diagnostics = parseSettingFlag(key, text, config);
  if (diagnostics.length > 0) throw new RunError(`${key} ${text}: ${diagnostics[0].message}`);
}

function chooseBackend(): { backend: Backend; note: string; notes: string[] } {
  const notes: string[] = [];
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true)
    return { backend: cpuFallingBack((m) => notes.push(m)), note: '', notes };
  return {
    backend: js,
    note: 'the page is not cross-origin isolated, so WebAssembly shared memory is unavailable',
    notes,
  };
}

function start(runId: number, s: RunSettings, paused: boolean): void {
  run = undefined;
  const dtype = 'f64';
  const probe = lowerModel(s.source, { floatDtype: dtype });
  const config: TrainConfig = { ...probe.model.train };
  applySetting(config, 'optimizer', s.optimizer);
  applySetting(config, 'schedule', s.schedule);
  if (s.batch !== undefined) config.batch = s.batch;
  if (s.steps !== undefined) {
    config.steps = s.steps;
    delete config.epochs;
  }
  if (s.seed !== undefined) config.seed = s.seed;
  const seed = config.seed ?? 0;
  const trainModel = lowerModel(s.source, { floatDtype: dtype, seed, mode: 'train' });
  const evalModel = lowerModel(s.source, { floatDtype: dtype, seed, mode: 'eval' });
  const model = trainModel.model;
  const inputNames = model.inputs.map((i) => i.name);

  let trainCols: Columns | undefined;
  let evaluation: EvalSet | undefined;
  let dataDescription = 'no data';
  if (inputNames.length > 0) {
    const loaded = loadBrowserData(s.data, config.data, s.csv);
    const bound = bindInputs(model, loaded.columns, loaded.description, trainModel.graph);
    dataDescription = loaded.description;
    if (s.validation > 0 && s.validation < 1) {
      const split = splitValidation(bound, inputNames, s.validation, seed);
      trainCols = split.train;
      evaluation = { split: 'validation', columns: split.validation };
    } else trainCols = bound;
  }

  const optimizer = config.optimizer ?? DEFAULT_OPTIMIZER;
  const rows = trainCols ? trainCols[inputNames[0]].shape[0] : 0;
  const fullBatch = isHostDriven(optimizer);
  const batch = trainCols ? (fullBatch ? rows : Math.max(1, Math.min(config.batch ?? 32, rows))) : 1;
  const steps = config.steps ?? (config.epochs === undefined ? hostRunLength(optimizer) : undefined);
  const { backend, note, notes } = chooseBackend();
  const settings: Record<string, string | number> = {
    optimizer: describeCall(optimizer),
    schedule: config.schedule ? describeCall(config.schedule) : 'none',
    batch,
    dtype,
    data: dataDescription,
  };
  const session = prepareSession(
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
      backend,
      dtype,
      settings,
    },
    [],
  );
  const wasmUsed = session.exe instanceof WasmExecutable;
  const paramCount = model.params.reduce((n, p) => n + (p.shape as number[]).reduce((a, b) => a * b, 1), 0);

  // 2-D classification: the training points and a prediction over a grid around them.
  let points: RunInfo['points'];
  let regions: Run['regions'];
  const xName = inputNames[0];
  const x = trainCols?.[xName];
  const predicted = model.outputs.find((o) => o.kind === 'output');
  const labels = trainCols && inputNames.length > 1 ? trainCols[inputNames[1]] : undefined;
  if (x && x.shape.length === 2 && x.shape[1] === 2 && predicted && labels && labels.shape.length === 1) {
    const classes = Math.max(...Array.from(labels.data)) + 1;
    points = { x: Float64Array.from(x.data), y: Float64Array.from(labels.data), classes };
    const exe = backend.compile(evalModel.graph, { dtype, seed, outputs: [predicted.name] });
    regions = { exe, output: predicted.name, grid: gridAround(x.data, REGION_CELLS) };
  }

  // Two numbers to learn: the optimiser's path over the loss surface.
  let coords: string[] | undefined;
  let surface: Run['surface'];
  if (paramCount === 2) {
    coords = model.params.flatMap((p) =>
      (p.shape as number[]).length === 0 || (p.shape as number[]).reduce((a, b) => a * b, 1) === 1
        ? [p.name]
        : [`${p.name}[0]`, `${p.name}[1]`],
    );
    const exe = backend.compile(evalModel.graph, { dtype, seed, outputs: ['loss'] });
    const cols = evaluation?.columns ?? trainCols;
    const n = cols ? Math.min(SURFACE_ROWS, cols[inputNames[0]].shape[0]) : 0;
    const feeds = cols
      ? gatherRows(
          cols,
          inputNames,
          Int32Array.from({ length: n }, (_, i) => i),
        )
      : {};
    surface = { exe, feeds, box: boxAround([pair(session)], SURFACE_CELLS) };
  }

  const info: RunInfo = {
    model: model.name,
    backend: wasmUsed ? 'wasm' : 'js',
    backendNote: [note, ...notes, wasmUsed ? '' : cpuNote(trainModel, backend)].filter(Boolean).join('; '),
    dtype,
    totalSteps: session.totalSteps,
    params: paramCount,
    settings,
    data: dataDescription,
    ...(points ? { points } : {}),
    ...(coords ? { coords } : {}),
  };
  run = {
    runId,
    session,
    info,
    inputNames,
    ...(regions ? { regions } : {}),
    ...(surface ? { surface } : {}),
    step: session.startStep,
    paused,
    finished: false,
    lastRegions: 0,
  };
  post({ type: 'ready', runId, info });
  if (regions) postRegions(run);
  if (surface) postSurface(run);
  if (!paused) schedule();
}

function cpuNote(lowered: Lowered, backend: Backend): string {
  if (backend === js) return '';
  return cpuChoice(lowered.graph).backend === 'js'
    ? 'the graph is tiny, so the cpu backend runs it as generated JavaScript (as gradus train does)'
    : '';
}

const pair = (session: Session): [number, number] => {
  const values = session.paramNames.flatMap((p) => Array.from(session.exe.read(p).data));
  return [values[0], values[1]];
};

/** A grid over the points' bounding box, widened by a tenth on each side. */
function gridAround(xy: Float64Array, cells: number): Omit<Grid, 'values'> {
  let x0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < xy.length; i += 2) {
    x0 = Math.min(x0, xy[i]);
    x1 = Math.max(x1, xy[i]);
    y0 = Math.min(y0, xy[i + 1]);
    y1 = Math.max(y1, xy[i + 1]);
  }
  const px = 0.1 * (x1 - x0 || 1);
  const py = 0.1 * (y1 - y0 || 1);
  return { width: cells, height: cells, x0: x0 - px, x1: x1 + px, y0: y0 - py, y1: y1 + py };
}

/** A box around the path so far and the origin's neighbourhood, for the loss surface. */
function boxAround(path: readonly (readonly [number, number])[], cells: number): Omit<Grid, 'values'> {
  const xs = path.map((p) => p[0]);
  const ys = path.map((p) => p[1]);
  const span = (v: number[]) => {
    const lo = Math.min(...v, 0);
    const hi = Math.max(...v, 0);
    const pad = 0.35 * Math.max(hi - lo, 1);
    return [lo - pad, hi + pad];
  };
  const [x0, x1] = span(xs);
  const [y0, y1] = span(ys);
  return { width: cells, height: cells, x0, x1, y0, y1 };
}

function copyState(from: Executable, to: Executable): void {
  for (const name of to.variables) if (from.variables.includes(name)) to.write(name, from.read(name));
}

function postRegions(r: Run): void {
  const reg = r.regions!;
  copyState(r.session.exe, reg.exe);
  const { width, height, x0, x1, y0, y1 } = reg.grid;
  const n = width * height;
  const data = new Float64Array(2 * n);
  for (let j = 0; j < height; j++)
    for (let i = 0; i < width; i++) {
      const k = j * width + i;
      data[2 * k] = x0 + ((i + 0.5) / width) * (x1 - x0);
      data[2 * k + 1] = y1 - ((j + 0.5) / height) * (y1 - y0);
    }
  const feeds: Record<string, Tensor> = { [r.inputNames[0]]: { shape: [n, 2], dtype: 'f64', data } };
  const out = reg.exe.run(feeds)[reg.output];
  const c = out.shape.length === 2 ? out.shape[1] : 1;
  const values = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let best = 0;
    let bestV = Number.NEGATIVE_INFINITY;
    let sum = 0;
    let max = Number.NEGATIVE_INFINITY;
    for (let q = 0; q < c; q++) max = Math.max(max, out.data[k * c + q]);
    for (let q = 0; q < c; q++) {
      const v = out.data[k * c + q];
      sum += Math.exp(v - max);
      if (v > bestV) {
        bestV = v;
        best = q;
      }
    }
    // The class, and how sure the model is of it (softmax of the outputs) as the fraction.
    values[k] = best + Math.min(0.999, 1 / sum);
  }
  r.lastRegions = performance.now();
  post({ type: 'regions', runId: r.runId, step: r.step, grid: { ...reg.grid, values } });
}

function postSurface(r: Run): void {
  const s = r.surface!;
  copyState(r.session.exe, s.exe);
  const { width, height, x0, x1, y0, y1 } = s.box;
  const values = new Float64Array(width * height);
  const params = r.session.paramNames.map((p) => r.session.exe.read(p));
  const start = pair(r.session);
  for (let j = 0; j < height; j++)
    for (let i = 0; i < width; i++) {
      const u = x0 + ((i + 0.5) / width) * (x1 - x0);
      const v = y1 - ((j + 0.5) / height) * (y1 - y0);
      writePair(s.exe, r.session.paramNames, params, u, v);
      values[j * width + i] = s.exe.run(s.feeds).loss.data[0];
    }
  post({ type: 'surface', runId: r.runId, grid: { ...s.box, values }, start });
}

function writePair(
  exe: Executable,
  names: readonly string[],
  like: readonly Tensor[],
  u: number,
  v: number,
): void {
  if (names.length === 1) {
    exe.write(names[0], { ...like[0], data: Float64Array.of(u, v) });
    return;
  }
  exe.write(names[0], { ...like[0], data: Float64Array.of(u) });
  exe.write(names[1], { ...like[1], data: Float64Array.of(v) });
}

/** Runs steps for about `SLICE_MS` (or `limit` steps), then posts what happened. */
function slice(r: Run, limit: number): void {
  const { session } = r;
  const { exe, batcher, host, totalSteps } = session;
  const steps: StepRecord[] = [];
  const evals: EvalRecord[] = [];
  const path: [number, number][] = [];
  const t0 = performance.now();
  const stepFeed: Tensor = { shape: [], dtype: 'i32', data: new Float64Array(1) };
  let message: string | undefined;
  while (r.step < totalSteps && steps.length < limit && performance.now() - t0 < SLICE_MS) {
    const feeds: Record<string, Tensor> = batcher.feeds(r.step);
    stepFeed.data[0] = r.step + 1;
    feeds.$step = stepFeed;
    const out = host ? host.step(exe, feeds, r.step + 1) : exe.run(feeds);
    r.step++;
    const loss = out.loss.data[0];
    r.firstLoss ??= loss;
    r.lastLoss = loss;
    const metrics: Record<string, number> = {};
    for (const m of session.metricNames) if (out[m]) metrics[m] = out[m].data[0];
    const lr = out.lr?.data[0];
    steps.push({
      step: r.step,
      epoch: batcher.epochOf(r.step - 1),
      loss,
      ...(lr !== undefined ? { lr } : {}),
      ...(out.grad_norm ? { gradNorm: out.grad_norm.data[0] } : {}),
      metrics,
    });
    if (r.info.coords) path.push(pair(session));
    if (!Number.isFinite(loss)) {
      message = `the loss became ${loss} at step ${r.step}: lower the learning rate`;
      break;
    }
    if (host?.finished) message = host.finished.message;
    const scheduled = r.step % session.evalEvery === 0;
    if (scheduled || r.step === totalSteps || message !== undefined) {
      const e = session.evaluate(undefined, r.step, !scheduled);
      if (e) evals.push({ ...e });
    }
    if (message !== undefined) break;
  }
  post({ type: 'progress', runId: r.runId, steps, evals, ...(r.info.coords ? { path } : {}) });
  if (r.surface && path.length > 0) {
    const last = path[path.length - 1];
    const b = r.surface.box;
    if (!(last[0] > b.x0 && last[0] < b.x1 && last[1] > b.y0 && last[1] < b.y1)) {
      r.surface.box = boxAround([...path, [b.x0, b.y0], [b.x1, b.y1]], SURFACE_CELLS);
      postSurface(r);
    }
  }
  const finished = r.step >= totalSteps || message !== undefined;
  if (r.regions && (finished || r.paused || performance.now() - r.lastRegions > REGIONS_MS)) postRegions(r);
  if (finished) {
    r.finished = true;
    post({
      type: 'done',
      runId: r.runId,
      step: r.step,
      message: message ?? `done: ${r.step} steps`,
    });
  }
}

function checkpointOf(r: Run): string {
  const { session } = r;
  const variables: Record<string, Tensor> = {};
  for (const name of session.exe.variables) variables[name] = session.exe.read(name);
  return checkpointJson({
    model: session.modelName,
    step: r.step,
    seed: session.seed,
    dtype: session.dtype,
    variables,
    run: {
      ...session.run,
      ...(r.firstLoss !== undefined ? { firstLoss: r.firstLoss } : {}),
      ...(r.lastLoss !== undefined ? { lastLoss: r.lastLoss } : {}),
    },
    settings: r.info.settings,
  });
}
