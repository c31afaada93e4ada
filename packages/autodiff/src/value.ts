import * as C from './composites.js';
import { diagnostic, GradusError } from './diagnostic.js';
import { addDims, divDims, productOfDims, subDims } from './dim-expr.js';
import { type DType, type FloatDType, isFloat, promote } from './dtype.js';
import type { Graph } from './graph.js';
import type { Attrs, Node } from './node.js';
import type { OpName } from './ops/index.js';
import { type Dim, formatShape, normalizeAxis, type Shape, shapeSize } from './shape.js';

/** Axis selection for reductions: one axis, several, or all (undefined). */
export interface AxisOptions {
  readonly axis?: number | readonly number[];
  readonly keepdims?: boolean;
}

/**
 * One index of `x.index(...)`: a position (drops the axis), a range, or the whole axis.
 * Positions and bounds may be symbolic dims (`'T - 1'`); negative numbers count from the end.
 */
export type IndexSpec = Dim | { readonly start?: Dim; readonly end?: Dim } | 'all';

/**
 * A handle on a graph node with a fluent, typed API: `x.matMul(W).add(b).relu()`.
 * Numbers mix freely with values (`x.mul(2)`); they take the value's dtype, like JAX's weak
 * types. Every method adds nodes to the value's graph; nothing is computed until evaluation.
 */
export class Value {
  constructor(
    readonly g: Graph,
    readonly node: Node,
  ) {}

  get shape(): Shape {
    return this.node.shape;
  }
  get dtype(): DType {
    return this.node.dtype;
  }
  get rank(): number {
    return this.node.shape.length;
  }

  toString(): string {
    return `Value(${this.node.op} ${this.dtype}${formatShape(this.shape)})`;
  }

  // ---- plumbing ---------------------------------------------------------------------------

  /** Adds `op(this, ...others)` to the graph. */
  op(op: OpName, others: readonly Value[] = [], attrs: Attrs = {}): Value {
    for (const o of others) {
      if (o.g !== this.g)
        throw new GradusError(diagnostic('E0209', `${op}: operands belong to different graphs`));
    }
    return this.g.value(this.g.add(op, [this.node, ...others.map((o) => o.node)], attrs));
  }

  /** A number becomes a scalar constant of `dtype`. */
  private lift(x: Value | number, dtype: DType): Value {
    return typeof x === 'number' ? this.g.constant(x, dtype) : x;
  }

  /** Both operands in one dtype: arithmetic promotes (bool counts as int); `needFloat` for / and ^. */
  private coerce(other: Value | number, needFloat = false): [Value, Value] {
    let target: DType;
    if (typeof other === 'number') {
      target = this.dtype === 'bool' ? 'i32' : this.dtype;
      if (target === 'i32' && !Number.isInteger(other)) target = this.g.floatDtype;
    } else {
      target = promote(
        this.dtype === 'bool' ? 'i32' : this.dtype,
        other.dtype === 'bool' ? 'i32' : other.dtype,
      );
    }
    if (needFloat && !isFloat(target)) target = this.g.floatDtype;
    return [this.castTo(target), this.lift(other, target).castTo(target)];
  }

  private binary(op: OpName, other: Value | number, needFloat = false): Value {
    const [a, b] = this.coerce(other, needFloat);
    return a.op(op, [b]);
  }

  /** Float operand for float-only unary ops: integers convert to the graph's float dtype. */
  private float(): Value {
    return isFloat(this.dtype) ? this : this.castTo(this.g.floatDtype);
  }

  castTo(dtype: DType): Value {
    return dtype === this.dtype ? this : this.op('Cast', [], { dtype });
  }
  toFloat(dtype: FloatDType = this.g.floatDtype): Value {
    return isFloat(this.dtype) ? this : this.castTo(dtype);
  }

  // ---- arithmetic -------------------------------------------------------------------------

  add(o: Value | number): Value {
    return this.binary('Add', o);
  }
  sub(o: Value | number): Value {
    return this.binary('Sub', o);
  }
  mul(o: Value | number): Value {
    return this.binary('Mul', o);
  }
  div(o: Value | number): Value {
    return this.binary('Div', o, true);
  }
  pow(o: Value | number): Value {
    return this.binary('Pow', o, true);
  }
  maximum(o: Value | number): Value {
    return this.binary('Maximum', o);
  }
  minimum(o: Value | number): Value {
    return this.binary('Minimum', o);
  }
  neg(): Value {
    return (this.dtype === 'bool' ? this.castTo('i32') : this).op('Neg');
  }
  /** `c - this`, for numbers on the left. */
  rsub(c: number): Value {
    return this.neg().add(c);
  }
  /** `c / this`, for numbers on the left. */
  rdiv(c: number): Value {
    return this.g.constant(c, this.toFloat().dtype).div(this);
  }

  // ---- elementwise math -------------------------------------------------------------------

  exp(): Value {
    return this.float().op('Exp');
  }
  log(): Value {
    return this.float().op('Log');
  }
  sqrt(): Value {
    return this.float().op('Sqrt');
  }
  abs(): Value {
    return this.op('Abs');
  }
  sign(): Value {
    return this.op('Sign');
  }
  sin(): Value {
    return this.float().op('Sin');
  }
  cos(): Value {
    return this.float().op('Cos');
  }
  tanh(): Value {
    return this.float().op('Tanh');
  }
  stopGradient(): Value {
    return this.op('StopGradient');
  }
  square(): Value {
    return C.square(this);
  }
  relu(): Value {
    return C.relu(this);
  }
  leakyRelu(alpha = 0.01): Value {
    return C.leakyRelu(this, alpha);
  }
  sigmoid(): Value {
    return C.sigmoid(this);
  }
  softplus(): Value {
    return C.softplus(this);
  }

  // ---- comparisons and selection ----------------------------------------------------------

  eq(o: Value | number): Value {
    return this.compare('Equal', o);
  }
  ne(o: Value | number): Value {
    return this.compare('NotEqual', o);
  }
  lt(o: Value | number): Value {
    return this.compare('Less', o);
  }
  le(o: Value | number): Value {
    return this.compare('LessEqual', o);
  }
  gt(o: Value | number): Value {
    return this.compare('Greater', o);
  }
  ge(o: Value | number): Value {
    return this.compare('GreaterEqual', o);
  }
  private compare(op: OpName, o: Value | number): Value {
    if (typeof o !== 'number' && this.dtype === o.dtype) return this.op(op, [o]);
    const [a, b] = this.coerce(o);
    return a.op(op, [b]);
  }

  /** `this ? a : b` for a bool mask. */
  where(a: Value | number, b: Value | number): Value {
    const mask = this.dtype === 'bool' ? this : this.ne(0);
    const av =
      typeof a === 'number' ? (typeof b === 'number' ? this.g.constant(a) : b.g.constant(a, b.dtype)) : a;
    const [x, y] = av.coerce(b);
    return mask.op('Where', [x, y]);
  }

  zerosLike(): Value {
    return this.g.constant(0, this.dtype).broadcastTo(this.shape);
  }
  onesLike(): Value {
    return this.g.constant(1, this.dtype).broadcastTo(this.shape);
  }

  // ---- reductions -------------------------------------------------------------------------

  /** Normalised, sorted axes; all axes when `axis` is undefined. */
  axes(axis?: number | readonly number[]): number[] {
    if (axis === undefined) return this.shape.map((_, i) => i);
    const list = typeof axis === 'number' ? [axis] : axis;
    return [...new Set(list.map((a) => normalizeAxis(a, this.rank, 'reduction')))].sort((a, b) => a - b);
  }

  sumAxes(axes: readonly number[], keepdims = false): Value {
    if (axes.length === 0) return this;
    return (this.dtype === 'bool' ? this.castTo('i32') : this).op('Sum', [], { axes: [...axes], keepdims });
  }
  sum(opts: AxisOptions = {}): Value {
    return this.sumAxes(this.axes(opts.axis), opts.keepdims ?? false);
  }
  max(opts: AxisOptions = {}): Value {
    return this.op('Max', [], { axes: this.axes(opts.axis), keepdims: opts.keepdims ?? false });
  }
  min(opts: AxisOptions = {}): Value {
    return this.op('Min', [], { axes: this.axes(opts.axis), keepdims: opts.keepdims ?? false });
  }
  mean(opts: AxisOptions = {}): Value {
    return C.mean(this, opts);
  }
  argmax(opts: { axis?: number; keepdims?: boolean } = {}): Value {
    const axis = normalizeAxis(opts.axis ?? -1, this.rank, 'argmax');
    return this.op('ArgMax', [], { axis, keepdims: opts.keepdims ?? false });
  }
  logsumexp(opts: AxisOptions = {}): Value {
    return C.logsumexp(this, opts);
  }
  /** Per-example cross-entropy of these logits against integer `labels`. */
  crossEntropy(labels: Value): Value {
    return C.crossEntropy(this, labels);
  }
  softmax(axis = -1): Value {
    return C.softmax(this, axis);
  }
  logSoftmax(axis = -1): Value {
    return C.logSoftmax(this, axis);
  }

  // ---- linear algebra and shapes ----------------------------------------------------------

  matMul(o: Value, opts: { transA?: boolean; transB?: boolean } = {}): Value {
    const [a, b] = this.coerce(o, true);
    return a.op('MatMul', [b], { transA: opts.transA ?? false, transB: opts.transB ?? false });
  }

  /**
   * New shape; one dim may be -1, inferred from the others like NumPy does, symbolically too:
   * `[N, T, D]` to `[-1, D]` is `[N*T, D]`. A quotient that is a whole number only for some
   * sizes (`[N, 6]` to `[-1, 4]` is `[3*N/2, 4]`) is checked when N is bound.
   */
  reshape(shape: readonly Dim[]): Value {
    const target = [...shape];
    const holes = target.flatMap((d, i) => (d === -1 ? [i] : []));
    const bad = (why: string) =>
      new GradusError(
        diagnostic(
          'E0305',
          `Reshape: cannot reshape ${formatShape(this.shape)} to ${formatShape(shape)}: ${why}`,
        ),
      );
    if (holes.length > 1) throw bad('at most one dim may be -1');
    if (target.some((d) => typeof d === 'number' && d < 0 && d !== -1))
      throw bad('a size must be ≥ 0 (only -1, "the size that fits", may be negative)');
    if (holes.length === 1) {
      const hole = holes[0];
      const rest = productOfDims(target.filter((_, i) => i !== hole));
      const total = shapeSize(this.shape);
      const q = rest === 0 ? 0 : divDims(total, rest);
      if (q === undefined) throw bad(`its ${total} elements are not a multiple of ${rest}`);
      if (typeof q === 'number' && !Number.isInteger(q))
        throw bad(`${total} elements do not divide into rows of ${rest}`);
      target[hole] = q;
    }
    if (target.length === this.rank && target.every((d, i) => d === this.shape[i])) return this;
    return this.op('Reshape', [], { shape: target });
  }

  /** Permutes axes; with no argument, reverses them (a matrix transpose for rank 2). */
  transpose(perm?: readonly number[]): Value {
    const p = perm
      ? perm.map((a) => normalizeAxis(a, this.rank, 'transpose'))
      : this.shape.map((_, i) => this.rank - 1 - i);
    if (p.every((a, i) => a === i)) return this;
    return this.op('Transpose', [], { perm: p });
  }

  broadcastTo(shape: Shape): Value {
    if (shape.length === this.rank && shape.every((d, i) => d === this.shape[i])) return this;
    return this.op('BroadcastTo', [], { shape: [...shape] });
  }

  /** Sums a broadcast gradient back to `shape` (the one helper every broadcasting VJP uses). */
  unbroadcast(shape: Shape): Value {
    if (shape.length === this.rank && shape.every((d, i) => d === this.shape[i])) return this;
    const lead = this.rank - shape.length;
    const axes: number[] = [];
    for (let i = 0; i < this.rank; i++) {
      if (i < lead || (shape[i - lead] === 1 && this.shape[i] !== 1)) axes.push(i);
    }
    return this.sumAxes(axes, false).reshape(shape);
  }

  expandDims(axis: number): Value {
    const a = normalizeAxis(axis, this.rank + 1, 'expand_dims');
    return this.reshape([...this.shape.slice(0, a), 1, ...this.shape.slice(a)]);
  }

  /** Raw slice: `starts` per axis, `ends` per axis (null: to the end). */
  slice(starts: readonly Dim[], ends: readonly (Dim | null)[]): Value {
    const whole = starts.every((s, i) => s === 0 && (ends[i] === null || ends[i] === this.shape[i]));
    if (whole) return this;
    return this.op('Slice', [], { starts: [...starts], ends: [...ends] });
  }

  /** Embeds this tensor at offset `before` in zeros of `shape`. */
  pad(before: readonly Dim[], shape: Shape): Value {
    if (before.every((b) => b === 0) && shape.every((d, i) => d === this.shape[i])) return this;
    return this.op('Pad', [], { before: [...before], shape: [...shape] });
  }

  /** NumPy-style basic indexing: `x.index([0])`, `x.index(['all', 1])`, `x.index([{ start: 0, end: 10 }])`. */
  index(specs: readonly IndexSpec[]): Value {
    if (specs.length > this.rank) {
      throw new GradusError(
        diagnostic(
          'E0314',
          `too many indices (${specs.length}) for a tensor of shape ${formatShape(this.shape)}`,
        ),
      );
    }
    const starts: Dim[] = [];
    const ends: (Dim | null)[] = [];
    const keep: Dim[] = [];
    const negative = (x: Dim) => typeof x === 'number' && x < 0;
    this.shape.forEach((d, i) => {
      const s = specs[i] ?? 'all';
      // Negative positions count from the end, also of a symbolic axis (`-1` on T is `T - 1`).
      const resolve = (k: Dim) => (typeof k === 'number' && k < 0 ? addDims(d, k) : k);
      if (s === 'all') {
        starts.push(0);
        ends.push(null);
        keep.push(d);
      } else if (typeof s !== 'object') {
        const k = resolve(s);
        const after = subDims(subDims(d, k), 1);
        if (negative(k) || negative(after)) {
          throw new GradusError(diagnostic('E0314', `index ${s} is out of range for axis ${i} of size ${d}`));
        }
        starts.push(k);
        ends.push(addDims(k, 1));
      } else {
        const start = resolve(s.start ?? 0);
        const end = s.end === undefined ? null : resolve(s.end);
        const len = subDims(end ?? d, start);
        if (negative(start) || negative(len) || (end !== null && negative(subDims(d, end)))) {
          throw new GradusError(
            diagnostic(
              'E0314',
              `range ${s.start ?? ''}:${s.end ?? ''} is out of range for axis ${i} of size ${d}`,
            ),
          );
        }
        starts.push(start);
        ends.push(end);
        keep.push(len);
      }
    });
    return this.slice(starts, ends).reshape(keep);
  }

  oneHot(depth: number, axis = -1, dtype: DType = this.g.floatDtype): Value {
    const labels = this.dtype === 'i32' ? this : this.castTo('i32');
    return labels.op('OneHot', [], { depth, axis: normalizeAxis(axis, this.rank + 1, 'one_hot'), dtype });
  }

  /** Picks `this[..., idx[...], ...]` along `axis` (labels). */
  gather(idx: Value, axis = -1): Value {
    const labels = idx.dtype === 'i32' ? idx : idx.castTo('i32');
    return this.op('Gather', [labels], { axis: normalizeAxis(axis, this.rank, 'gather') });
  }
}
