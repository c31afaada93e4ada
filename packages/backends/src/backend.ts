import type { Graph, Tensor, TensorLike } from '@gradus/autodiff';

/** How a graph is compiled. */
export interface CompileOptions {
  /** Storage precision of every float tensor; defaults to the graph's `floatDtype`. */
  readonly dtype?: 'f32' | 'f64';
  /** Variables without a written value are initialised from this seed (default: the graph's seed). */
  readonly seed?: number;
  /** Which named outputs `run()` returns; default all. */
  readonly outputs?: readonly string[];
}

/** Where a bound run keeps an input: floats in the storage precision, ints (and bools) as integers. */
export type InputBuffer = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * One specialisation of an executable, bound for repeated runs without allocation: a training
 * loop writes each minibatch straight into `inputs` (no feeds object, no copy, no conversion at
 * run time), runs, and reads back only the scalars it needs.
 */
export interface BoundRun {
  readonly dims: Readonly<Record<string, number>>;
  /** The storage of each data input (every input but `$step`), by name, in row-major order. */
  readonly inputs: Readonly<Record<string, InputBuffer>>;
  /** One run on what `inputs` holds, with `$step` = `step` (default 0), updates committed. */
  run(step?: number): void;
  /** The first element of an output after the last run (a loss, a metric), read in place. */
  scalar(name: string): number;
}

/** A compiled graph with its persistent variables (params, optimizer state, running statistics). */
export interface Executable {
  readonly backend: string;
  /**
   * Computes the requested outputs from the feeds and the current variables, then commits every
   * update of the graph (`g.updates`) to the variables, all at once (updates see the old values:
   * a training step). A feed named like a variable writes that variable before the run.
   */
  run(feeds: Readonly<Record<string, TensorLike>>): Record<string, Tensor>;
  /** A variable's current value. */
  read(name: string): Tensor;
  /** Replaces a variable's value (shape-checked). */
  write(name: string, value: TensorLike): void;
  readonly variables: readonly string[];
  /**
   * The generated JavaScript for the specialisation of `dims` (compiled if needed), or for the
   * most recent one (for `gradus compile --emit js` and snapshots).
   */
  source(dims?: Record<string, number>): string;
  /** Releases what the executable holds outside the JS heap (textures, worker threads' copies). */
  dispose(): void;
  /**
   * The specialisation of `dims` (compiled if needed) bound for repeated runs. Writing a variable
   * with another shape afterwards (which moves its storage) makes the bound run refuse to run.
   */
  bind(dims: Readonly<Record<string, number>>): BoundRun;
}

export interface Backend {
  readonly name: string;
  compile(g: Graph, opts?: CompileOptions): Executable;
}
