import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DType, diagnostic, GradusError, type Tensor } from '@gradus/autodiff';
import type { PlateauState } from '../schedules/plateau.js';
import { guardedWrite } from './write-guard.js';

export const CHECKPOINT_FILE = 'checkpoint.json';
const FORMAT = 'gradus-checkpoint';
const VERSION = 1;

/**
 * The trainer's host-side state: what the loop itself remembers between steps. Without it a
 * resumed run would judge divergence against a different first loss, restart reduce-on-plateau's
 * patience and early stopping's count, and so part from the uninterrupted run.
 */
export interface RunState {
  /** The loss of the run's first step (divergence is judged against it). */
  readonly firstLoss?: number;
  /** The loss of the last step taken. */
  readonly lastLoss?: number;
  readonly plateau?: PlateauState;
  readonly earlyStop: {
    readonly best: number;
    readonly since: number;
    /** With `restore_best`: the step of the best evaluation, and the params it scored. */
    readonly bestStep?: number;
    readonly bestParams?: Readonly<Record<string, readonly number[]>>;
  };
}

/**
 * Everything a run needs to continue bit-identically: every variable (params, optimiser state and
 * its step counter, batchnorm running statistics, the plateau multiplier), the global step and
 * the loop's host state. Shuffles and dropout masks are functions of (seed, step), so the step is
 * the whole RNG state.
 */
export interface Checkpoint {
  readonly model: string;
  readonly step: number;
  readonly seed: number;
  readonly dtype: DType;
  readonly variables: Readonly<Record<string, Tensor>>;
  readonly run?: RunState;
  /** How the run was configured (optimiser, schedule, batch), so a resume can say what changed. */
  readonly settings?: Readonly<Record<string, string | number>>;
}

/** JSON has no NaN or ±∞ (a plateau's `best` starts at ∞): they are written as `{"$f": "Infinity"}`. */
const encode = (_key: string, v: unknown): unknown =>
  typeof v === 'number' && !Number.isFinite(v) ? { $f: String(v) } : v;
const decode = (_key: string, v: unknown): unknown =>
  typeof v === 'object' && v !== null && '$f' in v && Object.keys(v).length === 1
    ? Number((v as { $f: string }).$f)
    : v;

/**
 * Writes `dir/checkpoint.json` atomically: to a temporary file first, then renamed over the old
 * one, so a crash mid-write never leaves a truncated checkpoint. Numbers are written with JS's
 * shortest round-trip form, so f64 (and f32) values come back exactly.
 */
export function saveCheckpoint(dir: string, c: Checkpoint): string {
  const path = join(dir, CHECKPOINT_FILE);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    mkdirSync(dir, { recursive: true });
    const variables: Record<string, { shape: readonly number[]; dtype: DType; data: number[] }> =
      Object.create(null);
    for (const [name, t] of Object.entries(c.variables))
      variables[name] = { shape: t.shape, dtype: t.dtype, data: Array.from(t.data) };
    const text = JSON.stringify(
      {
        format: FORMAT,
        version: VERSION,
        model: c.model,
        step: c.step,
        seed: c.seed,
        dtype: c.dtype,
        ...(c.run ? { run: c.run } : {}),
        ...(c.settings ? { settings: c.settings } : {}),
        variables,
      },
      encode,
    );
    guardedWrite(() => {
      writeFileSync(tmp, text);
      renameSync(tmp, path);
    });
    return path;
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // The temporary file never existed or cannot be removed: nothing else to clean up.
    }
    throw new GradusError(
      diagnostic(
        'E0910',
        `cannot write a checkpoint in ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      ),
    );
  }
}

const damaged = (path: string, what: string) =>
  new GradusError(
    diagnostic('E0912', `${path} ${what}`, {
      hint: 'the checkpoint is damaged; resume from another one, or start again without --resume',
    }),
  );

export function loadCheckpoint(dir: string): Checkpoint {
  const path = join(dir, CHECKPOINT_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new GradusError(
      diagnostic(
        'E0911',
        code === 'ENOENT' ? `no checkpoint in ${dir} (expected ${path})` : `cannot read ${path}: ${code}`,
      ),
    );
  }
  let json: {
    format?: unknown;
    version?: unknown;
    model?: unknown;
    step?: unknown;
    seed?: unknown;
    dtype?: unknown;
    run?: unknown;
    settings?: unknown;
    variables?: Record<string, { shape?: unknown; dtype?: unknown; data?: unknown }>;
  };
  try {
    json = JSON.parse(text, decode);
  } catch {
    throw damaged(path, 'is not valid JSON (truncated or overwritten)');
  }
  if (typeof json !== 'object' || json === null || json.format !== FORMAT || json.version !== VERSION) {
    throw damaged(path, `is not a Gradus checkpoint of version ${VERSION}`);
  }
  if (
    typeof json.model !== 'string' ||
    !Number.isInteger(json.step) ||
    (json.step as number) < 0 ||
    typeof json.variables !== 'object' ||
    json.variables === null
  ) {
    throw damaged(path, 'is missing its model, step or variables');
  }
  const variables: Record<string, Tensor> = Object.create(null);
  for (const [name, v] of Object.entries(json.variables)) {
    const ok =
      typeof v === 'object' &&
      v !== null &&
      Array.isArray(v.shape) &&
      v.shape.every((d) => Number.isInteger(d) && d >= 0) &&
      Array.isArray(v.data) &&
      v.data.every((x) => typeof x === 'number') &&
      v.data.length === (v.shape as number[]).reduce((a, b) => a * b, 1) &&
      (v.dtype === 'f32' || v.dtype === 'f64' || v.dtype === 'i32' || v.dtype === 'bool');
    if (!ok) throw damaged(path, `has a damaged variable '${name}'`);
    variables[name] = {
      shape: v.shape as number[],
      dtype: v.dtype as DType,
      data: Float64Array.from(v.data as number[]),
    };
  }
  const run = json.run as RunState | undefined;
  if (run !== undefined && (typeof run !== 'object' || run === null || typeof run.earlyStop !== 'object'))
    throw damaged(path, 'has a damaged run state');
  return {
    model: json.model,
    step: json.step as number,
    seed: Number(json.seed),
    dtype: json.dtype === 'f32' ? 'f32' : 'f64',
    variables,
    ...(run ? { run } : {}),
    ...(typeof json.settings === 'object' && json.settings !== null
      ? { settings: json.settings as Record<string, string | number> }
      : {}),
  };
}
