import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
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

/** Train points per chart: longer runs are shown as means of consecutive steps. */
const MAX_POINTS = 1000;
/** Grid resolution of the contour chart. */
const GRID = 80;
/** Step markers on the path only when there are this few (the lectures' zig-zags). */
const MAX_MARKERS = 300;
/** Contour lines drawn. */
const LEVELS = 14;

/** The file names written by `writePlots`, by chart. */
export const PLOT_FILES = { loss: 'loss.svg', path: 'path.svg' } as const;
export const metricPlotFile = (metric: string): string => `${metric.replace(/[^\w.-]/g, '_')}.svg`;

/**
 * Writes SVG charts of a run into `dir`: `loss.svg` and one `<metric>.svg` per metric (training
 * steps against the evaluations) and, when the model has exactly two scalar coordinates,
 * `path.svg`: the optimiser's path over contours of the loss, as in the lectures' figures.
 * Returns the paths written. Rendering is Vega in Node with no browser.
 */
export function writePlots(dir: string, run: PlotInput): string[] {
  const charts: Chart[] = [{ file: PLOT_FILES.loss, lite: seriesChart(run, 'loss', (p) => p.loss) }];
  const metrics = [...new Set([...run.steps, ...run.evals].flatMap((p) => Object.keys(p.metrics)))];
  for (const m of metrics)
    charts.push({ file: metricPlotFile(m), lite: seriesChart(run, m, (p) => p.metrics[m]) });
  if (run.landscape && run.landscape.path.length > 0)
    charts.push({ file: PLOT_FILES.path, vega: pathChart(run) });
  const svgs = renderSvgs(charts);
  try {
    mkdirSync(dir, { recursive: true });
    return charts.map((c, i) => {
      const path = join(dir, c.file);
      const tmp = `${path}.tmp-${process.pid}`;
      guardedWrite(() => {
        writeFileSync(tmp, svgs[i]);
        renameSync(tmp, path);
      });
      return path;
    });
  } catch (e) {
    throw new GradusError(
      diagnostic('E0916', `cannot write charts in ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`),
    );
  }
}

/** A chart to render: a Vega-Lite or a Vega spec. */
export type Chart = { readonly file: string } & (
  | { readonly lite: TopLevelSpec; readonly vega?: undefined }
  | { readonly vega: vega.Spec; readonly lite?: undefined }
);

/** Training steps (window means when long) and evaluations of one quantity, as one line each. */
function seriesChart(
  run: PlotInput,
  what: string,
  value: (p: StepPoint | EvalPoint) => number | undefined,
): TopLevelSpec {
  const rows: { step: number; value: number; series: string }[] = [];
  const train = run.steps.filter((p) => Number.isFinite(value(p)));
  const window = Math.max(1, Math.ceil(train.length / MAX_POINTS));
  // Per-step values are of minibatches in training mode (dropout on); evaluations are of a whole
  // split in evaluation mode, hence the different names even when that split is the training set.
  const trainLabel = window > 1 ? `training batches (mean of ${window})` : 'training batches';
  for (let i = 0; i < train.length; i += window) {
    const chunk = train.slice(i, i + window);
    const mean = chunk.reduce((s, p) => s + (value(p) as number), 0) / chunk.length;
    rows.push({ step: chunk[chunk.length - 1].step, value: mean, series: trainLabel });
  }
  for (const e of run.evals) {
    const v = value(e);
    if (v !== undefined && Number.isFinite(v))
      rows.push({ step: e.step, value: v, series: `${e.split} set, evaluation` });
  }
  const values = rows.map((r) => r.value);
  const positive = values.length > 0 && values.every((v) => v > 0);
  // A loss falling over decades reads best on a log axis; a bounded metric on a linear one.
  const log = positive && Math.max(...values) / Math.min(...values) > 100;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${run.model}: ${what}`,
    width: 480,
    height: 280,
    data: { values: rows },
    mark: { type: 'line', interpolate: 'linear', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: {
        field: 'value',
        type: 'quantitative',
        title: what,
        scale: log ? { type: 'log' } : { zero: false },
      },
      color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 320 } },
    },
  };
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
