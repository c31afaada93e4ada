/**
 * fast-check arbitraries for property tests of ops, gradients, passes and backends: shapes,
 * broadcast-compatible shape lists, tensors whose values keep clear of an op's kinks and domain
 * edges, integer labels, and random expression graphs over the op set. Everything is a pure
 * function of fast-check's random stream, so a failing case replays from its seed and path.
 */
import fc from 'fast-check';
import { concat } from '../composites.js';
import type { DType } from '../dtype.js';
import type { NestedArray } from '../tensor.js';
import type { Value } from '../value.js';
import type { CheckArg } from './gradcheck.js';

// ---- shapes ----------------------------------------------------------------------------------

export interface ShapeOptions {
  readonly minRank?: number;
  readonly maxRank?: number;
  readonly minDim?: number;
  readonly maxDim?: number;
}

/** A concrete shape: rank in [minRank, maxRank] (default 0–3), each dim in [minDim, maxDim] (default 1–3). */
export function shapeArb(o: ShapeOptions = {}): fc.Arbitrary<number[]> {
  const dim = fc.integer({ min: o.minDim ?? 1, max: o.maxDim ?? 3 });
  return fc.array(dim, { minLength: o.minRank ?? 0, maxLength: o.maxRank ?? 3 });
}

/**
 * `count` shapes that broadcast together (NumPy rules): each is a drawn `full` shape with some
 * leading axes dropped and some axes set to 1. `out` is their broadcast shape; every operand
 * also broadcasts to `full` (which `out` may fall short of when all operands drop an axis).
 */
export function broadcastShapesArb(
  count = 2,
  o: ShapeOptions = {},
): fc.Arbitrary<{ shapes: number[][]; out: number[]; full: number[] }> {
  return shapeArb(o).chain((full) => {
    const operand = fc
      .tuple(
        fc.integer({ min: 0, max: full.length }),
        fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
      )
      .map(([drop, ones]) => full.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
    return fc
      .array(operand, { minLength: count, maxLength: count })
      .map((shapes) => ({ shapes, out: broadcastOf(shapes) as number[], full }));
  });
}

export function sizeOfShape(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

// ---- values ----------------------------------------------------------------------------------

/**
 * Where an op's inputs may lie. `gap` keeps every value at least that far from 0 (kinks of
 * abs, relu, sign); `separation` keeps the values of one tensor (or of tensors drawn together)
 * that far apart (ties of max, min, argmax). Bounds are inclusive.
 */
export interface Domain {
  readonly min: number;
  readonly max: number;
  readonly gap?: number;
  readonly separation?: number;
}

/** Domains the op table uses; finite differences with eps ≈ 1e-6 never cross a kink or edge. */
export const domains = {
  /** Anywhere in a range where every op is well-conditioned. */
  any: { min: -2, max: 2 },
  /** log, sqrt, and the base of pow. */
  positive: { min: 0.1, max: 3 },
  /** Kinks at zero: abs, relu, leaky relu, l1. */
  awayFromZero: { min: -2, max: 2, gap: 0.05 },
  /** Divisors. */
  nonSmall: { min: -2.5, max: 2.5, gap: 0.2 },
  /** No near-ties: max, min, argmax, maximum, minimum. */
  distinct: { min: -2, max: 2, separation: 0.05 },
} as const satisfies Record<string, Domain>;

/** Width of the part of (-gap, gap) inside [min, max]: values are generated in [min, max - hole] and shifted past it. */
function holeOf(d: Domain): { lo: number; width: number } {
  const gap = d.gap ?? 0;
  const lo = Math.max(d.min, -gap);
  const hi = Math.min(d.max, gap);
  return { lo, width: hi > lo ? hi - lo : 0 };
}

/** Maps t ∈ [min, max − hole] onto [min, max] without (−gap, gap); order-preserving and never contracting. */
function skipHole(t: number, hole: { lo: number; width: number }): number {
  return hole.width > 0 && t >= hole.lo ? t + hole.width : t;
}

/** One number of a domain (no separation constraint). */
export function scalarArb(d: Domain): fc.Arbitrary<number> {
  const hole = holeOf(d);
  return fc.double({ min: d.min, max: d.max - hole.width, noNaN: true }).map((t) => skipHole(t, hole) + 0); // + 0 turns -0 into 0
}

/**
 * `n` numbers of a domain. With `separation`, they are pairwise at least that far apart: sorted
 * offsets plus i·separation, then put in an order drawn by fast-check.
 */
export function valuesArb(n: number, d: Domain): fc.Arbitrary<number[]> {
  const sep = d.separation ?? 0;
  if (sep <= 0) return fc.array(scalarArb(d), { minLength: n, maxLength: n });
  const hole = holeOf(d);
  const room = d.max - hole.width - d.min - (n - 1) * sep;
  if (room < 0)
    throw new RangeError(`valuesArb: ${n} values ${sep} apart do not fit in [${d.min}, ${d.max}]`);
  return fc
    .tuple(
      fc.array(fc.double({ min: 0, max: room, noNaN: true }), { minLength: n, maxLength: n }),
      fc.array(fc.nat(), { minLength: n, maxLength: n }),
    )
    .map(([offsets, keys]) => {
      const sorted = [...offsets].sort((a, b) => a - b).map((o, i) => skipHole(d.min + o + i * sep, hole));
      const order = keys.map((k, i) => [k, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const out = new Array<number>(n);
      order.forEach(([, i], rank) => {
        out[i] = sorted[rank];
      });
      return out;
    });
}

/** Row-major flat data as nested arrays of `shape` (a plain number for a scalar). */
export function nest(shape: readonly number[], flat: readonly number[]): number | NestedArray {
  if (shape.length === 0) return flat[0];
  const [n, ...rest] = shape;
  const inner = sizeOfShape(rest);
  return Array.from({ length: n }, (_, i) =>
    rest.length === 0 ? flat[i] : nest(rest, flat.slice(i * inner, (i + 1) * inner)),
  ) as NestedArray;
}

/** A float tensor of `shape` with values in `d`, as nested arrays (what `gradcheck` takes). */
export function tensorArb(
  shape: readonly number[],
  d: Domain = domains.any,
): fc.Arbitrary<number | NestedArray> {
  return valuesArb(sizeOfShape(shape), d).map((flat) => nest(shape, flat));
}

/** Several tensors drawn together, so `separation` holds across all of them (maximum(a, b) has no ties). */
export function tensorsArb(
  shapes: readonly (readonly number[])[],
  d: Domain = domains.any,
): fc.Arbitrary<(number | NestedArray)[]> {
  const sizes = shapes.map(sizeOfShape);
  const total = sizes.reduce((a, b) => a + b, 0);
  return valuesArb(total, d).map((flat) => {
    let at = 0;
    return shapes.map((s, i) => {
      const t = nest(s, flat.slice(at, at + sizes[i]));
      at += sizes[i];
      return t;
    });
  });
}

/** A held-fixed (non-differentiated) argument of `gradcheck`. */
export function fixedArg(value: number | NestedArray, dtype: DType): CheckArg {
  return { value, dtype, differentiate: false };
}

/** Integer class labels in [0, classes) of `shape`, as an i32 argument that gets no gradient. */
export function labelsArb(shape: readonly number[], classes: number): fc.Arbitrary<CheckArg> {
  return fc
    .array(fc.integer({ min: 0, max: classes - 1 }), {
      minLength: sizeOfShape(shape),
      maxLength: sizeOfShape(shape),
    })
    .map((flat) => fixedArg(nest(shape, flat), 'i32'));
}

/** A bool mask of `shape` (as 0/1), e.g. the condition of `where`. */
export function maskArb(shape: readonly number[]): fc.Arbitrary<CheckArg> {
  return fc
    .array(fc.boolean(), { minLength: sizeOfShape(shape), maxLength: sizeOfShape(shape) })
    .map((flat) =>
      fixedArg(
        nest(
          shape,
          flat.map((b) => (b ? 1 : 0)),
        ),
        'bool',
      ),
    );
}

// ---- random expression graphs -----------------------------------------------------------------

/** What the planner knows of an intermediate value: its shape, an enclosing interval, and how far apart its elements are. */
interface Abstract {
  readonly shape: readonly number[];
  readonly lo: number;
  readonly hi: number;
  /** A lower bound on |x_i − x_j| for i ≠ j (0: ties possible). */
  readonly sep: number;
}

interface Step {
  readonly label: string;
  readonly args: readonly number[];
  readonly apply: (xs: readonly Value[]) => Value;
  readonly result: Abstract;
}

/** One random expression graph: feed `inputs` to `build` (e.g. through `gradcheck`). */
export interface ExprGraph {
  readonly inputs: (number | NestedArray)[];
  readonly shapes: number[][];
  /** The composition, one line per op: `v3 = matMul(v1, v2ᵀ)`. */
  readonly steps: readonly string[];
  readonly build: (...xs: Value[]) => Value;
}

export interface ExprGraphOptions {
  /** Number of inputs, 1–3 by default. */
  readonly minInputs?: number;
  readonly maxInputs?: number;
  /** Ops per graph (default 1–8). */
  readonly minOps?: number;
  readonly maxOps?: number;
  /** Input shapes (default rank 0–3, dims 1–3). */
  readonly shape?: ShapeOptions;
}

/** Every intermediate stays within ±BOUND, so central differences keep full relative accuracy. */
const BOUND = 25;
/** No intermediate holds more elements than this (matmul, broadcast and concat grow tensors). */
const MAX_ELEMENTS = 36;
/** Input values: within ±2 and pairwise this far apart, so max/min reductions of inputs never tie. */
const INPUT_DOMAIN: Domain = { min: -2, max: 2, separation: 0.05 };
/** Below this separation a max/min reduction might see a near-tie. */
const MIN_SEP = 1e-3;

const interval = (lo: number, hi: number) => ({ lo, hi });
const corners = (xs: readonly number[]) => interval(Math.min(...xs), Math.max(...xs));
const absMax = (a: Abstract) => Math.max(Math.abs(a.lo), Math.abs(a.hi));
const tanhD = (x: number) => 1 - Math.tanh(x) ** 2;
const sigm = (x: number) => 1 / (1 + Math.exp(-x));
const softplusN = (x: number) => Math.log1p(Math.exp(x));

/** The k-th permutation of 0..n-1 (Lehmer code). */
function permutationAt(n: number, k: number): number[] {
  const pool = Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let m = n; m > 0; m--) {
    const f = factorial(m - 1);
    const i = Math.floor(k / f) % m;
    out.push(pool.splice(i, 1)[0]);
    k %= f;
  }
  return out;
}

function factorial(n: number): number {
  return n <= 1 ? 1 : n * factorial(n - 1);
}

/** The broadcast of concrete shapes, or undefined when they do not broadcast. */
function broadcastOf(shapes: readonly (readonly number[])[]): number[] | undefined {
  const n = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let d = 1;
    for (const s of shapes) {
      const e = s[s.length - n + i] ?? 1;
      if (e !== 1 && d !== 1 && e !== d) return undefined;
      if (e !== 1) d = e;
    }
    out.push(d);
  }
  return out;
}

const ok = (r: Omit<Abstract, 'sep'> & { sep?: number }): Abstract | undefined =>
  Number.isFinite(r.lo) &&
  Number.isFinite(r.hi) &&
  Math.max(Math.abs(r.lo), Math.abs(r.hi)) <= BOUND &&
  sizeOfShape(r.shape) <= MAX_ELEMENTS
    ? { ...r, sep: r.sep ?? 0 }
    : undefined;

type Candidate = Omit<Step, 'args'> & { readonly args: readonly number[] };

/**
 * The ops that apply to pool value `i` (with partner `j` for binary ops), each with its result's
 * abstract value. Ops whose inputs would come near a kink or domain edge, or whose result could
 * leave ±BOUND, are not offered: the graph is differentiable wherever the inputs lie.
 */
function candidates(pool: readonly Abstract[], i: number, j: number, param: number): Candidate[] {
  const a = pool[i];
  const out: Candidate[] = [];
  const r = a.shape.length;
  const push = (label: string, args: number[], apply: Step['apply'], res: Abstract | undefined) => {
    if (res) out.push({ label, args, apply, result: res });
  };
  const un = (label: string, f: (x: Value) => Value, res: Abstract | undefined) =>
    push(`${label}(v${i})`, [i], ([x]) => f(x), res);
  const s = a.shape;

  // Elementwise unary.
  un('neg', (x) => x.neg(), ok({ shape: s, lo: -a.hi, hi: -a.lo, sep: a.sep }));
  if (a.hi <= 3)
    un(
      'exp',
      (x) => x.exp(),
      ok({ shape: s, lo: Math.exp(a.lo), hi: Math.exp(a.hi), sep: a.sep * Math.exp(a.lo) }),
    );
  if (a.lo >= 0.1) {
    un('log', (x) => x.log(), ok({ shape: s, lo: Math.log(a.lo), hi: Math.log(a.hi), sep: a.sep / a.hi }));
    un(
      'sqrt',
      (x) => x.sqrt(),
      ok({ shape: s, lo: Math.sqrt(a.lo), hi: Math.sqrt(a.hi), sep: a.sep / (2 * Math.sqrt(a.hi)) }),
    );
  }
  if (a.lo >= 0.05 || a.hi <= -0.05) {
    const pos = a.lo > 0;
    un('abs', (x) => x.abs(), ok({ shape: s, lo: pos ? a.lo : -a.hi, hi: pos ? a.hi : -a.lo, sep: a.sep }));
    un(
      'relu',
      (x) => x.relu(),
      ok({ shape: s, lo: pos ? a.lo : 0, hi: pos ? a.hi : 0, sep: pos ? a.sep : 0 }),
    );
    un(
      'leakyRelu',
      (x) => x.leakyRelu(0.1),
      ok({
        shape: s,
        lo: pos ? a.lo : 0.1 * a.lo,
        hi: pos ? a.hi : 0.1 * a.hi,
        sep: pos ? a.sep : 0.1 * a.sep,
      }),
    );
  }
  const m = absMax(a);
  un(
    'tanh',
    (x) => x.tanh(),
    ok({ shape: s, lo: Math.tanh(a.lo), hi: Math.tanh(a.hi), sep: a.sep * tanhD(m) }),
  );
  un(
    'sigmoid',
    (x) => x.sigmoid(),
    ok({ shape: s, lo: sigm(a.lo), hi: sigm(a.hi), sep: a.sep * sigm(m) * sigm(-m) }),
  );
  un(
    'softplus',
    (x) => x.softplus(),
    ok({ shape: s, lo: softplusN(a.lo), hi: softplusN(a.hi), sep: a.sep * sigm(a.lo) }),
  );
  un('sin', (x) => x.sin(), ok({ shape: s, lo: -1, hi: 1 }));
  un('cos', (x) => x.cos(), ok({ shape: s, lo: -1, hi: 1 }));
  if (m <= 4) {
    const straddles = a.lo < 0 && a.hi > 0;
    un(
      'square',
      (x) => x.square(),
      ok({ shape: s, lo: straddles ? 0 : Math.min(a.lo ** 2, a.hi ** 2), hi: m * m }),
    );
  }
  const c = [-1.5, 0.5, 2][param % 3];
  un(
    `mul[${c}]`,
    (x) => x.mul(c),
    ok({ shape: s, ...corners([a.lo * c, a.hi * c]), sep: a.sep * Math.abs(c) }),
  );
  const k = [-1, 0.5, 1.5][param % 3];
  un(`add[${k}]`, (x) => x.add(k), ok({ shape: s, lo: a.lo + k, hi: a.hi + k, sep: a.sep }));

  // Elementwise binary, broadcasting against partner j (or a itself).
  const b = pool[j];
  const bs = broadcastOf([a.shape, b.shape]);
  if (bs) {
    const bin = (label: string, f: (x: Value, y: Value) => Value, res: Abstract | undefined) =>
      push(`${label}(v${i}, v${j})`, [i, j], ([x, y]) => f(x, y), res);
    bin('add', (x, y) => x.add(y), ok({ shape: bs, lo: a.lo + b.lo, hi: a.hi + b.hi }));
    bin('sub', (x, y) => x.sub(y), ok({ shape: bs, lo: a.lo - b.hi, hi: a.hi - b.lo }));
    bin(
      'mul',
      (x, y) => x.mul(y),
      ok({ shape: bs, ...corners([a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]) }),
    );
    if (b.lo >= 0.2 || b.hi <= -0.2) {
      const inv = [1 / b.lo, 1 / b.hi];
      bin('div', (x, y) => x.div(y), ok({ shape: bs, ...corners(inv.flatMap((v) => [a.lo * v, a.hi * v])) }));
    }
    if (a.lo >= 0.2 && b.lo >= -3 && b.hi <= 3) {
      bin(
        'pow',
        (x, y) => x.pow(y),
        ok({ shape: bs, ...corners([a.lo ** b.lo, a.lo ** b.hi, a.hi ** b.lo, a.hi ** b.hi]) }),
      );
    }
    // Disjoint intervals: one operand always wins, so there is no tie anywhere nearby.
    if (a.hi + 0.05 <= b.lo || b.hi + 0.05 <= a.lo) {
      const aLow = a.hi < b.lo;
      const [low, high] = aLow ? [a, b] : [b, a];
      bin('maximum', (x, y) => x.maximum(y), ok({ shape: bs, lo: high.lo, hi: high.hi }));
      bin('minimum', (x, y) => x.minimum(y), ok({ shape: bs, lo: low.lo, hi: low.hi }));
    }
  }

  // Reductions over a nonempty subset of axes.
  if (r >= 1) {
    const mask = (param % ((1 << r) - 1)) + 1;
    const axes = Array.from({ length: r }, (_, d) => d).filter((d) => mask & (1 << d));
    const keepdims = (param >> 3) % 2 === 1;
    const rs = keepdims
      ? s.map((d, ax) => (axes.includes(ax) ? 1 : d))
      : s.filter((_, ax) => !axes.includes(ax));
    const n = axes.reduce((p, ax) => p * s[ax], 1);
    const red = (label: string, f: (x: Value) => Value, res: Abstract | undefined) =>
      un(`${label}[axes ${axes.join(',')}${keepdims ? ', keepdims' : ''}]`, f, res);
    const opts = { axis: axes, keepdims };
    red('sum', (x) => x.sum(opts), ok({ shape: rs, lo: a.lo * n, hi: a.hi * n }));
    red('mean', (x) => x.mean(opts), ok({ shape: rs, lo: a.lo, hi: a.hi }));
    red('logsumexp', (x) => x.logsumexp(opts), ok({ shape: rs, lo: a.lo, hi: a.hi + Math.log(n) }));
    if (a.sep >= MIN_SEP) {
      red('max', (x) => x.max(opts), ok({ shape: rs, lo: a.lo, hi: a.hi }));
      red('min', (x) => x.min(opts), ok({ shape: rs, lo: a.lo, hi: a.hi }));
    }
    const axis = param % r;
    const nAxis = s[axis];
    un(`softmax[axis ${axis}]`, (x) => x.softmax(axis), ok({ shape: s, lo: 0, hi: 1 }));
    un(
      `logSoftmax[axis ${axis}]`,
      (x) => x.logSoftmax(axis),
      ok({ shape: s, lo: a.lo - a.hi - Math.log(nAxis), hi: 0 }),
    );
  }

  // Matrix product with a partner whose last two axes fit (a with itself, transposed, always does).
  if (r >= 2) {
    const kA = s[r - 1];
    const prods = corners([a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]);
    const rb = b.shape.length;
    const batch = rb >= 2 ? broadcastOf([s.slice(0, -2), b.shape.slice(0, -2)]) : undefined;
    if (batch && b.shape[rb - 2] === kA) {
      push(
        `matMul(v${i}, v${j})`,
        [i, j],
        ([x, y]) => x.matMul(y),
        ok({
          shape: [...batch, s[r - 2], b.shape[rb - 1]],
          lo: prods.lo * kA,
          hi: prods.hi * kA,
        }),
      );
    }
    const self = corners([a.lo * a.lo, a.lo * a.hi, a.hi * a.hi]);
    push(
      `matMul(v${i}, v${i}ᵀ)`,
      [i],
      ([x]) => x.matMul(x, { transB: true }),
      ok({
        shape: [...s.slice(0, -2), s[r - 2], s[r - 2]],
        lo: Math.min(self.lo * kA, 0),
        hi: self.hi * kA,
      }),
    );
  }

  // Shape ops: same elements, so the interval and separation carry over (broadcast and concat duplicate).
  const same = (shape: number[]) => ok({ shape, lo: a.lo, hi: a.hi, sep: a.sep });
  if (r !== 1) un('reshape[-1]', (x) => x.reshape([-1]), same([sizeOfShape(s)]));
  if (r < 3) {
    const at = param % (r + 1);
    const expanded = [...s.slice(0, at), 1, ...s.slice(at)];
    un(`reshape[${expanded.join(',')}]`, (x) => x.reshape(expanded), same(expanded));
    const wide = [2, ...s];
    un(`broadcastTo[${wide.join(',')}]`, (x) => x.broadcastTo(wide), ok({ shape: wide, lo: a.lo, hi: a.hi }));
  }
  if (r >= 2) {
    const perm = permutationAt(r, (param % (factorial(r) - 1)) + 1); // never the identity
    un(`transpose[${perm.join(',')}]`, (x) => x.transpose(perm), same(perm.map((p) => s[p])));
  }
  const sliceable = s.map((d, ax) => (d >= 2 ? ax : -1)).filter((ax) => ax >= 0);
  if (sliceable.length > 0) {
    const axis = sliceable[param % sliceable.length];
    const d = s[axis];
    const start = param % d;
    const end = start + 1 + ((param >> 2) % (d - start));
    const specs = s.map((_, ax) => (ax === axis ? { start, end } : ('all' as const)));
    un(
      `slice[axis ${axis}, ${start}:${end}]`,
      (x) => x.index(specs),
      same(s.map((dd, ax) => (ax === axis ? end - start : dd))),
    );
    const drop = s.map((_, ax) => (ax === axis ? start : ('all' as const)));
    un(`index[axis ${axis} = ${start}]`, (x) => x.index(drop), same(s.filter((_, ax) => ax !== axis)));
  }
  if (r >= 1) {
    const axis = param % r;
    const joined = s.map((d, ax) => (ax === axis ? 2 * d : d));
    un(
      `concat[v${i}, v${i}; axis ${axis}]`,
      (x) => concat([x, x], axis),
      ok({ shape: joined, lo: a.lo, hi: a.hi }),
    );
  }
  return out;
}

/** Turns fast-check's instruction numbers into a well-shaped, kink-free composition over the inputs. */
function plan(shapes: readonly number[][], instrs: readonly (readonly number[])[]): Step[] {
  const pool: Abstract[] = shapes.map((shape) => ({
    shape,
    lo: INPUT_DOMAIN.min,
    hi: INPUT_DOMAIN.max,
    sep: INPUT_DOMAIN.separation ?? 0,
  }));
  const steps: Step[] = [];
  for (const [opPick, argPick, partnerPick, param] of instrs) {
    // Favour the newest value, so compositions get deep rather than wide.
    const pick = argPick % (pool.length + 2);
    const i = pick >= pool.length ? pool.length - 1 : pick;
    const j = partnerPick % pool.length;
    const options = candidates(pool, i, j, param);
    const c = options[opPick % options.length];
    steps.push({ ...c, label: `v${pool.length} = ${c.label}` });
    pool.push(c.result);
  }
  return steps;
}

/**
 * Random expression graphs for gradient properties: 1–3 inputs of random shapes, composed by
 * 1–8 random ops (elementwise unary and binary with broadcasting, reductions, softmax, matmul,
 * reshape, transpose, slice, index, broadcast, concat). Shapes are tracked while planning and
 * each intermediate value's range is bounded by interval arithmetic, so ops are only applied
 * where they are differentiable (log and sqrt of positive values, relu and abs away from 0,
 * max/min without ties, division by values away from 0) and nothing overflows.
 */
export function exprGraphArb(o: ExprGraphOptions = {}): fc.Arbitrary<ExprGraph> {
  const nat = fc.nat({ max: 1 << 20 });
  return fc
    .tuple(
      fc.array(shapeArb(o.shape ?? {}), { minLength: o.minInputs ?? 1, maxLength: o.maxInputs ?? 3 }),
      fc.array(fc.tuple(nat, nat, nat, nat), { minLength: o.minOps ?? 1, maxLength: o.maxOps ?? 8 }),
    )
    .chain(([shapes, instrs]) => {
      const steps = plan(shapes, instrs);
      const build = (...xs: Value[]): Value => {
        const vals = [...xs];
        for (const s of steps) vals.push(s.apply(s.args.map((k) => vals[k])));
        return vals[vals.length - 1];
      };
      const labels = [
        ...shapes.map((s, k) => `v${k} = input[${s.join(', ')}]`),
        ...steps.map((s) => s.label),
      ];
      return fc.tuple(...shapes.map((s) => tensorArb(s, INPUT_DOMAIN))).map(
        (inputs): ExprGraph =>
          ({
            inputs,
            shapes: shapes.map((s) => [...s]),
            steps: labels,
            build,
            [fc.toStringMethod]: () => `ExprGraph(${labels.join('; ')}; inputs ${JSON.stringify(inputs)})`,
          }) as ExprGraph,
      );
    });
}
