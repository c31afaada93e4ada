import { dirname } from 'node:path';
import { ownEntry, type Tensor, toNested } from '@gradus/autodiff';
import { cpu, type Executable } from '@gradus/backends';
import type { Lowered } from '@gradus/dsl';
import { bindInputs, inputsNeededBy, loadModel, UsageError } from '@gradus/dsl';
import { type Columns, gatherRows, loadCheckpoint, loadData } from '@gradus/optim';
import { fmt, type Io, table } from './output.js';
import { applySettingFlags } from './run-config.js';

export interface EvalOptions {
  readonly checkpoint?: string;
  /** Values for the model's hyper-parameters (from `--hyper`). */
  readonly hypers?: Readonly<Record<string, number>>;
  readonly data?: string;
  readonly dtype?: 'f32' | 'f64';
  readonly seed?: number;
  readonly json?: boolean;
  /** predict: how many rows to print without --json (default 10). */
  readonly rows?: number;
}

const CHUNK = 2048;

/**
 * The evaluation graph compiled on the CPU backend with the params (and running statistics) of
 * a checkpoint, or the seeded initialisation when there is none.
 */
function prepare(path: string, opts: EvalOptions, outputs: (l: Lowered) => string[]) {
  const dtype = opts.dtype ?? 'f64';
  const probe = loadModel(path, { floatDtype: dtype, hypers: opts.hypers }).lowered;
  const checkpoint = opts.checkpoint ? loadCheckpoint(opts.checkpoint) : undefined;
  if (checkpoint && checkpoint.model !== probe.model.name) {
    throw new UsageError(
      `the checkpoint in ${opts.checkpoint} is of model ${checkpoint.model}, not ${probe.model.name}`,
    );
  }
  const seed = checkpoint?.seed ?? opts.seed ?? probe.model.train.seed ?? 0;
  const lowered = loadModel(path, { floatDtype: dtype, mode: 'eval', seed, hypers: opts.hypers }).lowered;
  const exe = cpu.compile(lowered.graph, { dtype, seed, outputs: outputs(lowered) });
  if (checkpoint) {
    for (const name of exe.variables) {
      const t = ownEntry(checkpoint.variables, name);
      if (!t) throw new UsageError(`the checkpoint in ${opts.checkpoint} has no value for '${name}'`);
      exe.write(name, t);
    }
  }
  return {
    lowered,
    exe,
    source: checkpoint ? `checkpoint at step ${checkpoint.step}` : `initial params (seed ${seed})`,
  };
}

/**
 * The data to evaluate on: the test split when the data set has one, else all of it. With
 * `needed` (predict), only the inputs the requested outputs read are bound, so rows without
 * labels do.
 */
function evaluationData(
  path: string,
  lowered: Lowered,
  opts: EvalOptions,
  needed?: ReadonlyMap<string, readonly string[]>,
): { columns: Columns; names: string[]; description: string; rows: number } {
  const { model } = lowered;
  const names = model.inputs.map((i) => i.name).filter((n) => !needed || needed.has(n));
  if (names.length === 0) return { columns: {}, names, description: 'no data', rows: 0 };
  const config = applySettingFlags(model.train, opts.data !== undefined ? { data: opts.data } : {});
  if (!config.data)
    throw new UsageError(
      `model ${model.name} has inputs but no data`,
      'pass --data, or add `data = ...` to its train block',
    );
  const loaded = loadData(
    config.data,
    'path' in config.data && opts.data === config.data.path ? process.cwd() : dirname(path),
  );
  const split = loaded.test ? 'test split' : 'data';
  const columns = bindInputs(
    model,
    loaded.test ?? loaded.train,
    `${loaded.description} (${split})`,
    undefined,
    needed,
  );
  return {
    columns,
    names,
    description: `${loaded.description} (${split})`,
    rows: columns[names[0]].shape[0],
  };
}

/** Runs `exe` over the rows in chunks, handing each chunk's outputs and size to `take`. */
function overChunks(
  exe: Executable,
  names: readonly string[],
  data: { columns: Columns; rows: number },
  take: (out: Record<string, Tensor>, n: number) => void,
): void {
  if (data.rows === 0) {
    take(exe.run({}), 1);
    return;
  }
  for (let s = 0; s < data.rows; s += CHUNK) {
    const n = Math.min(CHUNK, data.rows - s);
    take(
      exe.run(
        gatherRows(
          data.columns,
          names,
          Int32Array.from({ length: n }, (_, i) => s + i),
        ),
      ),
      n,
    );
  }
}

/** `gradus eval FILE`: the loss and every metric of the evaluation graph on the evaluation data. */
export function evalCommand(path: string, opts: EvalOptions, io: Io): number {
  const { lowered, exe, source } = prepare(path, opts, (l) =>
    [...l.graph.outputs].filter(([, o]) => o.kind !== 'output').map(([n]) => n),
  );
  const data = evaluationData(path, lowered, opts);
  const sums: Record<string, number> = Object.create(null);
  let total = 0;
  overChunks(exe, data.names, data, (out, n) => {
    // Loss and metrics are means over examples (plus constant terms), so chunk means weighted by size are exact.
    for (const [k, t] of Object.entries(out)) sums[k] = (sums[k] ?? 0) + n * t.data[0];
    total += n;
  });
  const result = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / total]));
  const { loss, ...metrics } = result;
  if (opts.json) {
    io.out(JSON.stringify({ loss, metrics, examples: data.rows }));
    return 0;
  }
  io.out(`${lowered.model.name} with ${source} on ${data.description}`);
  io.out(
    table([['', 'value'], ['loss', fmt(loss)], ...Object.entries(metrics).map(([k, v]) => [k, fmt(v)])]),
  );
  return 0;
}

/** `gradus predict FILE`: every `output` of the model for every example of the data. */
export function predictCommand(path: string, opts: EvalOptions, io: Io): number {
  const { lowered, exe, source } = prepare(path, opts, (l) =>
    [...l.graph.outputs].filter(([, o]) => o.kind === 'output').map(([n]) => n),
  );
  const names = [...lowered.graph.outputs].filter(([, o]) => o.kind === 'output').map(([n]) => n);
  if (names.length === 0)
    throw new UsageError(
      `model ${lowered.model.name} declares no output`,
      'add e.g. `output probs = softmax(logits)`',
    );
  // Only the inputs the outputs read: labels (read by the loss and metrics) may be absent.
  const data = evaluationData(path, lowered, opts, inputsNeededBy(lowered.graph, names));
  const parts: Record<string, Tensor[]> = Object.fromEntries(names.map((n) => [n, []]));
  overChunks(exe, data.names, data, (out) => {
    for (const n of names) parts[n].push(out[n]);
  });
  const joined: Record<string, Tensor> = Object.create(null);
  for (const n of names) {
    const ts = parts[n];
    const data = new Float64Array(ts.reduce((a, t) => a + t.data.length, 0));
    let o = 0;
    for (const t of ts) {
      data.set(t.data, o);
      o += t.data.length;
    }
    const rows = ts.reduce((a, t) => a + (t.shape[0] ?? 1), 0);
    joined[n] = {
      shape: ts[0].shape.length === 0 ? [] : [rows, ...ts[0].shape.slice(1)],
      dtype: ts[0].dtype,
      data,
    };
  }
  if (opts.json) {
    io.out(JSON.stringify(Object.fromEntries(names.map((n) => [n, toNested(joined[n])]))));
    return 0;
  }
  io.out(`${lowered.model.name} with ${source} on ${data.description}`);
  const show = Math.min(opts.rows ?? 10, data.rows || 1);
  for (const n of names) {
    const t = joined[n];
    const width = t.shape.length === 0 ? 1 : t.data.length / (t.shape[0] || 1);
    const rows = [['row', n, ...(width > 1 ? ['argmax'] : [])]];
    for (let r = 0; r < show; r++) {
      const v = Array.from(t.data.subarray(r * width, (r + 1) * width));
      rows.push([
        String(r),
        `[${v.map(fmt).join(', ')}]`,
        ...(width > 1 ? [String(v.indexOf(Math.max(...v)))] : []),
      ]);
    }
    io.out(table(rows));
    if (data.rows > show) io.out(`… ${data.rows - show} more rows (--json prints all)`);
  }
  return 0;
}
