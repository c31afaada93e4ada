import { dirname } from 'node:path';
import { loadModel, UsageError } from '@gradus/dsl';
import { hostHyper, loadData, optimizerFromSpec } from '@gradus/optim';
import { fmt, type Io, table } from './output.js';
import { applySettingFlags, DEFAULT_OPTIMIZER, describeCall, type SettingFlags } from './run-config.js';

export interface ScheduleOptions extends SettingFlags {
  readonly json?: boolean;
  /** Values for the model's hyper-parameters (from `--hyper`). */
  readonly hypers?: Readonly<Record<string, number>>;
  /** Rows in the printed table (default 20). */
  readonly points?: number;
}

const SPARK = '▁▂▃▄▅▆▇█';

/**
 * `gradus schedule FILE`: the learning rate at every step of the run the model's settings (and
 * the flags) describe, before anything is trained. The rates come from the same schedule
 * definition the compiled training step evaluates.
 */
export function scheduleCommand(path: string, opts: ScheduleOptions, io: Io): number {
  const { lowered } = loadModel(path, { hypers: opts.hypers });
  const config = applySettingFlags(lowered.model.train, opts);
  const optimizer = config.optimizer ?? DEFAULT_OPTIMIZER;
  const { lr } = optimizerFromSpec(optimizer, config.schedule ? { schedule: config.schedule } : {});
  if (lr === undefined)
    throw new UsageError(
      `${describeCall(optimizer)} applies no learning rate: it has no scale_by_learning_rate(lr)`,
      'write the step as scale_by_learning_rate(lr) instead of scale(-lr) to see and schedule its rate',
    );
  let steps = config.steps;
  if (steps === undefined) {
    const epochs = config.epochs ?? 10;
    let rows = 0;
    if (lowered.model.inputs.length > 0 && config.data) {
      const loaded = loadData(
        config.data,
        'path' in config.data && opts.data === config.data.path ? process.cwd() : dirname(path),
      );
      rows = loaded.train[lowered.model.inputs[0].name]?.shape[0] ?? 0;
    }
    const batch = Math.max(1, Math.min(config.batch ?? 32, rows || 1));
    steps = epochs * (rows === 0 ? 1 : Math.ceil(rows / batch));
  }
  // The rate of step k (1-based) is the schedule at k − 1 completed steps.
  const rates = Array.from({ length: steps }, (_, k) => hostHyper(lr, k));
  if (opts.json) {
    io.out(
      JSON.stringify({
        optimizer: describeCall(optimizer),
        schedule: config.schedule ? describeCall(config.schedule) : null,
        lr: rates,
      }),
    );
    return 0;
  }
  const max = Math.max(...rates.map(Math.abs), Number.MIN_VALUE);
  const width = Math.min(60, steps);
  const spark = Array.from({ length: width }, (_, i) => {
    const r = rates[Math.floor((i * steps) / width)];
    return SPARK[Math.min(SPARK.length - 1, Math.round((r / max) * (SPARK.length - 1)))];
  }).join('');
  io.out(
    `${describeCall(optimizer)}${config.schedule ? ` with ${describeCall(config.schedule)}` : ', constant rate'} over ${steps} steps`,
  );
  io.out(`lr ${spark}  (max ${fmt(max)})`);
  const points = Math.min(opts.points ?? 20, steps);
  const rows = [['step', 'lr']];
  for (let i = 0; i < points; i++) {
    const k = points === 1 ? 1 : 1 + Math.round((i * (steps - 1)) / (points - 1));
    rows.push([String(k), fmt(rates[k - 1])]);
  }
  io.out(table(rows));
  return 0;
}
