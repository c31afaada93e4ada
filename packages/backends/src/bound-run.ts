/**
 * Bound runs (`Executable.bind`) shared by the backends: the names a bound run answers to, the
 * error for one it does not, and a bound run made of `run()` for backends whose inputs do not live
 * in host memory (the gpu backend uploads them each run anyway).
 */
import {
  diagnostic,
  GradusError,
  isFloat,
  type Node,
  STEP_INPUT,
  suggest,
  type Tensor,
} from '@gradus/autodiff';
import type { BoundRun, Executable, InputBuffer } from './backend.js';
import { leafName } from './feeds.js';
import { concreteShape, sizeOf } from './shapes.js';

/** The data inputs among an executable's leaves (every input but `$step`). */
export function dataInputs(leaves: readonly Node[]): Node[] {
  return leaves.filter((n) => n.op === 'Input' && leafName(n) !== STEP_INPUT);
}

/** E0406 for an output a bound run does not have (with a suggestion). */
export function noOutput(name: string, names: Iterable<string>): GradusError {
  const close = suggest(name, names);
  return new GradusError(
    diagnostic('E0406', `no output named '${name}'${close ? ` (did you mean '${close}'?)` : ''}`),
  );
}

/** E0406 when a variable was given storage of another size after `bind`. */
export function staleBinding(): GradusError {
  return new GradusError(
    diagnostic('E0406', 'this bound run predates a variable written with another shape: bind again'),
  );
}

/** What a backend with host-side buffers gives to make a bound run. */
export interface BoundBuffers {
  readonly dims: Readonly<Record<string, number>>;
  readonly inputs: Readonly<Record<string, InputBuffer>>;
  /** Where `$step` lives, if the graph has it. */
  readonly step?: InputBuffer;
  /** Each output's storage. */
  readonly outputs: ReadonlyMap<string, InputBuffer>;
  /** Whether the storage the run was compiled against is still the variables'. */
  current(): boolean;
  /** One run and its commit. */
  run(): void;
}

export function boundRun(b: BoundBuffers): BoundRun {
  return {
    dims: { ...b.dims },
    inputs: b.inputs,
    run: (s = 0) => {
      if (!b.current()) throw staleBinding();
      if (b.step) b.step[0] = s;
      b.run();
    },
    scalar: (name) => {
      const out = b.outputs.get(name);
      if (out === undefined) throw noOutput(name, b.outputs.keys());
      return out[0];
    },
  };
}

/** A bound run over `exe.run()`, for backends without host-side input storage. */
export function bindByRun(
  exe: Executable,
  leaves: readonly Node[],
  dims: Readonly<Record<string, number>>,
  precision: 'f32' | 'f64',
): BoundRun {
  const inputs: Record<string, InputBuffer> = Object.create(null);
  const feeds: Record<string, Tensor> = Object.create(null);
  for (const leaf of dataInputs(leaves)) {
    const name = leafName(leaf);
    const shape = concreteShape(leaf.shape, dims, name);
    const n = sizeOf(shape);
    const data = isFloat(leaf.dtype)
      ? precision === 'f32'
        ? new Float32Array(n)
        : new Float64Array(n)
      : new Int32Array(n);
    inputs[name] = data;
    feeds[name] = { shape, dtype: leaf.dtype, data: data as unknown as Float64Array };
  }
  const step: Tensor = { shape: [], dtype: 'i32', data: new Float64Array(1) };
  if (leaves.some((n) => n.op === 'Input' && leafName(n) === STEP_INPUT)) feeds[STEP_INPUT] = step;
  let last: Record<string, Tensor> = {};
  return {
    dims: { ...dims },
    inputs,
    run(s = 0) {
      step.data[0] = s;
      last = exe.run(feeds);
    },
    scalar(name) {
      const t = last[name];
      if (!t) throw noOutput(name, Object.keys(last));
      return t.data[0];
    },
  };
}
