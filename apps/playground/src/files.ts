/**
 * The files of a run directory, as `gradus train` writes them: `checkpoint.json` (the format of
 * `saveCheckpoint`, which `gradus eval --checkpoint DIR` and `gradus train --resume DIR` read),
 * `settings.json` (the run's settings, as saved in the checkpoint) and `log.jsonl` (one line per
 * step and per evaluation, as `gradus train --log`), and the model itself.
 */
import type { DType, Tensor } from '@gradus/autodiff';
import type { CallSpec } from '@gradus/dsl';
import type { RunState } from '@gradus/optim';
import type { EvalRecord, StepRecord } from './protocol.js';

export interface CheckpointData {
  readonly model: string;
  readonly step: number;
  readonly seed: number;
  readonly dtype: DType;
  readonly variables: Readonly<Record<string, Tensor>>;
  readonly run?: RunState;
  readonly settings?: Readonly<Record<string, string | number>>;
}

/** JSON has no NaN or ±∞: they are written as `{"$f": "Infinity"}`, as the CLI's checkpoints do. */
const encode = (_key: string, v: unknown): unknown =>
  typeof v === 'number' && !Number.isFinite(v) ? { $f: String(v) } : v;

/** `checkpoint.json` of format `gradus-checkpoint`, version 1. */
export function checkpointJson(c: CheckpointData): string {
  const variables: Record<string, { shape: readonly number[]; dtype: DType; data: number[] }> = {};
  for (const [name, t] of Object.entries(c.variables))
    variables[name] = { shape: t.shape, dtype: t.dtype, data: Array.from(t.data) };
  return JSON.stringify(
    {
      format: 'gradus-checkpoint',
      version: 1,
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
}

/** A catalogue call as the CLI prints it: `adam(lr = 0.01)`. */
export function describeCall(c: CallSpec): string {
  const args = Object.entries(c.args)
    .map(([k, v]) => {
      const text =
        typeof v === 'object' && !Array.isArray(v)
          ? describeCall(v as CallSpec)
          : Array.isArray(v)
            ? `[${v.map((e) => (Array.isArray(e) ? `[${e.join(', ')}]` : e)).join(', ')}]`
            : String(v);
      return `${k} = ${text}`;
    })
    .join(', ');
  return `${c.name}(${args})`;
}

/** The run's log as `gradus train --log` writes it: steps, then each evaluation after its step. */
export function logJsonl(steps: readonly StepRecord[], evals: readonly EvalRecord[]): string {
  const lines: string[] = [];
  let e = 0;
  for (const s of steps) {
    lines.push(
      JSON.stringify({
        step: s.step,
        epoch: s.epoch,
        loss: s.loss,
        ...(s.lr !== undefined ? { lr: s.lr } : {}),
        ...(s.gradNorm !== undefined ? { grad_norm: s.gradNorm } : {}),
        ...s.metrics,
      }),
    );
    while (e < evals.length && evals[e].step <= s.step) {
      const v = evals[e++];
      lines.push(
        JSON.stringify({
          eval: v.split,
          step: v.step,
          epoch: v.epoch,
          loss: v.loss,
          ...v.metrics,
          ...(v.endOfRun ? { end_of_run: true } : {}),
        }),
      );
    }
  }
  return lines.map((l) => `${l}\n`).join('');
}
