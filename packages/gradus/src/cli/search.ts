import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diagnostic, GradusError } from '@gradus/autodiff';
import { parseSpace, renderSvgs } from '@gradus/optim';
import { searchCharts } from '../search/charts.js';
import { compareCharts, compareTable, readComparedRun, runLabels } from '../search/compare.js';
import { runPool, type TrialOutput } from '../search/pool.js';
import { queueRunner, redisConnection } from '../search/queue.js';
import {
  defaultWorkers,
  openSearch,
  type PlannedTrial,
  planTrials,
  readSearchModel,
  recordTrial,
  refineSpace,
  refusedRecord,
  runsRoot,
  SEARCH_FILES,
  type SearchOptions,
  searchId,
  searchTargets,
  shown,
  trialRecord,
} from '../search/search.js';
import { rankTrials, type TrialRecord, trialTable } from '../search/trials.js';
import { fmt, type Io, table } from './output.js';

export interface SearchCliOptions extends Omit<SearchOptions, 'file'> {
  readonly json?: boolean;
  /** redis://HOST:PORT: the trials go on a BullMQ queue for `gradus worker`s. */
  readonly queue?: string;
  /** A sweep: compare the runs (charts into this directory, or the sweep's) instead of ranking them. */
  readonly compare?: { readonly plot?: string };
}

/** Runs planned trials somewhere (worker threads here, a queue's workers elsewhere). */
export type TrialRunner = (
  plans: readonly PlannedTrial[],
  onDone: (plan: PlannedTrial, output: TrialOutput, retries?: number) => void,
  shouldStop: () => boolean,
) => Promise<void>;

/** The local runner: `workers` threads in this process. */
export function threadRunner(workers: number): TrialRunner {
  return async (plans, onDone, shouldStop) => {
    const byId = new Map(plans.map((p) => [p.index, p]));
    await runPool(
      plans.map((p) => ({ id: p.index, argv: p.argv })),
      workers,
      (r) => onDone(byId.get(r.id) as PlannedTrial, r),
      shouldStop,
    );
  };
}

const describeParams = (t: TrialRecord) =>
  Object.entries(t.params)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : v}`)
    .join(' ');

/**
 * `gradus search FILE --space NAME=DIST … [--trials K] [--workers W] [--seed S] [--refine]`.
 * Exit 0 when at least one trial succeeded, 1 when none did (the table says why).
 */
export async function searchCommand(
  file: string,
  opts: SearchCliOptions,
  io: Io,
  runner?: TrialRunner,
): Promise<number> {
  const model = readSearchModel(file);
  const space = parseSpace(opts.space);
  const targets = searchTargets(model, space);
  if (opts.queue) redisConnection(opts.queue);
  const { dir, manifest, done } = openSearch({ ...opts, file }, model, runsRoot());
  const say = (t: string) => {
    if (!opts.json) io.out(t);
  };
  const run =
    runner ??
    (opts.queue
      ? queueRunner(
          opts.queue,
          searchId(dir, manifest),
          dir,
          { name: model.name, file: model.file, text: model.text, hash: model.hash },
          say,
        )
      : threadRunner(opts.workers ?? defaultWorkers()));
  say(
    `search: ${shown(dir, '')} (${manifest.trials} trials${manifest.refine ? ' + a finer round' : ''}, seed ${manifest.seed})`,
  );

  const records = new Map<number, TrialRecord>(done.map((t) => [t.index, t]));
  let interrupted = 0;
  const onSigint = () => {
    interrupted++;
    if (interrupted === 1) io.err('interrupted: finishing the running trials (Ctrl-C again to stop at once)');
    else process.exit(130);
  };
  process.on('SIGINT', onSigint);
  const total = manifest.trials * (manifest.refine ? 2 : 1);
  const runRound = async (round: number, roundSpace: typeof space) => {
    const from = round * manifest.trials;
    const plans = planTrials(model, roundSpace, targets, {
      seed: manifest.seed,
      from,
      count: manifest.trials,
      round,
      dir,
      trainArgs: manifest.trainArgs,
    })
      .filter((p) => !records.has(p.index))
      // A trial cut off by a crash left a partial run directory: it runs again from the start.
      .map((p) =>
        p.argv.length > 0 && existsSync(join(dir, p.run)) ? { ...p, argv: [...p.argv, '--overwrite'] } : p,
      );
    const finish = (t: TrialRecord) => {
      records.set(t.index, t);
      recordTrial(dir, t);
      const result =
        t.status === 'ok'
          ? `${t.objective} loss ${fmt(t.loss as number)}`
          : `${t.status}${t.message ? `: ${t.message.split('\n')[0]}` : ''}`;
      say(`trial ${t.index + 1}/${total}: ${describeParams(t)} → ${result}`);
    };
    for (const p of plans) if (p.refused !== undefined) finish(refusedRecord(p));
    await run(
      plans.filter((p) => p.refused === undefined),
      (plan, output, retries) => {
        const t = trialRecord(plan, output);
        finish(retries ? { ...t, retries } : t);
      },
      () => interrupted > 0,
    );
  };
  try {
    await runRound(0, space);
    if (manifest.refine && interrupted === 0) {
      const coarse = [...records.values()].filter((t) => t.round === 0);
      const fine = refineSpace(
        space,
        coarse.map((t) => ({
          params: t.params,
          ...(t.loss !== null && t.status === 'ok' ? { objective: t.loss } : {}),
        })),
      );
      await runRound(1, fine);
    }
  } finally {
    process.off('SIGINT', onSigint);
  }

  const trials = rankTrials([...records.values()]);
  if (opts.compare) return finishSweep(dir, trials, opts, io, interrupted > 0);
  const charts = searchCharts(model.name, space, trials);
  const svgs = renderSvgs(charts);
  charts.forEach((c, i) => {
    writeFileSync(join(dir, c.file), svgs[i]);
  });
  const best = trials.find((t) => t.status === 'ok' && t.loss !== null);
  const bestFlags = best?.flags ?? '';
  if (best)
    writeFileSync(
      join(dir, SEARCH_FILES.best),
      `${JSON.stringify({ ...best, flags: bestFlags }, null, 2)}\n`,
    );
  if (opts.json) {
    io.out(
      JSON.stringify({
        dir,
        trials: trials.map((t) => ({
          params: t.params,
          loss: t.loss,
          metrics: t.metrics,
          status: t.status,
          run: join(dir, t.run),
          ...(t.message ? { message: t.message } : {}),
          ...(t.retries ? { retries: t.retries } : {}),
        })),
        best: best
          ? {
              params: best.params,
              loss: best.loss,
              metrics: best.metrics,
              run: join(dir, best.run),
              flags: bestFlags,
            }
          : null,
        ...(interrupted > 0 ? { interrupted: true } : {}),
      }),
    );
  } else {
    io.out(trialTable(space, trials));
    if (best)
      io.out(
        `best: trial ${best.index} (${best.objective} loss ${fmt(best.loss as number)}): gradus train ${file} ${bestFlags}`,
      );
    else io.out('no trial succeeded');
    io.out(`charts: ${charts.map((c) => c.file).join(', ')}`);
    io.out(`search: ${shown(dir, '')}`);
  }
  if (interrupted > 0) {
    io.err(
      `interrupted after ${records.size} of ${total} trials; resume with: gradus search ${file} ${opts.space.map((s) => `--space '${s}'`).join(' ')} --trials ${manifest.trials} --seed ${manifest.seed}${manifest.refine ? ' --refine' : ''} --dir ${shown(dir, '')} --resume`,
    );
    return 130;
  }
  return best ? 0 : 1;
}

/** The end of a sweep: its runs compared (charts and table) rather than ranked. */
function finishSweep(
  dir: string,
  trials: readonly TrialRecord[],
  opts: SearchCliOptions,
  io: Io,
  interrupted: boolean,
): number {
  const ran = [...trials]
    .sort((a, b) => a.index - b.index)
    .filter((t) => existsSync(join(dir, t.run, 'log.jsonl')));
  const runs = ran.map((t) => readComparedRun(join(dir, t.run), t.params));
  const labels = runLabels(runs);
  const plot = opts.compare?.plot ?? dir;
  mkdirSync(plot, { recursive: true });
  const charts = compareCharts(runs, labels);
  const svgs = renderSvgs(charts);
  charts.forEach((c, i) => {
    writeFileSync(join(plot, c.file), svgs[i]);
  });
  const rows = compareTable(runs, labels);
  const byRun = new Map(ran.map((t, i) => [t, rows[i]] as const));
  if (opts.json) {
    io.out(
      JSON.stringify({
        dir,
        runs: [...trials]
          .sort((a, b) => a.index - b.index)
          .map((t) => ({
            params: t.params,
            status: t.status,
            loss: t.loss,
            run: join(dir, t.run),
            ...(byRun.get(t) ? { label: byRun.get(t)?.label, evals: byRun.get(t)?.evals } : {}),
            ...(t.message ? { message: t.message } : {}),
          })),
        charts: charts.map((c) => join(plot, c.file)),
      }),
    );
  } else {
    io.out(
      table([
        ['run', 'status', 'steps', 'training loss'],
        ...[...trials]
          .sort((a, b) => a.index - b.index)
          .map((t) => [
            byRun.get(t)?.label ?? describeParams(t),
            t.status,
            String(t.steps),
            t.loss === null ? '-' : fmt(t.loss),
          ]),
      ]),
    );
    io.out(`charts: ${charts.map((c) => join(plot, c.file)).join(', ')}`);
    io.out(`sweep: ${shown(dir, '')}`);
  }
  return interrupted ? 130 : 0;
}

export interface SweepCliOptions extends Omit<SearchCliOptions, 'space' | 'compare' | 'trials' | 'refine'> {
  /** `lr=0.001,0.005,0.01` texts. */
  readonly setEach: readonly string[];
  readonly plot?: string;
}

/** `--set-each lr=0.001,0.005` as the search space `lr=grid(0.001, 0.005)`. */
export function sweepSpace(setEach: readonly string[]): string[] {
  return setEach.map((text) => {
    const eq = text.indexOf('=');
    if (eq <= 0 || eq === text.length - 1)
      throw new GradusError(
        diagnostic('E0960', `--set-each '${text}': expected NAME=V1,V2,…`, {
          hint: 'e.g. --set-each lr=0.001,0.005,0.01',
        }),
      );
    return `${text.slice(0, eq).trim()}=grid(${text.slice(eq + 1)})`;
  });
}

/** `gradus sweep FILE --set-each NAME=V1,V2,…`: one run per value (per combination), compared. */
export function sweepCommand(file: string, opts: SweepCliOptions, io: Io): Promise<number> {
  const { setEach, plot, ...rest } = opts;
  return searchCommand(file, { ...rest, space: sweepSpace(setEach), compare: plot ? { plot } : {} }, io);
}
