/**
 * The playground page: the editor, the controls, the runs kept for comparison and their
 * pictures. Training happens in `worker.ts`; this file only draws what it streams.
 */
import './style.css';
import { type CatalogueEntry, OPTIMIZERS, SCHEDULES } from '@gradus/optim';
import bnMlp from '../../../models/bn_mlp.model?raw';
import quadratic from '../../../models/quadratic.model?raw';
import ravine from '../../../models/ravine.model?raw';
import rosenbrock from '../../../models/rosenbrock.model?raw';
import spiralSoftmax from '../../../models/spiral_softmax.model?raw';
import twoLayer from '../../../models/two_layer.model?raw';
import { drawCurves, drawRegions, drawSurface, type Series } from './charts.js';
import { type Editor, type Located, makeEditor } from './editor.js';
import { logJsonl } from './files.js';
import type {
  DataChoice,
  EvalRecord,
  FromWorker,
  Grid,
  RunInfo,
  RunSettings,
  StepRecord,
  ToWorker,
} from './protocol.js';
import { decodeShared, encodeShared, type Shared } from './share.js';
import { zip } from './zip.js';

const EXAMPLES: Readonly<Record<string, { readonly label: string; readonly text: string }>> = {
  two_layer: { label: 'Two-layer net on the spiral', text: twoLayer },
  spiral_softmax: { label: 'Linear softmax on the spiral', text: spiralSoftmax },
  bn_mlp: { label: 'MLP with batch norm', text: bnMlp },
  quadratic: { label: 'Bowl (two parameters)', text: quadratic },
  ravine: { label: 'Ravine (two parameters)', text: ravine },
  rosenbrock: { label: 'Rosenbrock (two parameters)', text: rosenbrock },
};
const DATA_CHOICES: readonly [DataChoice, string][] = [
  ['model', "the model's own data"],
  ['spiral', 'spiral'],
  ['moons', 'moons'],
  ['blobs', 'blobs'],
  ['iris', 'iris'],
  ['csv', 'upload a CSV…'],
];
const RUN_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
const MAX_RUNS = 8;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const exampleSelect = $<HTMLSelectElement>('example');
const dataSelect = $<HTMLSelectElement>('data');
const csvInput = $<HTMLInputElement>('csv');
const optimizerInput = $<HTMLInputElement>('optimizer');
const presetSelect = $<HTMLSelectElement>('optimizer-preset');
const scheduleInput = $<HTMLInputElement>('schedule');
const batchInput = $<HTMLInputElement>('batch');
const stepsInput = $<HTMLInputElement>('steps');
const seedInput = $<HTMLInputElement>('seed');
const validationInput = $<HTMLInputElement>('validation');
const speedSelect = $<HTMLSelectElement>('speed');
const trainButton = $<HTMLButtonElement>('train');
const pauseButton = $<HTMLButtonElement>('pause');
const stepButton = $<HTMLButtonElement>('step');
const resetButton = $<HTMLButtonElement>('reset');
const statusBox = $<HTMLDivElement>('status');
const runsBox = $<HTMLDivElement>('runs');
const problemsBox = $<HTMLDivElement>('problems');
const backendBadge = $<HTMLSpanElement>('backend');
const pictureCaption = $<HTMLElement>('picture-caption');
const canvases = {
  loss: $<HTMLCanvasElement>('loss'),
  accuracy: $<HTMLCanvasElement>('accuracy'),
  picture: $<HTMLCanvasElement>('picture'),
  lr: $<HTMLCanvasElement>('lr'),
};

for (const [key, { label }] of Object.entries(EXAMPLES)) exampleSelect.add(new Option(label, key));
for (const [key, label] of DATA_CHOICES) dataSelect.add(new Option(label, key));

/** A call as it would be written, with the catalogue's defaults for its learning rate. */
function presetText(name: string, entry: CatalogueEntry): string {
  const args = Object.entries(entry.args)
    .filter(([arg, spec]) => spec.default === undefined || arg === 'lr')
    .map(([arg, spec]) => {
      if (spec.default !== undefined) return `${arg} = ${spec.default}`;
      if (spec.type === 'schedule') return `${arg} = constant()`;
      if (spec.type === 'numbers') return `${arg} = [500, 1000]`;
      return `${arg} = ${spec.type === 'int' ? 1000 : 0.5}`;
    });
  return `${name}(${args.join(', ')})`;
}
presetSelect.add(new Option('catalogue…', ''));
for (const [name, entry] of Object.entries(OPTIMIZERS))
  presetSelect.add(new Option(name, presetText(name, entry)));
presetSelect.onchange = () => {
  if (presetSelect.value) optimizerInput.value = presetSelect.value;
  presetSelect.value = '';
  saveHash();
};
scheduleInput.setAttribute('list', 'schedules');
const scheduleList = document.createElement('datalist');
scheduleList.id = 'schedules';
for (const [name, entry] of Object.entries(SCHEDULES))
  scheduleList.append(new Option(presetText(name, entry)));
document.body.append(scheduleList);

// ---------------------------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------------------------

interface Run {
  readonly id: number;
  readonly color: string;
  label: string;
  info?: RunInfo;
  readonly steps: StepRecord[];
  readonly evals: EvalRecord[];
  readonly path: (readonly [number, number])[];
  regions?: Grid;
  regionsDrawn: number;
  surface?: Grid;
  state: 'starting' | 'training' | 'paused' | 'done' | 'error';
  message: string;
  visible: boolean;
  settings: RunSettings;
}

const runs: Run[] = [];
let nextRunId = 1;
let current: Run | undefined;
let csvText: string | undefined;
let latest: Located[] = [];

const worker = newWorker();

function newWorker(): Worker {
  const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  w.onmessage = (e: MessageEvent<FromWorker>) => onWorker(e.data);
  w.onerror = (e) => {
    if (current) fail(current, `the training worker failed: ${e.message}`);
  };
  return w;
}

const send = (m: ToWorker) => worker.postMessage(m);

function onWorker(m: FromWorker): void {
  const run = runs.find((r) => r.id === m.runId);
  if (!run) return;
  switch (m.type) {
    case 'ready':
      run.info = m.info;
      run.state = run.state === 'paused' ? 'paused' : 'training';
      backendBadge.textContent = `backend: ${m.info.backend} (${m.info.dtype})`;
      backendBadge.title = m.info.backendNote || 'WebAssembly, the cpu backend of gradus train';
      backendBadge.dataset.backend = m.info.backend;
      break;
    case 'progress':
      run.steps.push(...m.steps);
      run.evals.push(...m.evals);
      if (m.path) run.path.push(...m.path);
      break;
    case 'regions':
      run.regions = m.grid;
      run.regionsDrawn++;
      break;
    case 'surface':
      run.surface = m.grid;
      if (run.path.length === 0) run.path.push(m.start);
      break;
    case 'paused':
      run.state = 'paused';
      break;
    case 'done':
      run.state = 'done';
      run.message = m.message;
      break;
    case 'checkpoint':
      download(run, m.json);
      return;
    case 'error':
      fail(run, m.message);
      break;
  }
  refresh();
}

function fail(run: Run, message: string): void {
  run.state = 'error';
  run.message = message;
  refresh();
}

function optionalInt(input: HTMLInputElement): number | undefined {
  const v = input.value.trim();
  return v === '' ? undefined : Math.floor(Number(v));
}

function currentSettings(): RunSettings {
  const data = dataSelect.value as DataChoice;
  return {
    source: editor.text(),
    data,
    ...(data === 'csv' && csvText !== undefined ? { csv: csvText } : {}),
    optimizer: optimizerInput.value,
    schedule: scheduleInput.value,
    ...(optionalInt(batchInput) !== undefined ? { batch: optionalInt(batchInput) } : {}),
    ...(optionalInt(stepsInput) !== undefined ? { steps: optionalInt(stepsInput) } : {}),
    ...(optionalInt(seedInput) !== undefined ? { seed: optionalInt(seedInput) } : {}),
    validation: Math.max(0, Math.min(0.9, Number(validationInput.value) || 0)),
  };
}

function startRun(paused: boolean): void {
  if (latest.some((l) => l.diagnostic.severity === 'error')) {
    statusBox.textContent = 'The model has errors: fix them first (see below the editor).';
    statusBox.dataset.state = 'error';
    return;
  }
  const settings = currentSettings();
  const id = nextRunId++;
  const run: Run = {
    id,
    color: RUN_COLORS[(id - 1) % RUN_COLORS.length],
    label: settings.optimizer || "model's optimiser",
    steps: [],
    evals: [],
    path: [],
    regionsDrawn: 0,
    state: paused ? 'paused' : 'starting',
    message: '',
    visible: true,
    settings,
  };
  runs.push(run);
  while (runs.length > MAX_RUNS) runs.shift();
  current = run;
  send({ type: 'start', runId: id, settings, paused, speed: Number(speedSelect.value) });
  refresh();
}

trainButton.onclick = () => {
  if (current && current.state === 'paused') {
    current.state = 'training';
    send({ type: 'resume' });
    refresh();
  } else if (current && (current.state === 'training' || current.state === 'starting')) {
    return;
  } else startRun(false);
};
pauseButton.onclick = () => send({ type: 'pause' });
stepButton.onclick = () => {
  if (!current || current.state === 'done' || current.state === 'error') startRun(true);
  send({ type: 'step' });
};
resetButton.onclick = () => {
  send({ type: 'stop' });
  runs.length = 0;
  current = undefined;
  refresh();
};

$<HTMLButtonElement>('download').onclick = () => {
  if (!current?.info) {
    statusBox.textContent = 'Train a run first: the download holds the latest run.';
    return;
  }
  send({ type: 'checkpoint', runId: current.id });
};

function download(run: Run, checkpoint: string): void {
  const info = run.info!;
  const name = info.model;
  const settings = {
    model: name,
    source: 'gradus playground',
    ...info.settings,
    seed: JSON.parse(checkpoint).seed as number,
    steps: info.totalSteps,
    step: run.steps.length > 0 ? run.steps[run.steps.length - 1].step : 0,
    validation: run.settings.validation,
    backend: info.backend,
  };
  const dir = `${name}-run${run.id}`;
  const blob = zip([
    { name: `${dir}/${name}.model`, text: run.settings.source },
    { name: `${dir}/checkpoint.json`, text: checkpoint },
    { name: `${dir}/settings.json`, text: `${JSON.stringify(settings, null, 2)}\n` },
    { name: `${dir}/log.jsonl`, text: logJsonl(run.steps, run.evals) },
  ]);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${dir}.zip`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

speedSelect.onchange = () => send({ type: 'speed', speed: Number(speedSelect.value) });
dataSelect.onchange = () => {
  if (dataSelect.value === 'csv') csvInput.click();
  saveHash();
};
csvInput.onchange = async () => {
  const file = csvInput.files?.[0];
  if (!file) return;
  csvText = await file.text();
  statusBox.textContent = `${file.name}: ${csvText.split('\n').length - 1} rows read (header x[0], x[1], …, y)`;
};
exampleSelect.onchange = () => {
  editor.setText(EXAMPLES[exampleSelect.value].text);
  saveHash();
};
for (const input of [optimizerInput, scheduleInput, batchInput, stepsInput, seedInput, validationInput])
  input.oninput = () => saveHash();

// ---------------------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------------------

let frame = 0;
function refresh(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    draw();
  });
}

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / Math.max(v.length, 1);

/** Every `k`-th point, so that a long run draws as fast as a short one. */
function thin<T>(v: readonly T[], max = 600): T[] {
  if (v.length <= max) return [...v];
  const k = Math.ceil(v.length / max);
  return v.filter((_, i) => i % k === 0 || i === v.length - 1);
}

function smoothed(
  steps: readonly StepRecord[],
  pick: (s: StepRecord) => number | undefined,
): [number, number][] {
  const out: [number, number][] = [];
  let ema: number | undefined;
  for (const s of steps) {
    const v = pick(s);
    if (v === undefined) continue;
    ema = ema === undefined || !Number.isFinite(ema) ? v : 0.9 * ema + 0.1 * v;
    out.push([s.step, ema]);
  }
  return thin(out);
}

function draw(): void {
  const shown = runs.filter((r) => r.visible);
  const lossSeries: Series[] = shown.map((r) => ({
    color: r.color,
    line: smoothed(r.steps, (s) => s.loss),
    dots: thin(r.evals.map((e) => [e.step, e.loss] as const)),
  }));
  drawCurves(canvases.loss, lossSeries, true, 'Train a model to see its loss');
  const metricName = (r: Run) => Object.keys(r.steps[0]?.metrics ?? {})[0];
  const accSeries: Series[] = shown
    .filter((r) => metricName(r) !== undefined)
    .map((r) => {
      const m = metricName(r)!;
      return {
        color: r.color,
        line: smoothed(r.steps, (s) => s.metrics[m]),
        dots: thin(r.evals.filter((e) => m in e.metrics).map((e) => [e.step, e.metrics[m]] as const)),
      };
    });
  drawCurves(canvases.accuracy, accSeries, false, 'No metric in this model');
  drawCurves(
    canvases.lr,
    shown.map((r) => ({
      color: r.color,
      line: thin(r.steps.flatMap((s) => (s.lr === undefined ? [] : [[s.step, s.lr] as const]))),
      dots: [],
    })),
    false,
    'The learning rate of each step',
  );
  drawPicture(shown);
  drawStatus();
  drawRuns();
  pauseButton.disabled = current?.state !== 'training' && current?.state !== 'starting';
  trainButton.textContent = current?.state === 'paused' ? 'Resume' : 'Train';
}

function drawPicture(shown: readonly Run[]): void {
  const canvas = canvases.picture;
  const info = current?.info;
  if (current?.regions && info?.points) {
    pictureCaption.textContent = `Decision regions of run ${current.id} at step ${current.steps.at(-1)?.step ?? 0}, with the training points`;
    drawRegions(canvas, current.regions, info.points);
    canvas.dataset.version = String(current.regionsDrawn);
    return;
  }
  if (current?.surface && info?.coords) {
    pictureCaption.textContent = `Loss contours over ${info.coords.join(' and ')}, with each run's path`;
    const paths = shown
      .filter((r) => r.info?.coords && r.info.model === info.model)
      .map((r) => ({ color: r.color, points: thin(r.path, 2000) }));
    drawSurface(canvas, current.surface, paths, info.coords);
    return;
  }
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#888';
  ctx.font = '12px system-ui, sans-serif';
  pictureCaption.textContent = 'Decision regions or the optimiser’s path';
  ctx.fillText('2-D classifiers (input x: float[N, 2] and an output)', 12, 24);
  ctx.fillText('show their decision regions; models with two numbers', 12, 40);
  ctx.fillText('to learn show the path over the loss contours.', 12, 56);
}

function drawStatus(): void {
  if (!current) {
    statusBox.textContent = 'Press Train to train the model in the editor.';
    statusBox.dataset.state = 'idle';
    delete statusBox.dataset.loss;
    delete statusBox.dataset.step;
    return;
  }
  const r = current;
  const last = r.steps.at(-1);
  const recent = mean(r.steps.slice(-10).map((s) => s.loss));
  const evalLast = r.evals.at(-1);
  const metric = last ? Object.entries(last.metrics)[0] : undefined;
  statusBox.dataset.state = r.state;
  statusBox.dataset.step = String(last?.step ?? 0);
  if (last) statusBox.dataset.loss = String(recent);
  const parts = [
    `run ${r.id} ${r.state}`,
    r.info ? `${r.info.model}, ${r.info.params} params, ${r.info.data}` : '',
    last ? `step ${last.step} of ${r.info?.totalSteps ?? '?'}` : '',
    last ? `loss ${recent.toPrecision(3)}` : '',
    metric ? `${metric[0]} ${metric[1].toPrecision(3)}` : '',
    evalLast ? `${evalLast.split} loss ${evalLast.loss.toPrecision(3)}` : '',
    r.message,
  ];
  statusBox.textContent = parts.filter(Boolean).join(' · ');
}

function drawRuns(): void {
  runsBox.replaceChildren(
    ...runs.map((r) => {
      const chip = document.createElement('label');
      chip.className = 'run';
      chip.style.borderColor = r.color;
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = r.visible;
      box.onchange = () => {
        r.visible = box.checked;
        refresh();
      };
      const last = r.steps.at(-1);
      chip.append(
        box,
        ` run ${r.id}: ${r.info?.settings.optimizer ?? r.label}${r.info && r.info.settings.schedule !== 'none' ? `, ${r.info.settings.schedule}` : ''}${last ? ` · loss ${mean(r.steps.slice(-10).map((s) => s.loss)).toPrecision(3)}` : ''}`,
      );
      chip.title = r.message;
      return chip;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// The editor, its diagnostics and the URL
// ---------------------------------------------------------------------------------------------

function showProblems(located: Located[], text: string): void {
  latest = located;
  problemsBox.replaceChildren(
    ...located.map((l) => {
      const row = document.createElement('div');
      row.className = `problem ${l.diagnostic.severity}`;
      row.dataset.line = String(l.line);
      row.textContent = `line ${l.line}, column ${l.column}: ${l.diagnostic.severity}[${l.diagnostic.code}]: ${l.diagnostic.message}${l.diagnostic.hint ? ` (hint: ${l.diagnostic.hint})` : ''}`;
      row.onclick = () => {
        const at = Math.min(l.diagnostic.span?.start ?? 0, text.length);
        editor.view.dispatch({ selection: { anchor: at }, scrollIntoView: true });
        editor.view.focus();
      };
      return row;
    }),
  );
  problemsBox.dataset.count = String(located.length);
  if (located.length === 0) problemsBox.textContent = 'No problems: the model checks.';
}

let hashTimer: ReturnType<typeof setTimeout> | undefined;
function saveHash(): void {
  if (hashTimer !== undefined) clearTimeout(hashTimer);
  hashTimer = setTimeout(async () => {
    const state: Shared = {
      model: editor.text(),
      example: exampleSelect.value,
      data: dataSelect.value,
      optimizer: optimizerInput.value,
      schedule: scheduleInput.value,
      batch: batchInput.value,
      steps: stepsInput.value,
      seed: seedInput.value,
      validation: validationInput.value,
    };
    history.replaceState(null, '', `#${await encodeShared(state)}`);
  }, 400);
}

$<HTMLButtonElement>('share').onclick = async () => {
  if (hashTimer !== undefined) clearTimeout(hashTimer);
  hashTimer = undefined;
  const state: Shared = {
    model: editor.text(),
    example: exampleSelect.value,
    data: dataSelect.value,
    optimizer: optimizerInput.value,
    schedule: scheduleInput.value,
    batch: batchInput.value,
    steps: stepsInput.value,
    seed: seedInput.value,
    validation: validationInput.value,
  };
  history.replaceState(null, '', `#${await encodeShared(state)}`);
  try {
    await navigator.clipboard.writeText(location.href);
    statusBox.textContent = 'Link copied: it opens this model with these settings.';
  } catch {
    statusBox.textContent = 'The address bar now holds a link to this model with these settings.';
  }
};

const editor: Editor = makeEditor($('editor'), twoLayer, showProblems, saveHash);

async function restore(): Promise<void> {
  const shared = await decodeShared(location.hash);
  if (!shared) return;
  if (shared.example && shared.example in EXAMPLES) exampleSelect.value = shared.example;
  if (shared.model !== undefined) editor.setText(shared.model);
  if (shared.data && DATA_CHOICES.some(([k]) => k === shared.data) && shared.data !== 'csv')
    dataSelect.value = shared.data;
  optimizerInput.value = shared.optimizer ?? '';
  scheduleInput.value = shared.schedule ?? '';
  batchInput.value = shared.batch ?? '';
  stepsInput.value = shared.steps ?? '';
  seedInput.value = shared.seed ?? '';
  if (shared.validation !== undefined) validationInput.value = shared.validation;
}

void restore().then(refresh);
refresh();

// For the browser tests and the curious: the runs as data.
(globalThis as { playground?: unknown }).playground = { runs, editor: () => editor };
