import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, type Stats, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { diagnostic, GradusError, type Graph, type Tensor } from '@gradus/autodiff';
import type { Backend } from '@gradus/backends';
// Types only: loading vega takes over a second, so it is loaded only to render (see `renderSvgs`).
import type * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { guardedWrite } from './write-guard.js';

/** One training step as the charts see it. */
export interface StepPoint {
  readonly step: number;
  readonly loss: number;
  readonly metrics: Readonly<Record<string, number>>;
  /** The learning rate the step used. */
  readonly lr?: number;
  /** The global norm of the gradient (before clipping). */
  readonly gradNorm?: number;
}

/** One evaluation as the charts see it. */
export interface EvalPoint {
  readonly step: number;
  readonly split: string;
  readonly loss: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/** One scalar coordinate of a model with two scalar coordinates in total: `x[1]`, or `a`. */
export interface Coordinate {
  readonly param: string;
  readonly index: number;
  readonly label: string;
}

/** The loss as a function of the two coordinates, and the optimiser's path through them. */
export interface Landscape {
  readonly coords: readonly [Coordinate, Coordinate];
  /** The coordinates at the start and after every step. */
  readonly path: readonly (readonly [number, number])[];
  /** The loss at (x, y), every other variable fixed. */
  readonly lossAt: (x: number, y: number) => number;
}

export interface PlotInput {
  readonly model: string;
  readonly steps: readonly StepPoint[];
  readonly evals: readonly EvalPoint[];
  readonly landscape?: Landscape;
}

/** Points per line: longer runs draw every k-th step (the smoothing is over all of them). */
const MAX_POINTS = 2000;
/** Grid resolution of the contour chart. */
const GRID = 80;
/** Step markers on the path only when there are this few (the lectures' zig-zags). */
const MAX_MARKERS = 300;
/** Contour lines drawn. */
const LEVELS = 14;

/**
 * The weight of the exponential moving average drawn over the raw minibatch values, as
 * TensorBoard's smoothing slider: s_t = w·s_{t−1} + (1 − w)·v_t from s_0 = 0, divided by 1 − w^t
 * (debiased, so the curve starts at the first value instead of at 0).
 */
export const SMOOTHING = 0.9;

/**
 * One colour per split, the same in every chart: the training batches and an evaluation of the
 * training set are `train`. Other split names take the next colours in order of appearance.
 */
export const SPLIT_COLOURS: Readonly<Record<string, string>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, string>, {
    train: '#1f77b4',
    validation: '#ff7f0e',
    test: '#2ca02c',
  }),
);
const MORE_COLOURS = ['#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/**
 * A value more than `DIVERGED` times the run's starting level (its first values; their median when
 * those are 0) means the run diverged: the axis then stops at `CLIP_AXIS` times that level and
 * larger values are drawn at the top edge, with a note. Without it a diverged run's axis would run
 * to 1e+300 and flatten everything that matters; growth over fewer decades (a gradient norm from
 * a small start) is shown whole, on a log axis.
 */
const DIVERGED = 1e6;
const CLIP_AXIS = 1e3;

/** The file names written by `writePlots`, by chart. */
export const PLOT_FILES = {
  loss: 'loss.svg',
  lr: 'lr.svg',
  gradNorm: 'grad_norm.svg',
  path: 'path.svg',
  index: 'index.html',
} as const;
export const metricPlotFile = (metric: string): string => `${metric.replace(/[^\w.-]/g, '_')}.svg`;

/** Every file `writePlots` may write for a model with these metrics (for claiming them up front). */
export function plotFileNames(metrics: readonly string[]): string[] {
  return [...new Set([...Object.values(PLOT_FILES), ...metrics.map(metricPlotFile)])];
}

/** The debiased exponential moving average of `values` (see SMOOTHING); non-finite values are skipped. */
export function emaSmooth(values: readonly number[], weight = SMOOTHING): number[] {
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    n++;
    last = weight * last + (1 - weight) * v;
    return last / (1 - weight ** n);
  });
}

/**
 * Makes `dir` (and its parents) one level at a time and checks that a file can be written there,
 * so an unusable chart directory fails at once with a clear error, before any training.
 * (Node's recursive mkdir never returns on some paths under /proc.)
 */
export function prepareChartDir(dir: string): void {
  const fail = (why: string): never => {
    throw new GradusError(diagnostic('E0916', `cannot use ${dir} for charts: ${why}`));
  };
  const full = resolve(dir);
  const missing: string[] = [];
  for (let at = full; ; at = dirname(at)) {
    let st: Stats | undefined;
    try {
      st = statSync(at);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ENOTDIR: a parent is a file; walking up finds it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') fail(`${code ?? String(e)}: cannot read ${at}`);
    }
    if (st) {
      if (!st.isDirectory()) fail(`ENOTDIR: ${at} is not a directory`);
      break;
    }
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') fail(`${code ?? String(e)}: cannot make ${d}`);
    }
  }
  const probe = join(full, `.gradus-probe-${process.pid}`);
  try {
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (e) {
    fail(`${(e as NodeJS.ErrnoException).code ?? String(e)}: cannot write a file there`);
  }
}

/**
 * Writes SVG charts of a run into `dir`: `loss.svg` and one `<metric>.svg` per metric (the
 * training batches, EMA-smoothed over the raw values drawn faintly, and the evaluations of each
 * split), `lr.svg` and `grad_norm.svg` when the steps carry them, and, when the model has exactly
 * two scalar coordinates, `path.svg`: the optimiser's path over contours of the loss, as in the
 * lectures' figures. Then `index.html`, a page showing every chart. Each file is written through a
 * temporary file and a rename. Returns the paths written. Rendering is Vega in Node, no browser.
 */
export function writePlots(dir: string, run: PlotInput): string[] {
  const charts = plotCharts(run);
  const svgs = renderSvgs(charts);
  prepareChartDir(dir);
  const files: { file: string; text: string }[] = charts.map((c, i) => ({ file: c.file, text: svgs[i] }));
  files.push({ file: PLOT_FILES.index, text: indexHtml(run, charts) });
  const written: string[] = [];
  try {
    for (const f of files) {
      const path = join(dir, f.file);
      const tmp = `${path}.tmp-${process.pid}`;
      try {
        guardedWrite(() => {
          writeFileSync(tmp, f.text);
          renameSync(tmp, path);
        });
      } catch (e) {
        rmSync(tmp, { force: true });
        throw e;
      }
      written.push(path);
    }
    return written;
  } catch (e) {
    throw new GradusError(
      diagnostic('E0916', `cannot write charts in ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`),
    );
  }
}

/** The charts of a run, in the order `index.html` shows them. */
export function plotCharts(run: PlotInput): Chart[] {
  const colours = splitColours(run);
  const charts: Chart[] = [{ file: PLOT_FILES.loss, lite: seriesChart(run, 'loss', (p) => p.loss, colours) }];
  const metrics = [...new Set([...run.steps, ...run.evals].flatMap((p) => Object.keys(p.metrics)))];
  for (const m of metrics)
    charts.push({ file: metricPlotFile(m), lite: seriesChart(run, m, (p) => p.metrics[m], colours) });
  if (run.steps.some((p) => p.lr !== undefined))
    charts.push({ file: PLOT_FILES.lr, lite: stepChart(run, 'learning rate', (p) => p.lr, false, colours) });
  if (run.steps.some((p) => p.gradNorm !== undefined && Number.isFinite(p.gradNorm)))
    charts.push({
      file: PLOT_FILES.gradNorm,
      lite: stepChart(run, 'gradient norm', (p) => p.gradNorm, true, colours),
    });
  if (run.landscape && run.landscape.path.length > 0)
    charts.push({ file: PLOT_FILES.path, vega: pathChart(run) });
  return charts;
}

/** A chart to render: a Vega-Lite or a Vega spec. */
export type Chart = { readonly file: string } & (
  | { readonly lite: TopLevelSpec; readonly vega?: undefined }
  | { readonly vega: vega.Spec; readonly lite?: undefined }
);

interface Row {
  readonly step: number;
  readonly value: number;
  readonly split: string;
  /** `raw` minibatch values (faint), their `smoothed` EMA, or an `evaluation` of a whole split. */
  readonly kind: 'raw' | 'smoothed' | 'evaluation';
}

/** The colour of every split the run has: train, validation, test first, then others in order. */
function splitColours(run: PlotInput): { domain: string[]; range: string[] } {
  const seen = ['train', ...run.evals.map((e) => e.split)];
  const known = Object.keys(SPLIT_COLOURS).filter((s) => seen.includes(s));
  const others = [...new Set(seen.filter((s) => !Object.hasOwn(SPLIT_COLOURS, s)))];
  const domain = [...known, ...others];
  return {
    domain,
    range: domain.map((s, i) =>
      Object.hasOwn(SPLIT_COLOURS, s)
        ? SPLIT_COLOURS[s]
        : MORE_COLOURS[(i - known.length) % MORE_COLOURS.length],
    ),
  };
}

/** Raw values of the steps (every k-th when long) and their EMA over every step. */
function stepRows(
  steps: readonly StepPoint[],
  value: (p: StepPoint) => number | undefined,
  smoothed: boolean,
): Row[] {
  const points = steps.filter((p) => value(p) !== undefined);
  const raw = points.map((p) => value(p) as number);
  const ema = smoothed ? emaSmooth(raw) : raw;
  const every = Math.max(1, Math.ceil(points.length / MAX_POINTS));
  const rows: Row[] = [];
  points.forEach((p, j) => {
    if (j % every !== 0 && j !== points.length - 1) return;
    if (Number.isFinite(raw[j]))
      rows.push({ step: p.step, value: raw[j], split: 'train', kind: smoothed ? 'raw' : 'smoothed' });
    if (smoothed && Number.isFinite(ema[j]))
      rows.push({ step: p.step, value: ema[j], split: 'train', kind: 'smoothed' });
  });
  return rows;
}

/** One quantity of the training batches (raw faint, EMA on top) and of each split's evaluations. */
function seriesChart(
  run: PlotInput,
  what: string,
  value: (p: StepPoint | EvalPoint) => number | undefined,
  colours: { domain: string[]; range: string[] },
): TopLevelSpec {
  const rows = stepRows(run.steps, value, true);
  for (const e of run.evals) {
    const v = value(e);
    if (v !== undefined && Number.isFinite(v))
      rows.push({ step: e.step, value: v, split: e.split, kind: 'evaluation' });
  }
  const notes = ['training batches EMA-smoothed, raw values faint; dashed: evaluations of each split'];
  const bad = [...run.steps, ...run.evals].find((p) => {
    const v = value(p);
    return v !== undefined && !Number.isFinite(v);
  });
  if (bad) notes.push(`${what} is not finite from step ${bad.step} on (not drawn)`);
  return lineChart(`${run.model}: ${what}`, what, rows, colours, firstValues(run.steps, value), notes);
}

/** A quantity of the steps alone (learning rate, gradient norm). */
function stepChart(
  run: PlotInput,
  what: string,
  value: (p: StepPoint) => number | undefined,
  smoothed: boolean,
  colours: { domain: string[]; range: string[] },
): TopLevelSpec {
  const rows = stepRows(run.steps, value, smoothed);
  const notes = smoothed ? ['training batches: EMA-smoothed (raw values faint)'] : ['per training step'];
  return lineChart(`${run.model}: ${what}`, what, rows, colours, firstValues(run.steps, value), notes);
}

/** The first few finite values of the steps (the first 5 %, at least one): the run's starting level. */
function firstValues(steps: readonly StepPoint[], value: (p: StepPoint) => number | undefined): number[] {
  const finite = steps.map(value).filter((v): v is number => v !== undefined && Number.isFinite(v));
  return finite.slice(0, Math.max(1, Math.ceil(finite.length / 20)));
}

/** The y axis of `values`: log when positive over more than two decades; clipped when a run diverged. */
export function yAxis(
  values: readonly number[],
  first: readonly number[],
): { log: boolean; domain?: [number, number]; clipped?: { above: number; largest: number } } {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { log: false };
  const sorted = [...finite].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const start = Math.max(0, ...first.map(Math.abs));
  const level = start > 0 ? start : Math.abs(median);
  const largest = Math.max(...finite.map(Math.abs));
  const positive = sorted[0] > 0;
  if (level > 0 && largest > DIVERGED * level) {
    const cap = CLIP_AXIS * level;
    const shown = finite.filter((v) => Math.abs(v) <= cap);
    const lo = Math.min(...shown);
    const log = positive && cap / lo > 100;
    const bottom = positive ? lo : Math.max(lo, -cap);
    return {
      log,
      domain: [bottom, cap],
      clipped: { above: cap, largest },
    };
  }
  return { log: positive && sorted[sorted.length - 1] / sorted[0] > 100 };
}

const short = (v: number) => Number(v.toPrecision(3)).toString();

function lineChart(
  title: string,
  what: string,
  rows: readonly Row[],
  colours: { domain: string[]; range: string[] },
  first: readonly number[],
  notes: string[],
): TopLevelSpec {
  const axis = yAxis(
    rows.map((r) => r.value),
    first,
  );
  if (axis.clipped)
    notes.push(
      `the run diverged: values above ${short(axis.clipped.above)} are drawn at the top edge (the largest is ${short(axis.clipped.largest)})`,
    );
  const scale = axis.log
    ? { type: 'log' as const, ...(axis.domain ? { domain: axis.domain, clamp: true } : {}) }
    : { zero: false, ...(axis.domain ? { domain: axis.domain, clamp: true, nice: true } : {}) };
  const present = colours.domain.filter((s) => rows.some((r) => r.split === s));
  const layer = (kind: Row['kind'], mark: Record<string, unknown>) => ({
    transform: [{ filter: `datum.kind === '${kind}'` }],
    mark: { type: 'line', clip: true, ...mark },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: notes },
    width: 480,
    height: 280,
    data: { values: rows as unknown as Record<string, unknown>[] },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'value', type: 'quantitative', title: what, scale },
      color: {
        field: 'split',
        type: 'nominal',
        title: null,
        legend: { symbolType: 'stroke', symbolOpacity: 1, symbolStrokeWidth: 2 },
        scale: {
          domain: present,
          range: present.map((s) => colours.range[colours.domain.indexOf(s)]),
        },
      },
    },
    layer: [
      layer('raw', { opacity: 0.25, strokeWidth: 1 }),
      layer('smoothed', { strokeWidth: 2 }),
      layer('evaluation', { strokeWidth: 1.5, strokeDash: [4, 3], point: { size: 30 } }),
    ],
  } as TopLevelSpec;
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** A page that shows every chart of the run, in order. */
function indexHtml(run: PlotInput, charts: readonly Chart[]): string {
  const last = run.steps.at(-1);
  const figures = charts.map(
    (c) =>
      `<figure><img src="${escapeHtml(encodeURIComponent(c.file))}" alt="${escapeHtml(c.file)}"><figcaption>${escapeHtml(c.file)}</figcaption></figure>`,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(run.model)}: charts</title>
<style>body { font-family: system-ui, sans-serif; margin: 1.5em; } figure { display: inline-block; margin: 0 1em 1.5em 0; vertical-align: top; } figcaption { color: #555; font-size: 0.85em; } img { max-width: 100%; }</style>
</head>
<body>
<h1>${escapeHtml(run.model)}</h1>
<p>${last ? `${last.step} steps` : 'no steps'}, ${run.evals.length} evaluations; ${charts.length} charts.</p>
${figures.join('\n')}
</body>
</html>
`;
}

/** Vega (not Vega-Lite, which has no contours): isocontours of a loss grid, the path on top. */
function pathChart(run: PlotInput): vega.Spec {
  const { coords, path, lossAt } = run.landscape!;
  const [x0, x1] = paddedRange(path.map((p) => p[0]));
  const [y0, y1] = paddedRange(path.map((p) => p[1]));
  const size = 420;
  // Cell (i, j) of d3-contour's grid spans pixels [i, i+1] × [j, j+1] with rows from the top, so
  // sample at cell centres and the top row at the largest y.
  const grid = new Array<number>(GRID * GRID);
  for (let j = 0; j < GRID; j++)
    for (let i = 0; i < GRID; i++)
      grid[j * GRID + i] = lossAt(x0 + ((i + 0.5) * (x1 - x0)) / GRID, y1 - ((j + 0.5) * (y1 - y0)) / GRID);
  const thresholds = contourLevels(grid);
  const points = thinned(path, MAX_MARKERS * 10).map(([x, y], k) => ({ k, x, y }));
  const ends = [
    { x: path[0][0], y: path[0][1], label: 'start' },
    { x: path[path.length - 1][0], y: path[path.length - 1][1], label: 'end' },
  ];
  const marks: vega.Mark[] = [
    {
      type: 'path',
      name: 'contour-lines',
      from: { data: 'contours' },
      encode: {
        enter: {
          stroke: { scale: 'color', field: 'contour.value' },
          strokeWidth: { value: 1 },
          fill: { value: 'transparent' },
        },
      },
      transform: [{ type: 'geopath', field: 'datum.contour' }],
    },
    {
      type: 'line',
      name: 'path-line',
      from: { data: 'path' },
      encode: {
        enter: {
          x: { scale: 'x', field: 'x' },
          y: { scale: 'y', field: 'y' },
          stroke: { value: '#d62728' },
          strokeWidth: { value: 1.5 },
        },
      },
    },
    {
      type: 'symbol',
      name: 'end-points',
      from: { data: 'ends' },
      encode: {
        enter: {
          x: { scale: 'x', field: 'x' },
          y: { scale: 'y', field: 'y' },
          shape: { signal: "datum.label === 'start' ? 'circle' : 'cross'" },
          size: { value: 80 },
          fill: { value: '#000' },
        },
      },
    },
  ];
  if (path.length <= MAX_MARKERS) {
    marks.splice(2, 0, {
      type: 'symbol',
      name: 'step-points',
      from: { data: 'path' },
      encode: {
        enter: {
          x: { scale: 'x', field: 'x' },
          y: { scale: 'y', field: 'y' },
          size: { value: 12 },
          fill: { value: '#d62728' },
        },
      },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    width: size,
    height: size,
    padding: 5,
    autosize: 'pad',
    title: { text: `${run.model}: optimiser path over loss contours (${path.length - 1} steps)` },
    data: [
      {
        name: 'grid',
        values: [{ width: GRID, height: GRID, values: grid }],
        transform: [{ type: 'isocontour', thresholds, scale: [size / GRID, size / GRID] }],
      },
      { name: 'contours', source: 'grid' },
      { name: 'path', values: points },
      { name: 'ends', values: ends },
    ],
    scales: [
      { name: 'x', type: 'linear', domain: [x0, x1], range: 'width', zero: false, nice: false },
      { name: 'y', type: 'linear', domain: [y0, y1], range: 'height', zero: false, nice: false },
      { name: 'color', type: 'ordinal', domain: thresholds, range: { scheme: 'viridis', count: LEVELS } },
    ],
    axes: [
      { scale: 'x', orient: 'bottom', title: coords[0].label },
      { scale: 'y', orient: 'left', title: coords[1].label },
    ],
    marks,
  } as vega.Spec;
}

/** The range of `v` with 15% on each side (±1 around a constant). */
function paddedRange(v: readonly number[]): [number, number] {
  const finite = v.filter(Number.isFinite);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const pad = hi > lo ? 0.15 * (hi - lo) : 1;
  return [lo - pad, hi + pad];
}

/**
 * Contour levels at quantiles of the grid's values, denser towards the minimum (q = (k/(L+1))²):
 * evenly spaced levels would put every line on the steep walls of a ravine and none in its floor.
 */
function contourLevels(grid: readonly number[]): number[] {
  const sorted = grid.filter(Number.isFinite).sort((a, b) => a - b);
  const levels = new Set<number>();
  for (let k = 1; k <= LEVELS; k++) {
    const q = (k / (LEVELS + 1)) ** 2;
    levels.add(Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toPrecision(4)));
  }
  return [...levels].sort((a, b) => a - b);
}

/** At most `max` points, evenly spaced, the first and last always kept. */
function thinned<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const stride = (points.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => points[Math.round(i * stride)]);
}

/**
 * The renderer, run in a child Node process: reads `{ vega, vegaLite, charts }` (module paths and
 * specs) as JSON on stdin and prints the SVGs as a JSON array. Vega renders asynchronously
 * (`View.toSVG()`) and its modules hold top-level awaits, so they cannot be loaded or run from
 * the synchronous CLI in this process; a child keeps the CLI synchronous and keeps vega's
 * second-long load out of every command that does not plot.
 */
const RENDERER = `
const input = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
(async () => {
  const vega = await import(input.vega);
  const vl = await import(input.vegaLite);
  const out = [];
  for (const c of input.charts) {
    const spec = c.lite ? vl.compile(c.lite).spec : c.vega;
    const view = new vega.View(vega.parse(spec), { renderer: 'none' });
    out.push(await view.toSVG());
    view.finalize();
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => {
  process.stderr.write(String(e && e.message ? e.message : e));
  process.exit(1);
});
`;

/** Renders charts to SVG strings, with vega in Node (no browser), in one child process. */
export function renderSvgs(charts: readonly Chart[]): string[] {
  if (charts.length === 0) return [];
  const require = createRequire(import.meta.url);
  const module = (name: string) => pathToFileURL(require.resolve(name)).href;
  try {
    const out = execFileSync(process.execPath, ['-e', RENDERER], {
      input: JSON.stringify({ vega: module('vega'), vegaLite: module('vega-lite'), charts }),
      maxBuffer: 1 << 30,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return JSON.parse(out.toString('utf8')) as string[];
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new GradusError(diagnostic('E0920', `cannot render the charts: ${stderr || (e as Error).message}`));
  }
}

/**
 * The two scalar coordinates of a model whose params (given by shape) hold exactly two numbers
 * in total (one 2-vector, or two scalars), or undefined for any other model.
 */
export function twoCoordinates(
  shapes: Readonly<Record<string, readonly number[]>>,
): [Coordinate, Coordinate] | undefined {
  const coords: Coordinate[] = [];
  for (const [name, shape] of Object.entries(shapes)) {
    const size = shape.reduce((a, b) => a * b, 1);
    // More than two numbers in all: no need to list them.
    if (coords.length + size > 2) return undefined;
    for (let i = 0; i < size; i++)
      coords.push({ param: name, index: i, label: shape.length === 0 ? name : `${name}[${i}]` });
  }
  return coords.length === 2 ? [coords[0], coords[1]] : undefined;
}

/**
 * The loss of `evalGraph` as a function of two coordinates, every other variable at the values
 * given and the data fixed (the first rows, up to `maxRows`), compiled once on `backend`.
 */
export function lossSurface(
  evalGraph: Graph,
  backend: Backend,
  opts: {
    readonly dtype: 'f32' | 'f64';
    readonly seed: number;
    readonly variables: Readonly<Record<string, Tensor>>;
    readonly feeds: Readonly<Record<string, Tensor>>;
    readonly coords: readonly [Coordinate, Coordinate];
  },
): (x: number, y: number) => number {
  const exe = backend.compile(evalGraph, { dtype: opts.dtype, seed: opts.seed, outputs: ['loss'] });
  for (const name of exe.variables) if (opts.variables[name]) exe.write(name, opts.variables[name]);
  const values: Record<string, Tensor> = Object.create(null);
  for (const c of opts.coords)
    values[c.param] ??= { ...opts.variables[c.param], data: Float64Array.from(opts.variables[c.param].data) };
  return (x, y) => {
    const [a, b] = opts.coords;
    values[a.param].data[a.index] = x;
    values[b.param].data[b.index] = y;
    return exe.run({ ...opts.feeds, ...values }).loss.data[0];
  };
}
