import {
  bindFedShapes,
  concreteShapeOf,
  type Dim,
  dimAnchors,
  dimSymbols,
  formatShape,
  GradusError,
  type Graph,
  isDimSymbol,
  type Node,
  normalAt,
  ownEntry,
  permutation,
  STEP_INPUT,
  streamOf,
  suggest,
  type Tensor,
  topoSort,
  uniformAt,
} from '@gradus/autodiff';
import type { Columns } from '@gradus/optim';
import { UsageError } from './check.js';
import type { ModelInfo } from './lower/index.js';

/**
 * The data inputs that computing `outputs` reads, for their values or only for their sizes (an
 * input that alone carries a dim an output needs), each with the outputs that need it, in the
 * order the model declares them. The step counter is not a data input. Labels are usually read
 * by the loss and metrics only, so `inputsNeededBy(g, ['probs'])` is `x` alone.
 */
export function inputsNeededBy(graph: Graph, outputs: readonly string[]): Map<string, string[]> {
  const users = new Map<Node, string[]>();
  for (const name of outputs) {
    const o = graph.outputs.get(name);
    if (!o) continue;
    const reached = topoSort([o.node]);
    for (const n of [...dimAnchors(graph, reached), ...reached]) {
      if (n.op !== 'Input') continue;
      const list = users.get(n) ?? [];
      if (!list.includes(name)) list.push(name);
      users.set(n, list);
    }
  }
  const out = new Map<string, string[]>();
  for (const [name, node] of graph.inputs) {
    const by = users.get(node);
    if (by && name !== STEP_INPUT) out.set(name, by);
  }
  return out;
}

/**
 * Binds data columns to a model's inputs by name, checking names, ranks, fixed dims, the
 * consistency of symbolic dims across inputs, integer labels and NaN/∞. Errors name the input,
 * the declared shape and what was given. With the model's graph, int labels are also checked
 * against the class count of the Gather/OneHot that reads them: an out-of-range label would
 * otherwise surface only as a NaN loss (Gather) or a silently zero target row (OneHot).
 * With `needed` (from `inputsNeededBy`), only those inputs are bound and the others may be
 * absent (rows without labels for predict); a missing one is named with the outputs that need it.
 */
export function bindInputs(
  model: Pick<ModelInfo, 'inputs'>,
  columns: Columns,
  source: string,
  graph?: Graph,
  needed?: ReadonlyMap<string, readonly string[]>,
): Record<string, Tensor> {
  const out: Record<string, Tensor> = Object.create(null);
  const dims: Record<string, { value: number; by: string }> = Object.create(null);
  const inputs = needed ? model.inputs.filter((i) => needed.has(i.name)) : model.inputs;
  for (const input of inputs) {
    const col = ownEntry(columns, input.name);
    if (!col) {
      const s = suggest(input.name, Object.keys(columns));
      const by = needed?.get(input.name);
      const why = by
        ? `, which ${by.length === 1 ? 'the output' : 'the outputs'} ${by.join(', ')} ${by.length === 1 ? 'needs' : 'need'}`
        : '';
      throw new UsageError(
        `${source} has no column '${input.name}' for the input ${input.name}: ${input.shapeText}${why} (it has ${Object.keys(columns).join(', ') || 'nothing'})`,
        s ? `did you mean ${s}?` : undefined,
      );
    }
    if (col.shape.length !== input.shape.length) {
      throw new UsageError(
        `${source}: '${input.name}' has shape ${formatShape(col.shape)}, but the model declares ${input.shapeText}`,
      );
    }
    input.shape.forEach((d: Dim, i) => {
      const got = col.shape[i];
      if (typeof d === 'number' && d !== got) {
        throw new UsageError(
          `${source}: '${input.name}' has shape ${formatShape(col.shape)}, but the model declares ${input.shapeText}`,
        );
      }
      if (typeof d === 'string' && isDimSymbol(d)) {
        const prev = dims[d];
        if (prev && prev.value !== got) {
          throw new UsageError(
            `${source}: '${input.name}' has ${got} along ${d}, but '${prev.by}' has ${prev.value}`,
          );
        }
        dims[d] = { value: got, by: input.name };
      }
    });
    const bad = col.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0)
      throw new UsageError(
        `${source}: '${input.name}' contains ${col.data[bad]} at flat index ${bad}; data must be finite numbers`,
      );
    if (input.dtype === 'i32' && col.data.some((v) => !Number.isInteger(v))) {
      throw new UsageError(
        `${source}: '${input.name}' is declared int but holds non-integer values`,
        'labels must be whole numbers',
      );
    }
    const node = input.dtype === 'i32' ? graph?.inputs.get(input.name) : undefined;
    const classes = node && labelRange(graph!, node);
    if (classes !== undefined) {
      const at = col.data.findIndex((v) => v < 0 || v >= classes);
      if (at >= 0)
        throw new UsageError(
          `${source}: '${input.name}' holds the label ${col.data[at]} at flat index ${at}, but the model uses it with ${classes} classes (labels 0 to ${classes - 1})`,
          'check the data, or the class count the model declares',
        );
    }
    out[input.name] = { ...col, dtype: input.dtype };
  }
  // Compound dims (`N*T`) are checked by the rules every backend binds feeds with.
  if (inputs.some((i) => i.shape.some((d) => typeof d === 'string' && !isDimSymbol(d)))) {
    const bound: Record<string, number> = {};
    try {
      bindFedShapes(
        inputs.map((i) => [i.name, i.shape, out[i.name].shape] as const),
        bound,
      );
    } catch (e) {
      if (e instanceof GradusError) throw new UsageError(`${source}: ${e.diagnostics[0].message}`);
      throw e;
    }
  }
  return out;
}

/** The number of classes an int input is used with (from the Gather/OneHot/Take that reads it), if any. */
function labelRange(g: Graph, input: Node): number | undefined {
  const reads = (n: Node) => n === input || (n.op === 'Cast' && n.inputs[0] === input);
  for (const n of g.nodes) {
    if (n.op === 'Gather' && reads(n.inputs[1])) {
      const d = n.inputs[0].shape[n.attrs.axis as number];
      if (typeof d === 'number') return d;
    }
    if (n.op === 'OneHot' && reads(n.inputs[0])) return n.attrs.depth as number;
    // Embedding ids index the rows of their table.
    if (n.op === 'Take' && reads(n.inputs[1]) && typeof n.inputs[0].shape[0] === 'number')
      return n.inputs[0].shape[0];
  }
  return undefined;
}

/**
 * A small seeded batch of the declared shapes (symbolic dims = `batch`): floats ~ N(0, 1), int
 * inputs uniform over the classes they are used with. Used when a model has no data.
 */
export function randomInputs(
  g: Graph,
  model: ModelInfo,
  batch: number,
  seed: number,
): Record<string, Tensor> {
  const out: Record<string, Tensor> = Object.create(null);
  // Every symbolic name is `batch`; a compound dim (`N*T`) is computed from them.
  const names: Record<string, number> = {};
  for (const input of model.inputs)
    for (const d of input.shape) for (const n of dimSymbols(d)) names[n] = batch;
  for (const input of model.inputs) {
    const shape = concreteShapeOf(input.shape, names, input.name);
    const n = shape.reduce((p, d) => p * d, 1);
    const stream = streamOf(`input:${input.name}`);
    let data: Float64Array;
    if (input.dtype === 'i32' || input.dtype === 'bool') {
      const node = g.inputs.get(input.name);
      const range = input.dtype === 'bool' ? 2 : ((node && labelRange(g, node)) ?? 2);
      data = Float64Array.from({ length: n }, (_, i) => Math.floor(uniformAt(seed, stream, 0, i) * range));
    } else {
      data = Float64Array.from({ length: n }, (_, i) => normalAt(seed, stream, 0, i));
    }
    out[input.name] = { shape, dtype: input.dtype, data };
  }
  return out;
}

/**
 * `n` examples drawn without replacement (seeded) from every column alike; all of them when there
 * are at most `n`. Sampling rather than taking the head keeps a check from seeing only one class.
 */
export function sampleRows(cols: Record<string, Tensor>, n: number, seed: number): Record<string, Tensor> {
  const total = Object.values(cols)[0]?.shape[0] ?? 0;
  if (total <= n) return cols;
  const order = permutation(total, seed, streamOf('sample-rows'), 0).slice(0, n).sort();
  const out: Record<string, Tensor> = Object.create(null);
  for (const [k, t] of Object.entries(cols)) {
    const row = t.data.length / t.shape[0];
    const data = new Float64Array(n * row);
    order.forEach((r, i) => {
      data.set(t.data.subarray(r * row, (r + 1) * row), i * row);
    });
    out[k] = { ...t, shape: [n, ...t.shape.slice(1)], data };
  }
  return out;
}

/** Checks parameter values given by the user (`--params`) against the model's declarations. */
export function checkParams(model: ModelInfo, given: Columns, source: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = Object.create(null);
  const names = model.params.map((p) => p.name);
  for (const [name, t] of Object.entries(given)) {
    const p = model.params.find((q) => q.name === name);
    if (!p) {
      const s = suggest(name, names);
      throw new UsageError(
        `${source}: the model has no param '${name}' (its params: ${names.join(', ')})`,
        s ? `did you mean ${s}?` : undefined,
      );
    }
    const same = t.shape.length === p.shape.length && t.shape.every((d, i) => d === p.shape[i]);
    if (!same)
      throw new UsageError(
        `${source}: '${name}' has shape ${formatShape(t.shape)}, but the model declares ${p.shapeText}`,
      );
    out[name] = t;
  }
  return out;
}
