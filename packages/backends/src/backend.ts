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
}

export interface Backend {
  readonly name: string;
  compile(g: Graph, opts?: CompileOptions): Executable;
}
