/**
 * Block coordinate descent: the params are split into blocks, and one sweep minimises the loss
 * over each block in turn with every other block held where it is. It pays when the problem is
 * easy in each block alone (the lectures' sparse coding, J(H, W) = |H|₁ + |X − WᵀH|², is convex
 * in H for fixed W and in W for fixed H, but not in both). With one block per number it is
 * plain coordinate descent.
 *
 * Each block is minimised by a few iterations of an inner method over that block's numbers
 * only: L-BFGS or BFGS (strong-Wolfe line search, curvature gathered afresh at each visit, as the
 * other blocks have moved), Newton on the block's part of the Hessian (backtracking until the
 * loss does not rise), or plain gradient steps. Everything works on one flat vector of all params.
 */
import { bfgsStep } from './bfgs.js';
import { EMPTY_MEMORY, type Evaluation, lbfgsStep, maxAbs, type Objective } from './lbfgs.js';
import { newtonDirection } from './newton.js';

export interface Block {
  /** For reports: the params of the group, or `x[3]` for a single number. */
  readonly name: string;
  /** Positions in the flat vector of all params. */
  readonly indices: Int32Array;
}

export type InnerMethod =
  | { readonly name: 'lbfgs'; readonly lr: number; readonly history: number; readonly tolerance: number }
  | { readonly name: 'bfgs'; readonly lr: number; readonly tolerance: number }
  | { readonly name: 'newton'; readonly lr: number; readonly damping: number; readonly tolerance: number }
  | { readonly name: 'sgd'; readonly lr: number; readonly tolerance: number };

/** The inner methods `coordinate(inner = ...)` accepts. */
export const INNER_METHODS: readonly string[] = ['lbfgs', 'bfgs', 'newton', 'sgd'];

export interface BlockVisit {
  readonly block: string;
  /** The loss before and after this block's turn. */
  readonly before: number;
  readonly after: number;
  readonly iterations: number;
}

export interface Sweep {
  readonly x: Float64Array;
  readonly at: Evaluation;
  readonly visits: readonly BlockVisit[];
  readonly evals: number;
}

export interface SweepOptions {
  readonly inner: InnerMethod;
  /** Iterations of the inner method per block per sweep. */
  readonly innerSteps: number;
  /** The full Hessian (n×n, row-major) at x: needed by the `newton` inner method only. */
  readonly hessian?: (x: Float64Array) => ArrayLike<number>;
}

const NEWTON_BACKTRACKS = 30;

/**
 * One sweep over `blocks` from x (f and ∇f there, `at`). The loss never rises: every inner
 * method either lowers it or leaves the block where it was.
 */
export function coordinateSweep(
  objective: Objective,
  x0: Float64Array,
  at0: Evaluation,
  blocks: readonly Block[],
  opts: SweepOptions,
): Sweep {
  let x: Float64Array = Float64Array.from(x0);
  let at = at0;
  let evals = 0;
  const visits: BlockVisit[] = [];
  for (const block of blocks) {
    const idx = block.indices;
    const m = idx.length;
    // The block's view of the objective, remembering full evaluations so the accepted point's
    // full gradient (which the next block needs) is not computed again.
    const seen: { z: Float64Array; e: Evaluation }[] = [];
    const base = x;
    const full = (z: Float64Array): Float64Array => {
      const y = Float64Array.from(base);
      for (let j = 0; j < m; j++) y[idx[j]] = z[j];
      return y;
    };
    const restrict = (g: Float64Array): Float64Array => Float64Array.from(idx, (i) => g[i]);
    const blockObjective: Objective = (z) => {
      const e = objective(full(z));
      evals++;
      seen.push({ z: Float64Array.from(z), e });
      if (seen.length > 64) seen.shift();
      return { f: e.f, g: restrict(e.g) };
    };
    const lookup = (z: Float64Array): Evaluation => {
      const hit = seen.find((s) => s.z.every((v, j) => Object.is(v, z[j])));
      if (hit) return hit.e;
      const e = objective(full(z));
      evals++;
      return e;
    };

    let z = restrict(x);
    let atZ: Evaluation = { f: at.f, g: restrict(at.g) };
    const before = at.f;
    let iterations = 0;
    let memory = EMPTY_MEMORY;
    let h: Float64Array | undefined;
    for (let k = 0; k < opts.innerSteps; k++) {
      if (maxAbs(atZ.g) < opts.inner.tolerance) break;
      const inner = opts.inner;
      let next: { z: Float64Array; at: Evaluation } | undefined;
      if (inner.name === 'lbfgs') {
        const r = lbfgsStep(blockObjective, z, atZ, memory, {
          lr: inner.lr,
          history: inner.history,
          tolerance: inner.tolerance,
        });
        memory = r.memory;
        if (!r.stalled) next = { z: r.x, at: r.at };
      } else if (inner.name === 'bfgs') {
        const r = bfgsStep(blockObjective, z, atZ, h, { lr: inner.lr });
        h = r.h;
        if (!r.stalled) next = { z: r.x, at: r.at };
      } else if (inner.name === 'newton') {
        if (!opts.hessian) throw new Error('internal: coordinate with newton needs the Hessian');
        const hf = opts.hessian(full(z));
        const n = x.length;
        const hb = new Float64Array(m * m);
        for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) hb[a * m + b] = hf[idx[a] * n + idx[b]];
        const dir = newtonDirection(hb, atZ.g, m, inner.damping);
        if (dir) next = backtrack(blockObjective, z, atZ, dir.d, inner.lr);
      } else {
        const g = atZ.g;
        next = backtrack(
          blockObjective,
          z,
          atZ,
          g.map((v) => -v),
          inner.lr,
        );
      }
      if (!next || !(next.at.f <= atZ.f)) break;
      const moved = next.z.some((v, j) => v !== z[j]);
      z = next.z;
      atZ = next.at;
      iterations++;
      if (!moved) break;
    }
    x = full(z);
    at = lookup(z);
    visits.push({ block: block.name, before, after: at.f, iterations });
  }
  return { x, at, visits, evals };
}

/** x + t·d for t = lr, lr/2, …: the first that does not raise f, or undefined. */
function backtrack(
  objective: Objective,
  z: Float64Array,
  at: Evaluation,
  d: Float64Array,
  lr: number,
): { z: Float64Array; at: Evaluation } | undefined {
  let t = lr;
  for (let k = 0; k < NEWTON_BACKTRACKS; k++, t /= 2) {
    const y = Float64Array.from(z, (v, j) => v + t * d[j]);
    const e = objective(y);
    if (e.f <= at.f) return { z: y, at: e };
  }
  return undefined;
}
