import type { Value } from '@gradus/autodiff';
import { type Arith, numberArith, valueArith } from './arith.js';

/**
 * A schedule: a pure function of the step count `t` (the number of steps already taken, so 0 for
 * the first step, as PyTorch's schedulers count), defined once over `Arith` and usable in two
 * forms: `host(t)` for printing and plotting, `graph(t)` inside a compiled training step.
 */
export interface Schedule {
  /** How it was written, e.g. `cosine(steps = 100, min = 0)`. */
  readonly name: string;
  /** The one definition. */
  at<T>(A: Arith<T>, t: T): T;
  /** The value at step `t`, computed on the host. */
  host(t: number): number;
  /** The value at step `t` (a float scalar of a graph), as graph ops. */
  graph(t: Value): Value;
}

/** Makes the two forms of a schedule from its one definition. */
export function defineSchedule(name: string, at: <T>(A: Arith<T>, t: T) => T): Schedule {
  return {
    name,
    at,
    host: (t) => at(numberArith, t),
    graph: (t) => {
      const tf = t.toFloat();
      return at(valueArith(t.g, tf.dtype as 'f32' | 'f64'), tf);
    },
  };
}

/** A hyper-parameter: a fixed number or a schedule of the step. */
export type Hyper = number | Schedule;

export function isSchedule(h: unknown): h is Schedule {
  return typeof h === 'object' && h !== null && typeof (h as Schedule).at === 'function';
}

/** The host value of a hyper-parameter at step `t`. */
export function hostHyper(h: Hyper, t: number): number {
  return typeof h === 'number' ? h : h.host(t);
}
