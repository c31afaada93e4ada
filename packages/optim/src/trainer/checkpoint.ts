import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DType, diagnostic, GradusError, type Tensor } from '@gradus/autodiff';

export const CHECKPOINT_FILE = 'checkpoint.json';
const FORMAT = 'gradus-checkpoint';
const VERSION = 1;

/**
 * Everything a run needs to continue bit-identically: every variable (params, optimiser state and
 * its step counter, batchnorm running statistics) and the global step. Shuffles and dropout
 * masks are functions of (seed, step), so the step is the whole RNG state.
 */
export interface Checkpoint {
  readonly model: string;
  readonly step: number;
  readonly seed: number;
  readonly dtype: DType;
  readonly variables: Readonly<Record<string, Tensor>>;
}

/**
 * Writes `dir/checkpoint.json` atomically: to a temporary file first, then renamed over the old
 * one, so a crash mid-write never leaves a truncated checkpoint. Numbers are written with JS's
 * shortest round-trip form, so f64 (and f32) values come back exactly.
 */
export function saveCheckpoint(dir: string, c: Checkpoint): string {
  try {
    mkdirSync(dir, { recursive: true });
    const variables: Record<string, { shape: readonly number[]; dtype: DType; data: number[] }> = {};
    for (const [name, t] of Object.entries(c.variables))
      variables[name] = { shape: t.shape, dtype: t.dtype, data: Array.from(t.data) };
    const path = join(dir, CHECKPOINT_FILE);
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(
      tmp,
      JSON.stringify({
        format: FORMAT,
        version: VERSION,
        model: c.model,
        step: c.step,
        seed: c.seed,
        dtype: c.dtype,
        variables,
      }),
    );
    renameSync(tmp, path);
    return path;
  } catch (e) {
    throw new GradusError(
      diagnostic(
        'E0910',
        `cannot write a checkpoint in ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      ),
    );
  }
}

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
    variables?: Record<string, { shape: number[]; dtype: DType; data: number[] }>;
  };
  try {
    json = JSON.parse(text);
  } catch {
    throw new GradusError(diagnostic('E0912', `${path} is not valid JSON (a damaged checkpoint)`));
  }
  if (json.format !== FORMAT || json.version !== VERSION) {
    throw new GradusError(diagnostic('E0912', `${path} is not a Gradus checkpoint of version ${VERSION}`));
  }
  if (typeof json.step !== 'number' || typeof json.variables !== 'object' || json.variables === null) {
    throw new GradusError(diagnostic('E0912', `${path} is missing its step or variables`));
  }
  const variables: Record<string, Tensor> = Object.create(null);
  for (const [name, v] of Object.entries(json.variables)) {
    if (
      !Array.isArray(v.shape) ||
      !Array.isArray(v.data) ||
      v.data.length !== v.shape.reduce((a, b) => a * b, 1)
    ) {
      throw new GradusError(diagnostic('E0912', `${path}: variable '${name}' is damaged`));
    }
    variables[name] = { shape: v.shape, dtype: v.dtype, data: Float64Array.from(v.data) };
  }
  return {
    model: String(json.model),
    step: json.step,
    seed: Number(json.seed),
    dtype: json.dtype === 'f32' ? 'f32' : 'f64',
    variables,
  };
}
