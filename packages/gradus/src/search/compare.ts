/**
 * `gradus compare RUN…`: several runs side by side — one chart per logged quantity with every
 * run overlaid (each run's raw values drawn faintly, an exponential moving average on top), the
 * runs labelled by what differs between their settings (`lr=0.01` vs `lr=0.02`), and a table of
 * how each run ended.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { diagnostic, GradusError } from '@gradus/autodiff';
import { type Chart, emaSmooth } from '@gradus/optim';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** One run as compare reads it: its settings and its log. */
export interface ComparedRun {
  readonly dir: string;
  readonly settings: Readonly<Record<string, unknown>>;
  /** Per step: the step number and each logged number (loss, lr, grad_norm, metrics). */
  readonly steps: readonly Readonly<Record<string, number>>[];
  /** Per evaluation: the split and its numbers. */
  readonly evals: readonly { readonly split: string; readonly values: Readonly<Record<string, number>> }[];
}

const compareError = (message: string, hint?: string) =>
  new GradusError(diagnostic('E0964', message, hint === undefined ? {} : { hint }));

/**
 * A run's settings: its `settings.json`, else the settings its checkpoint records (a checkpoint
 * directory of an earlier version, trained with `--checkpoint DIR --log DIR/log.jsonl`).
 */
function readSettings(dir: string): Record<string, unknown> {
  for (const [file, pick] of [
    ['settings.json', (j: { settings?: Record<string, unknown> }) => j.settings],
    ['checkpoint.json', (j: { settings?: Record<string, unknown> }) => j.settings],
  ] as const) {
    let text: string;
    try {
      text = readFileSync(join(dir, file), 'utf8');
    } catch {
      continue;
    }
    try {
      return pick(JSON.parse(text)) ?? {};
    } catch {
      throw compareError(`the ${file} of ${dir} is not valid JSON`);
    }
  }
  throw compareError(
    `${dir} is not a run directory: it has neither settings.json nor checkpoint.json`,
    'compare the run directories `gradus train` writes (runs/<model>/<n>, or --run-dir DIR)',
  );
}

/** Reads a run directory's settings and `log.jsonl`. */
export function readComparedRun(dir: string, given?: Readonly<Record<string, unknown>>): ComparedRun {
  let settings: Record<string, unknown>;
  if (given) settings = { ...given };
  else settings = readSettings(dir);
  let text: string;
  try {
    text = readFileSync(join(dir, 'log.jsonl'), 'utf8');
  } catch {
    throw compareError(`the run ${dir} has no log.jsonl`);
  }
  const steps: Record<string, number>[] = [];
  const evals: { split: string; values: Record<string, number> }[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // A line cut short by a crash: the rest of the log still compares.
    }
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(row)) if (typeof v === 'number') values[k] = v;
    if (typeof row.eval === 'string') evals.push({ split: row.eval, values });
    else if (typeof row.step === 'number') steps.push(values);
  }
  return { dir, settings, steps, evals };
}

/** `adam(lr = 0.01, beta1 = 0.9)` → name and top-level arguments. */
function callParts(text: string): { name: string; args: Map<string, string> } | undefined {
  const m = /^([A-Za-z_]\w*)\((.*)\)$/s.exec(text.trim());
  if (!m) return undefined;
  const args = new Map<string, string>();
  let depth = 0;
  let current = '';
  const flush = () => {
    const eq = current.indexOf('=');
    if (eq > 0) args.set(current.slice(0, eq).trim(), current.slice(eq + 1).trim());
    current = '';
  };
  for (const ch of m[2]) {
    if (ch === '(' || ch === '[') depth++;
    if (ch === ')' || ch === ']') depth--;
    if (ch === ',' && depth === 0) flush();
    else current += ch;
  }
  flush();
  return { name: m[1], args };
}

/** Settings that say where or when a run happened, not how it trained. */
const NOT_A_DIFFERENCE = new Set(['file', 'created']);

/**
 * A label per run naming what differs between the runs: a setting's value (`batch=64`), an
 * optimiser or schedule argument (`lr=0.01`), or the optimiser's name. Runs that differ in
 * nothing are labelled by their directory.
 */
export function runLabels(runs: readonly ComparedRun[]): string[] {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.settings)))]
    .filter((k) => !NOT_A_DIFFERENCE.has(k))
    .sort();
  const parts: string[][] = runs.map(() => []);
  for (const key of keys) {
    const values = runs.map((r) => r.settings[key]);
    if (values.every((v) => JSON.stringify(v) === JSON.stringify(values[0]))) continue;
    const calls = values.map((v) => (typeof v === 'string' ? callParts(v) : undefined));
    if (calls.every((c) => c !== undefined)) {
      const cs = calls as { name: string; args: Map<string, string> }[];
      if (cs.some((c) => c.name !== cs[0].name))
        cs.forEach((c, i) => {
          parts[i].push(c.name);
        });
      const argNames = [...new Set(cs.flatMap((c) => [...c.args.keys()]))];
      for (const a of argNames) {
        const vs = cs.map((c) => c.args.get(a));
        if (vs.every((v) => v === vs[0])) continue;
        vs.forEach((v, i) => {
          if (v !== undefined) parts[i].push(`${a}=${v}`);
        });
      }
    } else
      values.forEach((v, i) => {
        parts[i].push(`${key}=${v === null ? 'none' : String(v)}`);
      });
  }
  const labels = parts.map((p, i) => (p.length > 0 ? p.join(' ') : basename(runs[i].dir)));
  // Two runs with the same label (same settings) still need telling apart.
  return labels.map((l, i) =>
    labels.indexOf(l) !== i || labels.lastIndexOf(l) !== i ? `${l} (${basename(runs[i].dir)})` : l,
  );
}

const MAX_POINTS = 1500;

/** One chart per quantity: training steps (raw faint, smoothed on top) and evaluations per split. */
export function compareCharts(runs: readonly ComparedRun[], labels: readonly string[]): Chart[] {
  const quantities = new Set<string>();
  for (const r of runs)
    for (const s of r.steps)
      for (const k of Object.keys(s)) if (k !== 'step' && k !== 'epoch') quantities.add(k);
  const evalQuantities = new Set<string>();
  for (const r of runs)
    for (const e of r.evals)
      for (const k of Object.keys(e.values))
        if (k !== 'step' && k !== 'epoch' && k !== 'plateau_scale') evalQuantities.add(k);
  const charts: Chart[] = [];
  for (const q of [...quantities].sort()) {
    const rows: { step: number; value: number; run: string; kind: string }[] = [];
    runs.forEach((r, i) => {
      const points = r.steps.filter((s) => Number.isFinite(s[q]));
      const every = Math.max(1, Math.ceil(points.length / MAX_POINTS));
      const smoothed = emaSmooth(points.map((s) => s[q]));
      points.forEach((s, j) => {
        if (j % every !== 0 && j !== points.length - 1) return;
        rows.push({ step: s.step, value: s[q], run: labels[i], kind: 'raw' });
        rows.push({ step: s.step, value: smoothed[j], run: labels[i], kind: 'smoothed' });
      });
    });
    if (rows.length > 0) charts.push(lineChart(`${q}.svg`, `training ${q} (smoothed; raw faint)`, q, rows));
  }
  for (const q of [...evalQuantities].sort()) {
    const rows: { step: number; value: number; run: string; kind: string }[] = [];
    runs.forEach((r, i) => {
      for (const e of r.evals)
        if (Number.isFinite(e.values[q]))
          rows.push({
            step: e.values.step,
            value: e.values[q],
            run: `${labels[i]} · ${e.split}`,
            kind: 'smoothed',
          });
    });
    if (rows.length > 0) charts.push(lineChart(`eval_${q}.svg`, `evaluation ${q}`, q, rows));
  }
  return charts;
}

function lineChart(
  file: string,
  title: string,
  what: string,
  rows: readonly { step: number; value: number; run: string; kind: string }[],
): Chart {
  const values = rows.map((r) => r.value).filter(Number.isFinite);
  const positive = values.length > 0 && values.every((v) => v > 0);
  const log = positive && Math.max(...values) / Math.min(...values) > 100;
  const y = {
    field: 'value',
    type: 'quantitative' as const,
    title: what,
    scale: log ? { type: 'log' as const } : { zero: false },
  };
  return {
    file,
    lite: {
      $schema: SCHEMA,
      title,
      width: 520,
      height: 300,
      data: { values: rows as unknown as Record<string, unknown>[] },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step' },
        y,
        color: { field: 'run', type: 'nominal', title: null, legend: { labelLimit: 360 } },
      },
      layer: [
        {
          transform: [{ filter: "datum.kind === 'raw'" }],
          mark: { type: 'line', opacity: 0.25, strokeWidth: 1 },
        },
        { transform: [{ filter: "datum.kind === 'smoothed'" }], mark: { type: 'line', strokeWidth: 2 } },
      ],
    },
  };
}

/** How each run ended: its last training loss and its last evaluation per split. */
export function compareTable(runs: readonly ComparedRun[], labels: readonly string[]) {
  return runs.map((r, i) => {
    const last = r.steps.at(-1);
    const evals: Record<string, Record<string, number>> = {};
    for (const e of r.evals) evals[e.split] = e.values;
    return { run: r.dir, label: labels[i], steps: last?.step ?? 0, loss: last?.loss ?? null, evals };
  });
}
