/**
 * fast-check arbitraries over the research problems: random quadratics with a chosen condition
 * number, random MLPs on random data, and saddles with or without gradient noise. Each draws the
 * arguments of a problem constructor, so a failing case shrinks and replays like any other.
 */
import fc from 'fast-check';
import { type MlpOptions, mlpProblem, type Problem, quadraticProblem, saddleProblem } from './problems.js';

type Range = number | { readonly min: number; readonly max: number };
const draw = (r: Range, integer = false): fc.Arbitrary<number> =>
  typeof r === 'number'
    ? fc.constant(r)
    : integer
      ? fc.integer({ min: r.min, max: r.max })
      : fc.double({ min: r.min, max: r.max, noNaN: true });

export interface QuadraticArbOptions {
  /** Dimension (default 2–6). */
  readonly dim?: Range;
  /** κ = λmax/λmin (default 1–100). */
  readonly condition?: Range;
  /** The largest eigenvalue (default 1). */
  readonly lambdaMax?: Range;
  /** Rotate the eigenbasis by a random reflection (default true): a dense Hessian. */
  readonly rotate?: boolean;
}

/**
 * A convex quadratic ½(x − x*)ᵀA(x − x*) whose Hessian has exactly condition number κ: its
 * eigenvalues are λmax, λmax/κ and, in between, log-uniform draws; the start is drawn from
 * [−1, 1]ⁿ at distance ≥ 0.1 from the minimiser.
 */
export function quadraticArb(o: QuadraticArbOptions = {}): fc.Arbitrary<Problem> {
  return fc
    .record({
      n: draw(o.dim ?? { min: 2, max: 6 }, true),
      kappa: draw(o.condition ?? { min: 1, max: 100 }),
      top: draw(o.lambdaMax ?? 1),
    })
    .chain(({ n, kappa, top }) => {
      const unit = fc.double({ min: -1, max: 1, noNaN: true });
      const vec = fc.array(unit, { minLength: n, maxLength: n });
      return fc
        .record({
          inner: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
          rotation: fc.array(fc.double({ min: 0.1, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
          x0: vec,
          xStar: vec,
        })
        .filter(({ x0, xStar }) => Math.hypot(...x0.map((v, i) => v - xStar[i])) >= 0.1)
        .map(({ inner, rotation, x0, xStar }) => {
          const low = top / kappa;
          const eigenvalues = inner.map((u, i) =>
            i === 0 ? top : i === n - 1 ? low : low * (top / low) ** u,
          );
          return quadraticProblem({
            eigenvalues,
            ...(o.rotate === false ? {} : { rotation }),
            x0,
            xStar,
          });
        });
    });
}

/** A random one-hidden-layer classifier on random data (sizes drawn from small ranges, or fixed). */
export function mlpArb(
  o: { [K in keyof MlpOptions]?: K extends 'activation' ? MlpOptions[K] : Range } = {},
): fc.Arbitrary<Problem> {
  return fc
    .record({
      inputs: draw(o.inputs ?? { min: 2, max: 4 }, true),
      hidden: draw(o.hidden ?? { min: 3, max: 10 }, true),
      classes: draw(o.classes ?? { min: 2, max: 4 }, true),
      examples: draw(o.examples ?? { min: 8, max: 30 }, true),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      l2: draw(o.l2 ?? 0),
    })
    .map((r) => mlpProblem({ ...r, ...(o.activation ? { activation: o.activation } : {}) }));
}

export interface SaddleArbOptions {
  readonly a?: Range;
  readonly b?: Range;
  /** Gradient noise σ (default 0: the noiseless saddle). */
  readonly noise?: Range;
}

/** The saddle ½a·x² − ½b·y² + ¼b·y⁴ started on its stable manifold (y = 0), with drawn curvatures and noise seed. */
export function saddleArb(o: SaddleArbOptions = {}): fc.Arbitrary<Problem> {
  return fc
    .record({
      a: draw(o.a ?? { min: 0.5, max: 2 }),
      b: draw(o.b ?? { min: 0.5, max: 2 }),
      noise: draw(o.noise ?? 0),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      x: fc.double({ min: 0.2, max: 2, noNaN: true }),
    })
    .map(({ a, b, noise, seed, x }) => saddleProblem({ a, b, noise, seed, x0: [x, 0] }));
}
