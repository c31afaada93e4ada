/**
 * A search's trials as they are recorded (one JSON line each in `trials.jsonl`) and reported:
 * the table sorted by the objective, and the best settings as flags ready to paste.
 */
import type { SearchSpace, SpaceValue, TrialParams } from '@gradus/optim';

/** How a trial ended: a finite objective, a divergence stop, a NaN/∞ stop, or an error. */
export type TrialStatus = 'ok' | 'diverged' | 'nan' | 'failed';

export interface TrialRecord {
  /** 0-based over the whole search (a refinement round continues the numbering). */
  readonly index: number;
  /** 0 for the coarse round, 1 for `--refine`'s finer one. */
  readonly round: number;
  readonly params: TrialParams;
  readonly status: TrialStatus;
  /** The objective: the last evaluation's loss on the validation split, else the training loss. */
  readonly loss: number | null;
  /** Which loss `loss` is: `validation`, `train` (evaluated) or `training batches`. */
  readonly objective: string;
  readonly metrics: Readonly<Record<string, number>>;
  readonly steps: number;
  readonly message?: string;
  /** The `gradus train` flags that reproduce the trial. */
  readonly flags: string;
  /** The trial's run directory, relative to the search directory. */
  readonly run: string;
  readonly seconds: number;
  /** Times the queue gave this trial to another worker after one died (queue searches). */
  readonly retries?: number;
}

/** Best first; trials without a finite objective last, in index order. */
export function rankTrials(trials: readonly TrialRecord[]): TrialRecord[] {
  const score = (t: TrialRecord) =>
    t.status === 'ok' && t.loss !== null && Number.isFinite(t.loss) ? t.loss : Infinity;
  return [...trials].sort((a, b) => score(a) - score(b) || a.index - b.index);
}

function formatValue(v: SpaceValue | number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(4) : v.toExponential(3);
}

/** The sorted table of a search, one row per trial. */
export function trialTable(space: SearchSpace, trials: readonly TrialRecord[]): string {
  const names = space.map((e) => e.name);
  const metricNames = [...new Set(trials.flatMap((t) => Object.keys(t.metrics)))].sort();
  const head = ['#', ...names, 'loss', ...metricNames, 'status'];
  const rows = rankTrials(trials).map((t) => [
    String(t.index),
    ...names.map((n) => formatValue(t.params[n])),
    formatValue(t.loss),
    ...metricNames.map((m) => formatValue(t.metrics[m])),
    t.status === 'ok' ? 'ok' : `${t.status}${t.message ? `: ${t.message.split('\n')[0].slice(0, 60)}` : ''}`,
  ]);
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (i === r.length - 1 ? 0 : r[i].length))),
  );
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

/**
 * The flags of `gradus train` that reproduce a trial: its hypers as `--hyper`, train settings as
 * `--set`, and the whole optimiser and schedule calls when the trial changed them.
 */
export function reproduceFlags(
  params: TrialParams,
  kinds: ReadonlyMap<string, { readonly kind: string }>,
  calls: { readonly optimizer?: string; readonly schedule?: string },
): string {
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const parts: string[] = [];
  let optimizer = false;
  let schedule = false;
  for (const [name, value] of Object.entries(params)) {
    const text = typeof value === 'number' ? String(value) : value;
    const kind = kinds.get(name)?.kind;
    if (kind === 'hyper') parts.push(`--hyper ${name}=${text}`);
    else if (kind === 'setting') parts.push(`--set ${name}=${text}`);
    else if (kind === 'optimizer' || kind === 'optimizer-arg') optimizer = true;
    else if (kind === 'schedule' || kind === 'schedule-arg') schedule = true;
  }
  if (optimizer && calls.optimizer) parts.push(`--optimizer ${quote(calls.optimizer)}`);
  if (schedule && calls.schedule) parts.push(`--schedule ${quote(calls.schedule)}`);
  return parts.join(' ');
}
