/**
 * Test support (not exported from the package): random graphs that exercise the rewrite rules.
 * Unlike `testing/arbitraries.ts` (built with the fluent builder, which never creates `x * 0`
 * or an identity cast), these add primitives with `Graph.add` directly, mixing in symbolic zeros
 * and ones, identity and chained shape ops, constant-only subexpressions, integer and bool
 * values, a symbolic batch dim, a random op and source spans. A running bound on every value's
 * magnitude keeps everything finite, so `x * 0 → 0` holds exactly.
 */
import fc from 'fast-check';
import { GradusError } from '../diagnostic.js';
import { productOfDims } from '../dim-expr.js';
import type { DType } from '../dtype.js';
import { type Graph, graph } from '../graph.js';
import type { Attrs, Node } from '../node.js';
import type { OpName } from '../ops/index.js';
import { type Dim, type Shape, sizeOf } from '../shape.js';
import type { TensorLike } from '../tensor.js';

export interface RandomGraph {
  readonly g: Graph;
  readonly feeds: Record<string, TensorLike>;
  /** Dims not bound by any fed input on every path (`Size` nodes read them). */
  readonly dims: Record<string, number>;
  /** One line per instruction, for failure reports. */
  readonly steps: readonly string[];
}

interface Entry {
  readonly node: Node;
  /** An upper bound on |value| of every element. */
  readonly bound: number;
}

/** Largest magnitude a generated value may reach: far from overflow, so every value is finite. */
const MAX_BOUND = 1e6;
/** The symbolic batch dim and its value in the feeds. */
const N = 2;

type Instr = readonly [number, number, number, number];

function maxAbs(values: readonly number[]): number {
  return values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

function elementsOf(shape: Shape): number {
  return sizeOf(shape.map((d) => (typeof d === 'number' ? d : N)));
}

/** The builder of one random graph: a pool of values and the ops that may combine them. */
class Builder {
  readonly pool: Entry[] = [];
  readonly steps: string[] = [];

  constructor(readonly g: Graph) {}

  push(node: Node, bound: number): Entry | undefined {
    if (!(bound <= MAX_BOUND)) return undefined;
    const e = { node, bound };
    this.pool.push(e);
    return e;
  }

  add(op: OpName, inputs: readonly Node[], attrs: Attrs = {}): Node {
    return this.g.add(op, inputs, attrs);
  }

  constant(value: readonly number[], shape: Shape, dtype: DType = 'f64'): Entry {
    const node = this.add('Const', [], { value: [...value], shape: [...shape], dtype });
    return { node, bound: maxAbs(value) };
  }

  /** Applies instruction `[op, i, j, p]`; returns what it built, or undefined when it did not apply. */
  step([op, i, j, p]: Instr): Entry | undefined {
    const a = this.pool[i % this.pool.length];
    const b = this.pool[j % this.pool.length];
    const x = a.node;
    const y = b.node;
    const r = x.shape.length;
    const axesOf = (rank: number) => Array.from({ length: rank }, (_, k) => k).filter((k) => (p >> k) & 1);
    const ops: (() => Entry | undefined)[] = [
      () => this.push(this.add('Neg', [x]), a.bound),
      () => this.push(this.add('Tanh', [x]), 1),
      () => this.push(this.add('Sin', [x]), 1),
      () => this.push(this.add('Cos', [x]), 1),
      () => this.push(this.add('Abs', [x]), a.bound),
      () => this.push(this.add('Sign', [x]), 1),
      () => this.push(this.add('StopGradient', [x]), a.bound),
      () => this.push(this.add('Exp', [this.add('Tanh', [x])]), Math.E),
      () => {
        const one = this.constant([1], [], x.dtype).node;
        return this.push(
          this.add('Log', [this.add('Add', [this.add('Abs', [x]), one])]),
          Math.log1p(a.bound),
        );
      },
      () => this.push(this.add('Sqrt', [this.add('Abs', [x])]), Math.sqrt(a.bound)),
      () => this.push(this.add('Cast', [x], { dtype: x.dtype }), a.bound),
      () =>
        this.push(
          this.add('Cast', [x], { dtype: (['i32', 'f64', 'bool', 'f32'] as const)[p % 4] }),
          a.bound + 1,
        ),
      () => this.push(this.add('Add', [x, y]), a.bound + b.bound),
      () => this.push(this.add('Sub', [x, y]), a.bound + b.bound),
      () => this.push(this.add('Mul', [x, y]), a.bound * b.bound),
      () => this.push(this.add('Maximum', [x, y]), Math.max(a.bound, b.bound)),
      () => this.push(this.add('Minimum', [x, y]), Math.max(a.bound, b.bound)),
      () => {
        const one = this.constant([1], [], y.dtype).node;
        return this.push(this.add('Div', [x, this.add('Add', [this.add('Abs', [y]), one])]), a.bound);
      },
      () => {
        const c = this.constant([[1, 0, -1, 2][p % 4]], [[], [3], [2, 3]][(p >> 2) % 3], x.dtype);
        const opName = (['Div', 'Pow', 'Mul', 'Add', 'Sub'] as const)[(p >> 4) % 5];
        if (opName === 'Div' && c.bound === 0) return undefined;
        // Pow's base is |x| + 1 >= 1, so every exponent in {-1, 0, 1, 2} gives a finite value.
        const base =
          opName === 'Pow'
            ? this.add('Add', [this.add('Abs', [x]), this.constant([1], [], x.dtype).node])
            : x;
        const bound = opName === 'Pow' ? (a.bound + 1) ** 2 : a.bound * 2 + 2;
        const [l, rr] = (p >> 7) % 2 === 0 ? [base, c.node] : [c.node, base];
        return this.push(
          this.add(opName, opName === 'Pow' || opName === 'Div' ? [base, c.node] : [l, rr]),
          bound,
        );
      },
      () => this.push(this.add('Where', [this.add('Greater', [x, y]), x, y]), Math.max(a.bound, b.bound)),
      () => this.push(this.add('Where', [this.add('LessEqual', [x, x]), x, y]), Math.max(a.bound, b.bound)),
      () =>
        this.push(
          this.add('Sum', [x], { axes: axesOf(r), keepdims: (p >> 4) % 2 === 1 }),
          a.bound * elementsOf(x.shape),
        ),
      () =>
        this.push(
          this.add((['Max', 'Min'] as const)[p % 2], [x], { axes: axesOf(r), keepdims: (p >> 4) % 2 === 1 }),
          a.bound,
        ),
      () => {
        const attrs = { transA: (p & 1) === 1, transB: (p & 2) === 2 };
        const k = attrs.transA ? x.shape[r - 2] : x.shape[r - 1];
        const bound = a.bound * Math.max(a.bound, b.bound) * (typeof k === 'number' ? k : N);
        try {
          return this.push(this.add('MatMul', [x, y], attrs), bound);
        } catch {
          // x with itself, one side transposed, always fits.
          return this.push(
            this.add('MatMul', [x, x], { transA: attrs.transA, transB: !attrs.transA }),
            bound,
          );
        }
      },
      () => {
        const shapes: Dim[][] = [
          [elementsOf(x.shape)],
          [...x.shape, 1],
          [1, ...x.shape],
          x.shape.filter((d) => d !== 1),
          [...x.shape],
        ];
        const target = x.shape.some((d) => typeof d === 'string') ? shapes[1 + (p % 4)] : shapes[p % 5];
        return this.push(this.add('Reshape', [x], { shape: target }), a.bound);
      },
      () => {
        const perm = Array.from({ length: r }, (_, k) => k);
        for (let k = r - 1; k > 0; k--) {
          const m = (p >> k) % (k + 1);
          [perm[k], perm[m]] = [perm[m], perm[k]];
        }
        return this.push(this.add('Transpose', [x], { perm }), a.bound);
      },
      () => {
        const targets: Dim[][] = [
          [2, ...x.shape],
          [...x.shape],
          x.shape.map((d) => (d === 1 ? 3 : d)),
          ['N', ...x.shape],
        ];
        return this.push(this.add('BroadcastTo', [x], { shape: targets[p % 4] }), a.bound);
      },
      () => {
        if (r === 0) return undefined;
        const ax = p % r;
        const d = x.shape[ax];
        const starts = x.shape.map((_, k) => (k === ax && typeof d === 'number' && d > 1 ? 1 : 0));
        const ends = x.shape.map((dd, k) =>
          k === ax && (p >> 3) % 2 === 1 && typeof dd === 'number' ? dd : null,
        );
        return this.push(this.add('Slice', [x], { starts, ends }), a.bound);
      },
      () => {
        if (r === 0) return undefined;
        const ax = p % r;
        const before = x.shape.map((_, k) => (k === ax ? (p >> 3) % 2 : 0));
        const shape = x.shape.map((d, k) => (k === ax && typeof d === 'number' ? d + 1 + before[k] : d));
        return this.push(this.add('Pad', [x], { before, shape }), a.bound);
      },
      () =>
        this.push(
          this.add('Concat', (p & 1) === 0 ? [x, y] : [x], { axis: (p >> 1) % Math.max(r, 1) }),
          Math.max(a.bound, b.bound),
        ),
      // Symbolic zeros and ones, broadcast both ways.
      () => {
        const z = this.constant([0], [], x.dtype);
        const big = this.add('BroadcastTo', [z.node], { shape: [2, ...x.shape] });
        const forms: [OpName, Node[]][] = [
          ['Mul', [x, z.node]],
          ['Mul', [big, x]],
          ['Add', [big, x]],
          ['Sub', [x, big]],
          ['Sub', [z.node, x]],
          ['Add', [x, this.add('Neg', [y])]],
          ['Sub', [x, this.add('Neg', [y])]],
          ['Mul', [x, this.constant([-1], [], x.dtype).node]],
          // A sum over a broadcast literal of symbolic shape (N) must not be folded.
          [
            'Mul',
            [
              x,
              this.add('Sum', [this.add('BroadcastTo', [z.node], { shape: ['N'] })], {
                axes: [0],
                keepdims: false,
              }),
            ],
          ],
        ];
        const [opName, ins] = forms[p % forms.length];
        return this.push(this.add(opName, ins), (a.bound + b.bound) * 2);
      },
      () => this.push(this.add('Neg', [this.add('Neg', [x])]), a.bound),
      () => {
        const inner = this.add('Reshape', [x], { shape: [...x.shape, 1] });
        return this.push(this.add('Reshape', [inner], { shape: [1, ...x.shape] }), a.bound);
      },
      () => {
        if (r < 2) return undefined;
        const swap = [...Array.from({ length: r - 2 }, (_, k) => k), r - 1, r - 2];
        const t = this.add('Transpose', [x], { perm: swap });
        return (p & 1) === 0
          ? this.push(this.add('Transpose', [t], { perm: swap }), a.bound)
          : this.push(
              this.add('MatMul', [t, y], { transA: false, transB: (p & 2) === 2 }),
              a.bound * b.bound * 3,
            );
      },
      () =>
        this.push(
          this.add('Where', [this.constant([p & 1], [], 'bool').node, x, y]),
          Math.max(a.bound, b.bound),
        ),
      () => {
        const lbl = this.g.inputs.get('lbl') as Node;
        // Labels go up to 2: gather only along an axis of 3 or more (out of range would give NaN).
        const wide = typeof x.shape[r - 1] === 'number' && (x.shape[r - 1] as number) >= 3;
        return (p & 1) === 0
          ? wide
            ? this.push(this.add('Gather', [x, lbl], { axis: r - 1 }), a.bound)
            : undefined
          : this.push(this.add('OneHot', [lbl], { depth: 3, axis: (p >> 1) % 2, dtype: 'f64' }), 1);
      },
      () => {
        // Compound dims: a symbolic flatten (3*N) and back, a slice of a symbolic axis (N - 1),
        // and the pad of that slice back to N.
        const ax = x.shape.findIndex((d) => typeof d === 'string');
        if (ax < 0) return undefined;
        const flat = this.add('Reshape', [x], { shape: [productOfDims(x.shape)] });
        if (p % 3 === 0) return this.push(flat, a.bound);
        const back = this.add('Reshape', [flat], { shape: [...x.shape] });
        const starts = x.shape.map((_, k) => (k === ax ? 1 : 0));
        const sl = this.add('Slice', [back], { starts, ends: x.shape.map(() => null) });
        if (p % 3 === 1) return this.push(sl, a.bound);
        return this.push(this.add('Pad', [sl], { before: starts, shape: [...x.shape] }), a.bound);
      },
      () => {
        const size = this.add('Size', [], { dims: (p & 1) === 0 ? ['N'] : [3, 'N'], dtype: 'f64' });
        return this.push(this.add('Mul', [x, size]), a.bound * 3 * N);
      },
      () =>
        this.push(
          this.add('Sum', [this.add('Reshape', [x], { shape: [...x.shape, 1] })], {
            axes: [r],
            keepdims: false,
          }),
          a.bound,
        ),
      () => {
        if (r === 0) return undefined;
        const s = this.add('Sum', [x], { axes: [r - 1], keepdims: (p & 1) === 1 });
        const to = (p & 1) === 1 ? x.shape.slice(0, -1) : [...x.shape.slice(0, -1), 1];
        return this.push(this.add('Reshape', [s], { shape: to }), a.bound * elementsOf(x.shape));
      },
    ];
    const build = ops[op % ops.length];
    try {
      return (p >> 9) % 4 === 0
        ? this.g.withSpan({ start: op % 50, end: (op % 50) + 1 + (p % 7) }, build)
        : build();
    } catch (e) {
      if (e instanceof GradusError) return undefined; // ill-typed combination: skip the instruction
      throw e;
    }
  }
}

/** Random graphs over inputs x f64[2, 3], v f64[3], s f64[], z f64[N, 3], lbl i32[2], t f64[2, 1, 3] and a variable W f64[3, 2]. */
export function randomGraphArb(opts: { maxOps?: number } = {}): fc.Arbitrary<RandomGraph> {
  const nat = fc.nat({ max: 1 << 16 });
  const vals = (n: number) =>
    fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: n, maxLength: n });
  return fc
    .record({
      instrs: fc.array(fc.tuple(nat, nat, nat, nat), { minLength: 1, maxLength: opts.maxOps ?? 30 }),
      picks: fc.array(nat, { minLength: 3, maxLength: 3 }),
      x: vals(6),
      v: vals(3),
      s: vals(1),
      z: vals(3 * N),
      W: vals(6),
      lbl: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 2, maxLength: 2 }),
    })
    .map(({ instrs, picks, x, v, s, z, W, lbl }): RandomGraph => {
      const g = graph({ seed: 3 });
      const b = new Builder(g);
      b.push(g.input('x', [2, 3]).node, 2);
      b.push(g.input('v', [3]).node, 2);
      b.push(g.input('s', []).node, 2);
      b.push(g.input('z', ['N', 3]).node, 2);
      b.push(g.input('lbl', [2], 'i32').node, 2);
      b.push(g.input('t', [2, 1, 3]).node, 2);
      g.input('unused', [4]);
      b.push(g.param('W', [3, 2]).node, 2);
      b.push(b.constant([0], []).node, 0);
      b.push(b.constant([1, 1, 1], [3]).node, 1);
      b.push(b.constant([0.5, -1, 2, 0, 1, -0.25], [2, 3]).node, 2);
      b.push(
        g.add('RandomUniform', [g.stepInput()], {
          shape: [2, 3],
          dtype: 'f64',
          seed: 3,
          stream: g.nextStream(),
        }),
        1,
      );
      const leaves = b.pool.length;
      for (const instr of instrs) {
        const e = b.step(instr);
        b.steps.push(
          e ? `%${e.node.id} = ${e.node.op}(${e.node.inputs.map((n) => `%${n.id}`).join(', ')})` : 'skip',
        );
      }
      const built = b.pool.slice(leaves);
      const last = built[built.length - 1] ?? b.pool[0];
      g.output('last', last.node);
      if (built.length > 0) g.output('picked', built[picks[0] % built.length].node, 'metric');
      const scalar = built.find((e) => e.node.shape.length === 0 && e.node.dtype === 'f64');
      if (scalar) g.output('loss', scalar.node, 'loss');
      const w = built.find(
        (e) =>
          e.node.dtype === 'f64' &&
          e.node.shape.length === 2 &&
          e.node.shape[0] === 3 &&
          e.node.shape[1] === 2,
      );
      if (w) g.assign('W', w.node);
      return {
        g,
        feeds: { x, v, s: s[0], z, lbl, t: v.concat(v), W, unused: [0, 0, 0, 0] },
        dims: { N },
        steps: b.steps,
      };
    });
}
