/**
 * A hyper-parameter search space: each searched name with its distribution, parsed from the
 * `--space NAME=DIST` text a user writes, and the draws of every trial.
 *
 * Draws are a pure function of (seed, trial index, name), by the same counter-based generator
 * as dropout and initialisation, so trial 7 has the same settings whether one worker or eight
 * run the search, and a resumed search redraws exactly the trials it has not run yet.
 */
import { diagnostic, GradusError, streamOf, uniformAt } from '@gradus/autodiff';

/** A value a trial sets: a number, or a word (`choice(adam, sgd)`). */
export type SpaceValue = number | string;

export type Distribution =
  /** Uniform in log space: the lectures' choice for learning rates and regularisation strengths. */
  | { readonly kind: 'loguniform'; readonly low: number; readonly high: number }
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number }
  /** An integer in [low, high], both included. */
  | { readonly kind: 'int'; readonly low: number; readonly high: number }
  | { readonly kind: 'choice'; readonly values: readonly SpaceValue[] }
  /** Every value in turn: the grid is the product over every `grid` name. */
  | { readonly kind: 'grid'; readonly values: readonly SpaceValue[] };

export interface SpaceEntry {
  readonly name: string;
  readonly dist: Distribution;
}

export type SearchSpace = readonly SpaceEntry[];

/** The settings one trial runs with, in the order the space names them. */
export type TrialParams = Readonly<Record<string, SpaceValue>>;

const DISTRIBUTIONS = ['loguniform', 'uniform', 'int', 'choice', 'grid'] as const;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

function spaceError(text: string, message: string, hint?: string): GradusError {
  return new GradusError(
    diagnostic('E0960', `--space '${text}': ${message}`, hint === undefined ? {} : { hint }),
  );
}

/** Splits `a, b, 'c, d'` at top-level commas, keeping quoted words whole. */
function splitArgs(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (const ch of text) {
    if (quote !== undefined) {
      current += ch;
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      current += ch;
    } else if (ch === ',') {
      out.push(current.trim());
      current = '';
    } else current += ch;
  }
  out.push(current.trim());
  return out;
}

function parseValue(spec: string, raw: string): SpaceValue {
  if (raw === '') throw spaceError(spec, 'an empty value');
  const quoted = /^(["'])(.*)\1$/.exec(raw);
  if (quoted) return quoted[2];
  const n = Number(raw);
  if (raw.trim() !== '' && Number.isFinite(n)) return n;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(raw)) return raw;
  throw spaceError(spec, `'${raw}' is neither a finite number nor a word`);
}

function parseNumber(spec: string, raw: string, what: string): number {
  const n = Number(raw);
  if (raw === '' || !Number.isFinite(n)) throw spaceError(spec, `${what} '${raw}' is not a finite number`);
  return n;
}

/**
 * Parses one `NAME=DIST`, e.g. `lr=loguniform(1e-4, 1e-1)`, `batch=choice(32, 64, 128)`,
 * `schedule.steps=int(100, 1000)`, `optimizer=grid(sgd, adam)`.
 */
export function parseSpaceEntry(spec: string): SpaceEntry {
  const eq = spec.indexOf('=');
  if (eq < 0) throw spaceError(spec, 'expected NAME=DIST', "e.g. --space 'lr=loguniform(1e-4, 1e-1)'");
  const name = spec.slice(0, eq).trim();
  const body = spec.slice(eq + 1).trim();
  if (!NAME.test(name))
    throw spaceError(
      spec,
      `'${name}' is not a setting name`,
      'a hyper, a train setting, an optimiser argument or schedule.ARG',
    );
  const call = /^([A-Za-z_]+)\s*\(([\s\S]*)\)$/.exec(body);
  if (!call)
    throw spaceError(
      spec,
      `'${body}' is not a distribution`,
      `one of ${DISTRIBUTIONS.map((d) => `${d}(…)`).join(', ')}`,
    );
  const kind = call[1];
  const args = call[2].trim() === '' ? [] : splitArgs(call[2]);
  switch (kind) {
    case 'loguniform':
    case 'uniform':
    case 'int': {
      if (args.length !== 2)
        throw spaceError(spec, `${kind} takes two bounds (low, high), got ${args.length}`);
      const low = parseNumber(spec, args[0], 'the low bound');
      const high = parseNumber(spec, args[1], 'the high bound');
      if (!(low < high)) throw spaceError(spec, `the low bound ${low} must be below the high bound ${high}`);
      if (kind === 'loguniform' && low <= 0)
        throw spaceError(
          spec,
          `loguniform needs positive bounds, got ${low}`,
          'use uniform(…) for ranges that include 0',
        );
      if (kind === 'int' && (!Number.isInteger(low) || !Number.isInteger(high)))
        throw spaceError(spec, `int bounds must be integers, got ${low} and ${high}`);
      return { name, dist: { kind, low, high } };
    }
    case 'choice':
    case 'grid': {
      if (args.length === 0) throw spaceError(spec, `${kind} needs at least one value`);
      const values = args.map((a) => parseValue(spec, a));
      const seen = new Set<SpaceValue>();
      for (const v of values) {
        if (seen.has(v)) throw spaceError(spec, `${kind} lists ${String(v)} twice`);
        seen.add(v);
      }
      return { name, dist: { kind, values } };
    }
    default: {
      throw spaceError(spec, `unknown distribution '${kind}'`, `one of ${DISTRIBUTIONS.join(', ')}`);
    }
  }
}

/** Parses every `--space`; a name given twice is an error. */
export function parseSpace(specs: readonly string[]): SearchSpace {
  if (specs.length === 0)
    throw new GradusError(diagnostic('E0960', 'a search needs at least one --space NAME=DIST'));
  const entries = specs.map(parseSpaceEntry);
  const names = new Set<string>();
  for (const e of entries) {
    if (names.has(e.name)) throw spaceError(e.name, `'${e.name}' is searched twice`);
    names.add(e.name);
  }
  return entries;
}

/** The number of grid cells (1 when no name is a grid). */
export function gridSize(space: SearchSpace): number {
  let n = 1;
  for (const e of space) if (e.dist.kind === 'grid') n *= e.dist.values.length;
  return n;
}

/** The stream a name draws from, apart from the initialisers' and dropout's streams. */
function streamFor(name: string): number {
  return streamOf(`search:${name}`);
}

/** Draws one value of a continuous or discrete distribution from a uniform u in [0, 1). */
function draw(dist: Distribution, u: number): SpaceValue {
  switch (dist.kind) {
    case 'loguniform':
      return Math.exp(Math.log(dist.low) + u * (Math.log(dist.high) - Math.log(dist.low)));
    case 'uniform':
      return dist.low + u * (dist.high - dist.low);
    case 'int':
      return Math.min(dist.high, dist.low + Math.floor(u * (dist.high - dist.low + 1)));
    case 'choice':
    case 'grid':
      return dist.values[Math.min(dist.values.length - 1, Math.floor(u * dist.values.length))];
  }
}

/**
 * The settings of trial `index` (0-based). Grid names walk the grid in order (the last grid
 * name fastest), cycling when there are more trials than cells; every other name is drawn.
 */
export function trialParams(space: SearchSpace, seed: number, index: number): TrialParams {
  const out: Record<string, SpaceValue> = Object.create(null);
  let cell = index % gridSize(space);
  const grids = space.filter((e) => e.dist.kind === 'grid');
  const gridValue = new Map<string, SpaceValue>();
  for (let g = grids.length - 1; g >= 0; g--) {
    const dist = grids[g].dist as Extract<Distribution, { kind: 'grid' }>;
    gridValue.set(grids[g].name, dist.values[cell % dist.values.length]);
    cell = Math.floor(cell / dist.values.length);
  }
  for (const e of space) {
    const fromGrid = gridValue.get(e.name);
    out[e.name] =
      fromGrid !== undefined ? fromGrid : draw(e.dist, uniformAt(seed, streamFor(e.name), index, 0));
  }
  return out;
}

/** A finished trial as refinement sees it: its settings and its objective (lower is better). */
export interface ScoredTrial {
  readonly params: TrialParams;
  /** NaN or undefined for trials that failed, diverged or produced NaN. */
  readonly objective?: number;
}

/** How many of the best trials a refinement centres on. */
export function refineKeep(trials: number): number {
  return Math.max(1, Math.min(5, Math.ceil(trials / 4)));
}

/**
 * The lectures' coarse → fine step: a narrower space around the best trials. Each continuous
 * range shrinks to the span of the best trials' values, widened by a quarter of the old range
 * on each side (in log space for log-uniform names) and kept inside it; choices and grids keep
 * only the values the best trials used. With no successful trial the space is returned as is.
 */
export function refineSpace(space: SearchSpace, trials: readonly ScoredTrial[]): SearchSpace {
  const ok = trials
    .filter(
      (t): t is ScoredTrial & { objective: number } =>
        t.objective !== undefined && Number.isFinite(t.objective),
    )
    .sort((a, b) => a.objective - b.objective);
  if (ok.length === 0) return space;
  const best = ok.slice(0, refineKeep(ok.length));
  return space.map((entry): SpaceEntry => {
    const { dist, name } = entry;
    const used = best.map((t) => t.params[name]);
    if (dist.kind === 'choice' || dist.kind === 'grid') {
      const values = dist.values.filter((v) => used.includes(v));
      return { name, dist: { kind: dist.kind, values } };
    }
    const log = dist.kind === 'loguniform';
    const f = (x: number) => (log ? Math.log(x) : x);
    const inv = (x: number) => (log ? Math.exp(x) : x);
    const nums = used.filter((v): v is number => typeof v === 'number').map(f);
    const lo = f(dist.low);
    const hi = f(dist.high);
    const margin = (hi - lo) / 4;
    let low = Math.max(lo, Math.min(...nums) - margin);
    let high = Math.min(hi, Math.max(...nums) + margin);
    if (dist.kind === 'int') {
      low = Math.floor(low);
      high = Math.ceil(high);
      if (low === high) high = Math.min(dist.high, low + 1);
      if (low === high) low = Math.max(dist.low, high - 1);
      return { name, dist: { kind: 'int', low, high } };
    }
    return { name, dist: { kind: dist.kind, low: inv(low), high: inv(high) } };
  });
}

/** `lr=loguniform(0.0001, 0.1)`: a space entry as a user would write it. */
export function describeEntry(e: SpaceEntry): string {
  const d = e.dist;
  const args =
    d.kind === 'choice' || d.kind === 'grid' ? d.values.map(String).join(', ') : `${d.low}, ${d.high}`;
  return `${e.name}=${d.kind}(${args})`;
}
