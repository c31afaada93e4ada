/**
 * Optimisation problems for research and property tests: each builds a fresh graph (its params
 * with literal starting values, its `loss` output) and states what is known about it (the
 * minimum, the minimiser, the Hessian's spectrum), so a property can compare an optimiser's
 * trajectory with theory. They are deterministic functions of their arguments; the fast-check
 * arbitraries in `arbitraries.ts` draw those arguments.
 */
import { concat, type Graph, graph, init, normalAt, type TensorLike, uniformAt } from '@gradus/autodiff';
import { symmetricWithEigenvalues } from '../curvature/symmetric-eigen.js';

export interface Problem {
  readonly name: string;
  /** Numbers in all params together (the flat vectors of a trajectory have this length). */
  readonly dim: number;
  /** The starting point, flat: the params in declaration order, each row-major. */
  readonly x0: readonly number[];
  /** A fresh graph with the params (starting at x0) and a scalar `loss` output. */
  build(): Graph;
  /** Inputs the graph reads at step k (0-based): data, or noise for stochastic problems. */
  feeds?(step: number): Readonly<Record<string, TensorLike>>;
  /** The smallest value of the loss, when known. */
  readonly minimum?: number;
  /** Where it is attained, flat, when known and unique. */
  readonly minimizer?: readonly number[];
  /** The Hessian's eigenvalues, descending, when constant (quadratics). */
  readonly eigenvalues?: readonly number[];
  /**
   * The (noiseless) loss at a flat point, computed on the host in closed form, when the problem
   * has one: for points the optimiser never visited (averaged or extrapolated iterates).
   */
  objective?(x: ArrayLike<number>): number;
}

export interface QuadraticOptions {
  /** The Hessian's eigenvalues (any order; all ≥ 0 for a convex problem). */
  readonly eigenvalues: readonly number[];
  /** The Householder vector that rotates diag(λ) into a dense A (default: no rotation). */
  readonly rotation?: readonly number[];
  readonly x0: readonly number[];
  /** The minimiser (default 0). */
  readonly xStar?: readonly number[];
}

/**
 * f(x) = ½(x − x*)ᵀA(x − x*) with A = Q·diag(λ)·Qᵀ: minimum 0 at x*, Hessian A everywhere. The
 * lectures' analysis of gradient descent is exact here: it converges iff lr < 2/λmax, fastest at
 * 2/(λmin + λmax), where ‖x − x*‖ shrinks by (κ−1)/(κ+1) per step.
 */
export function quadraticProblem(o: QuadraticOptions): Problem {
  const n = o.eigenvalues.length;
  if (o.x0.length !== n)
    throw new Error(`quadraticProblem: x0 has ${o.x0.length} entries for ${n} eigenvalues`);
  const xStar = o.xStar ?? new Array<number>(n).fill(0);
  const a = o.rotation
    ? symmetricWithEigenvalues(o.eigenvalues, o.rotation)
    : o.eigenvalues.map((l, i) => o.eigenvalues.map((_, j) => (i === j ? l : 0)));
  const sorted = [...o.eigenvalues].sort((p, q) => q - p);
  return {
    name: `quadratic(n = ${n}, κ = ${(sorted[0] / sorted[n - 1]).toPrecision(3)})`,
    dim: n,
    x0: [...o.x0],
    build: () => {
      const g = graph();
      const x = g.param('x', [n], init.literal([...o.x0]));
      const d = x.sub(g.constant([...xStar])).reshape([n, 1]);
      const loss = d.matMul(g.constant(a), { transA: true }).matMul(d).reshape([]).mul(0.5);
      g.output('loss', loss, 'loss');
      return g;
    },
    minimum: 0,
    minimizer: [...xStar],
    eigenvalues: sorted,
    objective: (x) => {
      const d = xStar.map((v, i) => x[i] - v);
      return 0.5 * a.reduce((s, row, i) => s + d[i] * row.reduce((t, aij, j) => t + aij * d[j], 0), 0);
    },
  };
}

export interface SaddleOptions {
  /** Curvature a > 0 of the stable direction x. */
  readonly a?: number;
  /** Curvature −b < 0 of the unstable direction y at the saddle. */
  readonly b?: number;
  /** Standard deviation of the gradient noise added at every step (0: none). */
  readonly noise?: number;
  /** Seed of the noise. */
  readonly seed?: number;
  /** Start (default (1, 0): on the saddle's stable manifold, where gradient descent stays). */
  readonly x0?: readonly [number, number];
}

/**
 * f(x, y) = ½a·x² − ½b·y² + ¼b·y⁴ + noiseᵀ(x, y): a saddle at the origin, minima −b/4 at
 * (0, ±1). From a start with y = 0 the gradient never has a y component, so noiseless gradient
 * descent converges to the saddle; noise (a fresh normal draw per step, fed as the input `noise`,
 * the way a minibatch gradient is noisy) pushes y off 0 and the unstable curvature does the rest.
 */
export function saddleProblem(o: SaddleOptions = {}): Problem {
  const a = o.a ?? 1;
  const b = o.b ?? 1;
  const sigma = o.noise ?? 0;
  const seed = o.seed ?? 0;
  const x0 = o.x0 ?? [1, 0];
  return {
    name: `saddle(a = ${a}, b = ${b}, noise = ${sigma})`,
    dim: 2,
    x0: [...x0],
    build: () => {
      const g = graph();
      const p = g.param('p', [2], init.literal([...x0]));
      const x = p.index([0]);
      const y = p.index([1]);
      const y2 = y.square();
      let loss = x
        .square()
        .mul(a / 2)
        .sub(y2.mul(b / 2))
        .add(y2.square().mul(b / 4));
      if (sigma > 0) loss = loss.add(p.mul(g.input('noise', [2])).sum());
      g.output('loss', loss, 'loss');
      return g;
    },
    ...(sigma > 0
      ? {
          feeds: (k: number) => ({
            noise: {
              shape: [2],
              dtype: 'f64',
              data: Float64Array.of(sigma * normalAt(seed, 7, k, 0), sigma * normalAt(seed, 7, k, 1)),
            },
          }),
        }
      : {}),
    minimum: -b / 4,
    objective: (p) => (a / 2) * p[0] ** 2 - (b / 2) * p[1] ** 2 + (b / 4) * p[1] ** 4,
  };
}

export interface MlpOptions {
  readonly inputs?: number;
  readonly hidden?: number;
  readonly classes?: number;
  readonly examples?: number;
  /** Seed of the data and the starting params. */
  readonly seed?: number;
  readonly activation?: 'tanh' | 'relu';
  /** L2 strength on the weights (default 0). */
  readonly l2?: number;
}

/**
 * A one-hidden-layer classifier, mean softmax cross-entropy over random data (standard normal
 * inputs, uniformly drawn labels) held in the graph as constants: full-batch, deterministic,
 * non-convex. Starting weights are N(0, 1/fan_in), biases 0.
 */
export function mlpProblem(o: MlpOptions = {}): Problem {
  const D = o.inputs ?? 2;
  const H = o.hidden ?? 8;
  const C = o.classes ?? 3;
  const N = o.examples ?? 20;
  const seed = o.seed ?? 0;
  const act = o.activation ?? 'tanh';
  const normals = (stream: number, count: number, scale: number) =>
    Array.from({ length: count }, (_, i) => scale * normalAt(seed, stream, 0, i));
  const xs = normals(1, N * D, 1);
  const ys = Array.from({ length: N }, (_, i) => Math.floor(C * uniformAt(seed, 2, 0, i)));
  const w1 = normals(3, D * H, 1 / Math.sqrt(D));
  const w2 = normals(4, H * C, 1 / Math.sqrt(H));
  const x0 = [...w1, ...new Array<number>(H).fill(0), ...w2, ...new Array<number>(C).fill(0)];
  return {
    name: `mlp(${D}→${H}→${C}, ${act}, ${N} examples)`,
    dim: x0.length,
    x0,
    build: () => {
      const g = graph();
      const W1 = g.param('W1', [D, H], init.literal(w1));
      const b1 = g.param('b1', [H]);
      const W2 = g.param('W2', [H, C], init.literal(w2));
      const b2 = g.param('b2', [C]);
      const x = g.constant(xs, 'f64', [N, D]);
      const y = g.constant(ys, 'i32', [N]);
      const pre = x.matMul(W1).add(b1);
      const h = act === 'tanh' ? pre.tanh() : pre.relu();
      let loss = h.matMul(W2).add(b2).crossEntropy(y).mean();
      if (o.l2)
        loss = loss.add(
          concat([W1.reshape([D * H]), W2.reshape([H * C])], 0)
            .square()
            .sum()
            .mul(o.l2),
        );
      g.output('loss', loss, 'loss');
      return g;
    },
  };
}
