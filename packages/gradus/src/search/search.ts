/**
 * `gradus search`: random (and grid) search over hyper-parameters, the lectures' recipe — draw
 * on a log scale, judge each trial on validation data, then search again, finer, around the
 * best. Every trial is a whole `gradus train` run with its own run directory inside the
 * search's directory; the search records each trial as one JSON line as soon as it ends, so an
 * interrupted search resumes with the trials it has not run.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { diagnostic, GradusError } from '@gradus/autodiff';
import { type CallSpec, loadModel, type TrainConfig } from '@gradus/dsl';
import { parseSpace, refineSpace, type SearchSpace, type TrialParams, trialParams } from '@gradus/optim';
import { describeCall } from '../cli/run-config.js';
import {
  allocateNumbered,
  dirName,
  RUN_FILES,
  runsRoot as runsRootOf,
  writeFileAtomic,
} from '../cli/run-dir.js';
import { VERSION } from '../version.js';
import { type AppliedTrial, applyTrial, resolveTargets, type Target } from './apply.js';
import type { TrialOutput } from './pool.js';
import { reproduceFlags, type TrialRecord, type TrialStatus } from './trials.js';

export interface SearchOptions {
  readonly file: string;
  /** `NAME=DIST` texts. */
  readonly space: readonly string[];
  /** Trials per round (default: the grid's size, else 16). */
  readonly trials?: number;
  readonly workers?: number;
  readonly seed?: number;
  /** A second, finer round around the best trials of the first. */
  readonly refine?: boolean;
  /** The search's directory (default: the next free `runs/<model>/search-<n>`). */
  readonly dir?: string;
  /** Continue the search in `dir`. */
  readonly resume?: boolean;
  /** Flags given to every trial's `gradus train` as they are (`--backend js`, `--dtype f32`). */
  readonly trainArgs?: readonly string[];
}

/** What a search directory's `search.json` records, so that a resumed search is the same one. */
export interface SearchManifest {
  readonly version: string;
  readonly file: string;
  readonly modelHash: string;
  readonly space: readonly string[];
  readonly trials: number;
  readonly seed: number;
  readonly refine: boolean;
  readonly trainArgs: readonly string[];
}

/** A trial's log file, inside its run directory. */
export const TRIAL_LOG = RUN_FILES.log;

export const SEARCH_FILES = { manifest: 'search.json', trials: 'trials.jsonl', best: 'best.json' } as const;

/** One trial ready to run: its settings, where it goes and the arguments of its `gradus train`. */
export interface PlannedTrial {
  readonly index: number;
  readonly round: number;
  readonly params: TrialParams;
  readonly run: string;
  readonly argv: readonly string[];
  readonly flags: string;
  /** Set when the trial's settings are refused before it runs (a value the train block rejects). */
  readonly refused?: string;
}

export const modelHash = (text: string): string => createHash('sha256').update(text).digest('hex');

const searchError = (message: string, hint?: string) =>
  new GradusError(diagnostic('E0962', message, hint === undefined ? {} : { hint }));

/** The model as a search sees it: its hypers, its settings and its text's hash. */
export interface SearchModel {
  readonly file: string;
  readonly name: string;
  readonly hash: string;
  readonly text: string;
  readonly hypers: Parameters<typeof resolveTargets>[1] & Parameters<typeof applyTrial>[2];
  readonly train: TrainConfig;
}

export function readSearchModel(file: string): SearchModel {
  const abs = resolve(file);
  const checked = loadModel(abs);
  const { model } = checked.lowered;
  return {
    file: abs,
    name: model.name,
    hash: modelHash(checked.file.text),
    text: checked.file.text,
    hypers: model.hypers,
    train: model.train,
  };
}

/** The flags of `gradus train` that give a trial its settings. */
export function trialFlags(
  applied: AppliedTrial,
  params: TrialParams,
  targets: ReadonlyMap<string, Target>,
): string[] {
  const argv: string[] = [];
  for (const [name, value] of Object.entries(applied.hypers)) argv.push('--hyper', `${name}=${value}`);
  let optimizer = false;
  let schedule = false;
  for (const [name, target] of targets) {
    if (params[name] === undefined) continue;
    if (target.kind === 'setting') argv.push('--set', `${name}=${params[name]}`);
    else if (target.kind === 'optimizer' || target.kind === 'optimizer-arg') optimizer = true;
    else if (target.kind === 'schedule' || target.kind === 'schedule-arg') schedule = true;
  }
  if (optimizer && applied.config.optimizer)
    argv.push('--optimizer', describeCall(applied.config.optimizer as CallSpec));
  if (schedule && applied.config.schedule)
    argv.push('--schedule', describeCall(applied.config.schedule as CallSpec));
  return argv;
}

/** Plans trials `from … from + count − 1` of a round over `space`. */
export function planTrials(
  model: SearchModel,
  space: SearchSpace,
  targets: ReadonlyMap<string, Target>,
  o: { seed: number; from: number; count: number; round: number; dir: string; trainArgs: readonly string[] },
): PlannedTrial[] {
  const out: PlannedTrial[] = [];
  for (let index = o.from; index < o.from + o.count; index++) {
    const params = trialParams(space, o.seed, index);
    const run = `trial-${index}`;
    try {
      const applied = applyTrial(params, targets, model.hypers, model.train);
      const flags = trialFlags(applied, params, targets);
      const at = join(o.dir, run);
      // The trial is a run: its run directory holds its settings, checkpoint, log and summary.
      const argv = ['train', model.file, ...flags, ...o.trainArgs, '--run-dir', at, '--json'];
      const shown = reproduceFlags(params, targets, {
        ...(applied.config.optimizer
          ? { optimizer: describeCall(applied.config.optimizer as CallSpec) }
          : {}),
        ...(applied.config.schedule ? { schedule: describeCall(applied.config.schedule as CallSpec) } : {}),
      });
      out.push({ index, round: o.round, params, run, argv, flags: shown });
    } catch (e) {
      const d = (e as { diagnostics?: readonly { message: string }[] }).diagnostics;
      const refused = d ? d.map((x) => x.message).join('; ') : (e as Error).message;
      out.push({ index, round: o.round, params, run, argv: [], flags: '', refused });
    }
  }
  return out;
}

/** The last JSON line a `gradus train --json` printed. */
function trainJson(out: string): Record<string, unknown> | undefined {
  const lines = out.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      // Not JSON after all: keep looking.
    }
  }
  return undefined;
}

/** A number from JSON, where NaN and ±∞ may be written as strings. */
function jsonNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return undefined;
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/**
 * A finished trial's record from what its `gradus train --json` printed. The objective is the
 * last evaluation's loss on the validation split, else on the training split, else the last
 * training loss — never a test split (that would tune hyper-parameters on test data).
 */
export function trialRecord(plan: PlannedTrial, output: TrialOutput): TrialRecord {
  const base = {
    index: plan.index,
    round: plan.round,
    params: plan.params,
    flags: plan.flags,
    run: plan.run,
    seconds: output.seconds,
  };
  const json = trainJson(output.out);
  const message = (output.err || output.out).replace(ANSI, '').trim();
  if (!json) {
    return {
      ...base,
      status: 'failed',
      loss: null,
      objective: 'none',
      metrics: {},
      steps: 0,
      message: message || `exit ${output.code}`,
    };
  }
  const stopped = typeof json.stopped === 'string' ? json.stopped : undefined;
  const evaluation = (json.evaluation ?? undefined) as
    | { split?: string; loss?: unknown; metrics?: Record<string, unknown> }
    | undefined;
  const judged = evaluation && evaluation.split !== 'test' ? evaluation : undefined;
  const loss = jsonNumber(judged ? judged.loss : json.loss);
  const objective = judged ? String(judged.split) : 'training batches';
  const rawMetrics = (judged?.metrics ?? (judged ? {} : json.metrics) ?? {}) as Record<string, unknown>;
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(rawMetrics)) {
    const n = jsonNumber(v);
    if (n !== undefined) metrics[k] = n;
  }
  const first = jsonNumber(json.firstLoss);
  const last = jsonNumber(json.loss);
  let status: TrialStatus = 'ok';
  if (stopped === 'nan') status = 'nan';
  else if (stopped === 'diverged') status = 'diverged';
  // A run whose training loss ended above where it started went the wrong way: diverging, if
  // slowly (the ravine just above lr = 2/λmax), whatever its evaluation says.
  else if (first !== undefined && last !== undefined && Number.isFinite(first) && last > first)
    status = 'diverged';
  else if (output.code !== 0) status = 'failed';
  else if (loss === undefined || !Number.isFinite(loss)) status = 'nan';
  return {
    ...base,
    status,
    loss: loss !== undefined && Number.isFinite(loss) ? loss : null,
    objective,
    metrics,
    steps: typeof json.steps === 'number' ? json.steps : 0,
    ...(status !== 'ok'
      ? {
          message:
            typeof json.message === 'string'
              ? json.message
              : status === 'diverged'
                ? `the training loss rose from ${first} to ${last}`
                : message,
        }
      : {}),
  };
}

/** A refused trial's record: its settings never ran. */
export function refusedRecord(plan: PlannedTrial): TrialRecord {
  return {
    index: plan.index,
    round: plan.round,
    params: plan.params,
    flags: '',
    status: 'failed',
    loss: null,
    objective: 'none',
    metrics: {},
    steps: 0,
    message: plan.refused ?? 'refused',
    run: plan.run,
    seconds: 0,
  };
}

/** The next free `<root>/<model>/search-<n>`, made with a plain mkdir so two searches never share one. */
export function newSearchDir(root: string, model: string): string {
  return allocateNumbered(join(resolve(root), dirName(model)), 'search-');
}

/** Trials already recorded in a search directory (a resumed search skips them). */
export function readTrials(dir: string): TrialRecord[] {
  const path = join(dir, SEARCH_FILES.trials);
  if (!existsSync(path)) return [];
  const out: TrialRecord[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as TrialRecord);
    } catch {
      // A line cut short by a crash mid-write: that trial runs again.
    }
  }
  return out;
}

/** Appends one trial's line (a single write, so concurrent trials never interleave). */
export function recordTrial(dir: string, t: TrialRecord): void {
  appendFileSync(join(dir, SEARCH_FILES.trials), `${JSON.stringify(t)}\n`);
}

/** Opens (or reopens) a search directory and checks that a resumed search is the same search. */
export function openSearch(
  o: SearchOptions,
  model: SearchModel,
  runsRoot: string,
): { dir: string; manifest: SearchManifest; done: TrialRecord[] } {
  const space = parseSpace(o.space);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw searchError(`--seed ${seed} is not an integer in 0 … 4294967295`);
  const grid = space.reduce((n, e) => (e.dist.kind === 'grid' ? n * e.dist.values.length : n), 1);
  const trials = o.trials ?? (grid > 1 ? grid : 16);
  if (!Number.isInteger(trials) || trials < 1)
    throw searchError(`--trials ${trials} must be a positive integer`);
  const manifest: SearchManifest = {
    version: VERSION,
    file: model.file,
    modelHash: model.hash,
    space: o.space,
    trials,
    seed,
    refine: Boolean(o.refine),
    trainArgs: o.trainArgs ?? [],
  };
  if (o.resume) {
    if (!o.dir) throw searchError('--resume needs the search directory', 'gradus search FILE --resume DIR');
    const dir = resolve(o.dir);
    const path = join(dir, SEARCH_FILES.manifest);
    if (!existsSync(path))
      throw searchError(`${dir} is not a search directory: it has no ${SEARCH_FILES.manifest}`);
    const before = JSON.parse(readFileSync(path, 'utf8')) as SearchManifest;
    if (before.modelHash !== model.hash)
      throw searchError(
        `the model ${model.file} changed since the search in ${dir} started`,
        'start a new search',
      );
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    for (const k of ['space', 'trials', 'seed', 'refine', 'trainArgs'] as const) {
      if (!same(before[k], manifest[k]))
        throw searchError(
          `--resume: ${k} differs from the search in ${dir} (${JSON.stringify(before[k])})`,
          'give the same --space, --trials, --seed and --refine, or start a new search',
        );
    }
    return { dir, manifest: before, done: readTrials(dir) };
  }
  let dir: string;
  if (o.dir) {
    dir = resolve(o.dir);
    if (existsSync(dir) && readdirSync(dir).length > 0)
      throw searchError(
        `the search directory ${dir} already exists`,
        `continue it with --resume --dir ${o.dir}, or choose another`,
      );
    mkdirSync(dir, { recursive: true });
  } else dir = newSearchDir(runsRoot, model.name);
  writeFileAtomic(join(dir, SEARCH_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir, manifest, done: [] };
}

/** The searched names' targets, or the error a user sees before any trial runs. */
export function searchTargets(model: SearchModel, space: SearchSpace): ReadonlyMap<string, Target> {
  return resolveTargets(space, model.hypers, model.train);
}

/** Where searches go unless `--dir` names one: `$GRADUS_RUNS`, else `./runs` (as runs do). */
export const runsRoot = (): string => runsRootOf();

/** A search's id on a queue: the same search (directory and settings) always has the same id. */
export const searchId = (dir: string, m: SearchManifest): string =>
  modelHash(JSON.stringify([dir, m.modelHash, m.space, m.trials, m.seed, m.refine, m.trainArgs])).slice(
    0,
    16,
  );

/** Default number of worker threads: one per core. */
export const defaultWorkers = (): number => availableParallelism();

/** `trial-3` relative to the directory the user is in, for messages. */
export const shown = (dir: string, run: string): string => relative(process.cwd(), join(dir, run)) || '.';

export { refineSpace };
