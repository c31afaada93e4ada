/**
 * A search's charts: the objective against each searched name (a log axis for log-uniform
 * names, as the lectures draw learning-rate searches), and every trial as one line across all
 * names (parallel coordinates), coloured by its objective.
 */
import type { Chart, SearchSpace } from '@gradus/optim';
import type { TrialRecord } from './trials.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export const SEARCH_CHARTS = { parallel: 'parallel.svg' } as const;
export const scatterFile = (name: string): string => `objective_vs_${name.replace(/[^\w.-]/g, '_')}.svg`;

function objectiveOf(t: TrialRecord): number | undefined {
  return t.status === 'ok' && t.loss !== null && Number.isFinite(t.loss) ? t.loss : undefined;
}

/** One scatter per searched name; failed trials are drawn at the top edge, as crosses. */
function scatter(model: string, space: SearchSpace, name: string, trials: readonly TrialRecord[]): Chart {
  const entry = space.find((e) => e.name === name);
  const log = entry?.dist.kind === 'loguniform';
  const numeric = trials.every((t) => typeof t.params[name] === 'number');
  const finite = trials.map(objectiveOf).filter((v): v is number => v !== undefined);
  const top = finite.length > 0 ? Math.max(...finite) : 1;
  const positive = finite.length > 0 && finite.every((v) => v > 0);
  const logY = positive && Math.max(...finite) / Math.min(...finite) > 100;
  const rows = trials.map((t) => ({
    value: t.params[name],
    objective: objectiveOf(t) ?? top,
    status: t.status,
    trial: t.index,
  }));
  return {
    file: scatterFile(name),
    lite: {
      $schema: SCHEMA,
      title: `${model}: objective vs ${name}`,
      width: 420,
      height: 260,
      data: { values: rows },
      mark: { type: 'point', filled: true, size: 60 },
      encoding: {
        x: {
          field: 'value',
          type: numeric ? 'quantitative' : 'nominal',
          title: name,
          ...(numeric ? { scale: log ? { type: 'log' } : { zero: false } } : {}),
        },
        y: {
          field: 'objective',
          type: 'quantitative',
          title: 'objective (loss)',
          scale: logY ? { type: 'log' } : { zero: false },
        },
        color: {
          field: 'status',
          type: 'nominal',
          title: 'status',
          scale: { domain: ['ok', 'diverged', 'nan', 'failed'] },
        },
        shape: { field: 'status', type: 'nominal', legend: null },
        tooltip: [{ field: 'trial' }, { field: 'value' }, { field: 'objective' }],
      },
    },
  };
}

/**
 * Parallel coordinates: each numeric name scaled to [0, 1] over its searched range (in log
 * space for log-uniform names), the objective last; one line per successful trial.
 */
function parallel(model: string, space: SearchSpace, trials: readonly TrialRecord[]): Chart {
  const axes: { name: string; at: (t: TrialRecord) => number | undefined }[] = [];
  for (const e of space) {
    const d = e.dist;
    if (d.kind === 'choice' || d.kind === 'grid') {
      const values = d.values;
      axes.push({
        name: e.name,
        at: (t) => (values.length > 1 ? values.indexOf(t.params[e.name]) / (values.length - 1) : 0.5),
      });
    } else {
      const log = d.kind === 'loguniform';
      const f = (x: number) => (log ? Math.log(x) : x);
      axes.push({
        name: e.name,
        at: (t) => (f(t.params[e.name] as number) - f(d.low)) / (f(d.high) - f(d.low)),
      });
    }
  }
  const ok = trials.filter((t) => objectiveOf(t) !== undefined);
  const losses = ok.map((t) => objectiveOf(t) as number);
  const lo = Math.min(...losses);
  const hi = Math.max(...losses);
  axes.push({
    name: 'objective',
    at: (t) => (hi > lo ? ((objectiveOf(t) as number) - lo) / (hi - lo) : 0.5),
  });
  const rows = ok.flatMap((t) =>
    axes.map((a, i) => ({
      trial: t.index,
      axis: a.name,
      order: i,
      position: a.at(t),
      objective: objectiveOf(t),
    })),
  );
  return {
    file: SEARCH_CHARTS.parallel,
    lite: {
      $schema: SCHEMA,
      title: `${model}: trials across the searched names (scaled to their ranges)`,
      width: Math.max(320, 120 * axes.length),
      height: 260,
      data: { values: rows },
      mark: { type: 'line', opacity: 0.7 },
      encoding: {
        x: { field: 'axis', type: 'nominal', sort: axes.map((a) => a.name), title: null },
        y: { field: 'position', type: 'quantitative', title: 'low → high', scale: { domain: [0, 1] } },
        detail: { field: 'trial', type: 'nominal' },
        color: { field: 'objective', type: 'quantitative', scale: { scheme: 'viridis', reverse: true } },
        order: { field: 'order', type: 'quantitative' },
      },
    },
  };
}

/** Every chart of a search, ready for `renderSvgs`. */
export function searchCharts(model: string, space: SearchSpace, trials: readonly TrialRecord[]): Chart[] {
  const charts = space.map((e) => scatter(model, space, e.name, trials));
  if (trials.some((t) => objectiveOf(t) !== undefined)) charts.push(parallel(model, space, trials));
  return charts;
}
