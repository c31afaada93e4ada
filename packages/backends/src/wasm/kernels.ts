/**
 * The wasm kernel table: for every primitive, the WebAssembly function computing one node into
 * its buffer. Typed against `OpName` like the JavaScript backend's table, so a new op is a
 * compile error here until it is lowered (or explicitly marked `unsupported`, which `compile()`
 * reports as E0440 naming the op, before anything runs). Elementwise ops share one kernel that
 * computes a whole fused group (`elementwise-table.ts` gives each op's code).
 */
import { diagnostic, GradusError, isFloat, mix32, type Node, type OpName } from '@gradus/autodiff';
import { broadcastStrides, contiguousStrides } from '../cpu/emit.js';
import { elementwiseRows } from '../expr-table.js';
import { around, matmulShapes, type TypedNode } from '../shapes.js';
import { kindOf } from './elementwise-table.js';
import {
  type Expr,
  f32,
  f64,
  f64x2,
  i8x16,
  i32,
  i32x4,
  memory,
  select,
  type ValType,
  v128,
} from './encoder/instructions.js';
import { call, type FuncRef, type FunctionBuilder } from './encoder/module.js';
import { type GemmRef, MR, nrOf, type Precision, TRANS_A, TRANS_B } from './gemm.js';
import { f64Halves, type Kind, type Layout, layoutOf } from './layout.js';
import { type Access, emitNest, planNest } from './loops.js';
import { wasmWindowKernels } from './window-kernels.js';

/** A fused elementwise computation over an iteration space: what it reads, and its code per step. */
export interface WasmGroup {
  /** The nodes it loads (buffers), each with strides over the iteration space. */
  readonly reads: readonly Node[];
  readonly strides: readonly (readonly number[])[];
  /** Rough cost of one element (for the threading threshold). */
  readonly cost: number;
  /** Code of one step: the root's value from the reads' values. */
  emit(f: FunctionBuilder, L: Layout, value: (k: number) => Expr<ValType>): Expr<ValType>;
  /** A readable summary of a fused group (`Tanh∘Mul`; empty for a plain buffer), for listings. */
  readonly label: string;
}

export type KernelFunction = FunctionBuilder<readonly ['i32', 'i32', 'i32']>;

/** What a kernel emits: its function body over [lo, hi) of its split range, and that range. */
export interface KernelCode {
  /**
   * The range the body may be split along (outputs only, never a reduction), its alignment, and
   * an estimate of the work in nanoseconds (threads are used only when it is worth a wake-up).
   * Without it the kernel always runs whole, on the calling thread.
   */
  readonly split?: { readonly total: number; readonly align: number; readonly cost: number };
  /** Emits the body; `part` (0 on the calling thread) selects per-thread scratch. */
  emit(f: KernelFunction, lo: Expr<'i32'>, hi: Expr<'i32'>, part: Expr<'i32'>): void;
  /** What the listing says about the kernel (`f32x4`, `gemm 128×256×784 nt`…). */
  readonly note: string;
}

export interface WasmKernelContext {
  readonly precision: Precision;
  shape(n: Node): readonly number[];
  /** A dim attr of a node (Slice `starts`, Pad `before`) bound to sizes under this specialisation. */
  dims(n: Node, attr: string): readonly number[];
  /** Byte address of a node's buffer. */
  addr(n: Node): number;
  /** This node's buffer address. */
  readonly out: number;
  /** Input `i` as a group over its own shape (its fused group, or its buffer). */
  source(i: number): WasmGroup;
  /** This node's fused group over its shape. */
  group(): WasmGroup;
  /** A scratch region of `bytes` for each thread part, private to this kernel; its base address. */
  scratch(bytes: number): number;
  /** Bytes between two parts' scratch regions of `scratch(bytes)`. */
  readonly parts: number;
  readonly gemm: GemmRef;
  /** Address of part `part`'s GEMM scratch. */
  gemmScratch(part: Expr<'i32'>): Expr<'i32'>;
  /** normalAt(seed, stream, step, index) of the reference. */
  readonly normal: FuncRef<readonly ['i32', 'i32', 'i32', 'i32'], 'f64'>;
}

/** A kernel the wasm backend does not have (compile() fails with E0440 naming the op). */
export interface Unsupported {
  readonly unsupported: string;
}

export type WasmKernel<K extends OpName> = (node: TypedNode<K>, c: WasmKernelContext) => KernelCode | null;

const none = () => null;

/** An attr that generated code uses as an integer (anything else is refused, E0420). */
function integer(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new GradusError(diagnostic('E0420', `internal: ${what} must be an integer, got ${String(v)}`));
  }
  return v;
}

export const bytesOf = (kind: Kind, p: Precision): number => (kind === 'i' ? 4 : p === 'f32' ? 4 : 8);
const vectorWidth = (p: Precision): number => (p === 'f32' ? 4 : 2);

/** Accesses for an output of `kind` and a group's reads, over `shape`. */
function groupAccesses(c: WasmKernelContext, g: WasmGroup, L: () => Layout): Access[] {
  return g.reads.map(
    (r, k): Access => ({
      strides: g.strides[k],
      base: c.addr(r),
      bytes: bytesOf(kindOf(r.dtype), c.precision),
      load: (addr, offset, splat) => L().load(kindOf(r.dtype), addr, offset, splat),
    }),
  );
}

/** Writes a node's fused group into its buffer, one loop nest over the output shape. */
const elementwise: WasmKernel<OpName> = (n, c) => {
  const shape = c.shape(n);
  const g = c.group();
  const kind = kindOf(n.dtype);
  const outStrides = contiguousStrides(shape);
  const nest = planNest(shape, [outStrides, ...g.strides], vectorWidth(c.precision));
  const L = layoutOf(c.precision, nest.width > 1);
  const accesses: Access[] = [
    { strides: outStrides, base: c.out, bytes: bytesOf(kind, c.precision) },
    ...groupAccesses(c, g, () => L),
  ];
  return {
    split: {
      total: nest.outer,
      align: nest.dims.length === 1 ? nest.width : 1,
      cost: nest.elements * g.cost,
    },
    note: `${g.label}${nest.width > 1 ? ` ${c.precision}x${nest.width}` : ''}`,
    emit: (f, lo, hi) =>
      emitNest(f, nest, accesses, lo, hi, (b) => {
        const v = g.emit(f, L, (k) => b.value(k + 1));
        f.emit(L.store(kind, b.addr(0), v, b.offset(0)));
      }),
  };
};

/**
 * Several elementwise steps of one shape as one loop (see `gatherLoops`): each element of every
 * operand is loaded once, a value made by an earlier step of the loop is taken from its register,
 * and every step's result is stored. An optimiser's moments and parameter update run this way.
 */
export function elementwiseLoop(
  steps: readonly Node[],
  c: WasmKernelContext,
  groupFor: (step: Node) => WasmGroup,
): KernelCode {
  const shape = c.shape(steps[0]);
  const groups = steps.map(groupFor);
  const outStrides = contiguousStrides(shape);
  const made = new Set(steps);
  const reads: Node[] = [];
  const strides: (readonly number[])[] = [];
  groups.forEach((g) => {
    g.reads.forEach((r, k) => {
      if (made.has(r) || reads.includes(r)) return;
      reads.push(r);
      strides.push(g.strides[k]);
    });
  });
  const nest = planNest(shape, [...steps.map(() => outStrides), ...strides], vectorWidth(c.precision));
  const L = layoutOf(c.precision, nest.width > 1);
  const accesses: Access[] = [
    ...steps.map((n) => ({
      strides: outStrides,
      base: c.addr(n),
      bytes: bytesOf(kindOf(n.dtype), c.precision),
    })),
    ...reads.map((r, k) => ({
      strides: strides[k],
      base: c.addr(r),
      bytes: bytesOf(kindOf(r.dtype), c.precision),
      load: (addr: Expr<'i32'>, offset: number, splat: boolean) =>
        L.load(kindOf(r.dtype), addr, offset, splat),
    })),
  ];
  return {
    split: {
      total: nest.outer,
      align: nest.dims.length === 1 ? nest.width : 1,
      cost: nest.elements * groups.reduce((q, g) => q + g.cost, 0),
    },
    note: `${groups.map((g) => g.label).join(' + ')}${nest.width > 1 ? ` ${c.precision}x${nest.width}` : ''}`,
    emit: (f, lo, hi) =>
      emitNest(f, nest, accesses, lo, hi, (b) => {
        const values = new Map<Node, Expr<ValType>>();
        const read = (r: Node) => {
          let v = values.get(r);
          if (!v) {
            v = L.bind(f, b.value(steps.length + reads.indexOf(r)));
            values.set(r, v);
          }
          return v;
        };
        steps.forEach((n, k) => {
          const g = groups[k];
          const v = L.bind(
            f,
            g.emit(f, L, (j) => read(g.reads[j])),
          );
          values.set(n, v);
          f.emit(L.store(kindOf(n.dtype), b.addr(k), v, b.offset(k)));
        });
      }),
  };
}

type ReduceOp = 'Sum' | 'Max' | 'Min';

/** The identity of a reduction, as a float. */
const INIT: Record<ReduceOp, number> = {
  Sum: 0,
  Max: Number.NEGATIVE_INFINITY,
  Min: Number.POSITIVE_INFINITY,
};

function combine(L: Layout, op: ReduceOp, kind: Kind, a: Expr<ValType>, b: Expr<ValType>): Expr<ValType> {
  if (kind === 'i') return op === 'Sum' ? L.iadd(a, b) : op === 'Max' ? L.imax(a, b) : L.imin(a, b);
  return op === 'Sum' ? L.fadd(a, b) : op === 'Max' ? L.fmax(a, b) : L.fmin(a, b);
}

/**
 * Sum, Max, Min over `axes` of a (fused) input. Sums of floats accumulate in f64 (as the reference
 * does), so an f32 sum is rounded once. Two loop orders, as in the JavaScript backend: reducing
 * leading axes walks the input in memory order into a row of accumulators (one per output, each
 * adding its elements in order); otherwise each output runs its own inner loop. Max and Min (any
 * order gives the same result) and f32 sums (f64 partial sums, rounded once) use vectors along a
 * contiguous inner loop; f64 sums keep the reference's order, element by element.
 */
function reduction(op: ReduceOp): WasmKernel<ReduceOp> {
  return (n, c) => {
    const x = n.inputs[0];
    const xs = c.shape(x);
    const axes = n.attrs.axes;
    const g = c.source(0);
    const kind = kindOf(n.dtype);
    const p = c.precision;
    const kept = xs.map((_, i) => i).filter((i) => !axes.includes(i));
    const keptSize = kept.reduce((q, i) => q * xs[i], 1);
    const keptShape = xs.map((d, i) => (axes.includes(i) ? 1 : d));
    const outStrides = contiguousStrides(keptShape).map((s, i) => (axes.includes(i) ? 0 : s));
    const wide = kind === 'f' && op === 'Sum' && p === 'f32';
    const accBytes = kind === 'i' ? 4 : op === 'Sum' ? 8 : bytesOf('f', p);
    const leading = kept.length > 0 && axes.every((a) => a < kept[0]) && keptSize > 1;
    const label = `${op}${g.label ? `(${g.label})` : ''}`;
    if (leading) return leadingReduction(c, op, g, xs, outStrides, keptSize, kind, wide, accBytes, label);
    // Each output's own loop over the reduced axes: outer nest over kept dims, inner over the rest.
    const keptDims = kept.map((d) => xs[d]);
    const outerStrides = [contiguousStrides(keptDims), ...g.strides.map((s) => kept.map((d) => s[d]))];
    const outer = planNest(keptDims, outerStrides, 1);
    const redDims = axes.map((d) => xs[d]);
    const innerStrides = [axes.map(() => 0), ...g.strides.map((s) => axes.map((d) => s[d]))];
    const vectorOk = kind === 'f' && (op !== 'Sum' || p === 'f32');
    const inner = planNest(redDims, innerStrides, vectorOk ? vectorWidth(p) : 1, true);
    const L = layoutOf(p, inner.width > 1);
    const S = layoutOf(p, false);
    const outBytes = bytesOf(kind, p);
    const readAccesses = (lay: Layout) => groupAccesses(c, g, () => lay);
    return {
      split: { total: outer.outer, align: 1, cost: outer.elements * Math.max(1, inner.elements) * g.cost },
      note: `${label}${inner.width > 1 ? ` ${p}x${inner.width}` : ''}`,
      emit: (f, lo, hi) => {
        const outerAcc: Access[] = [
          { strides: contiguousStrides(keptDims), base: c.out, bytes: outBytes },
          ...readAccesses(L).map((a, k) => ({ ...a, strides: outerStrides[k + 1], load: undefined })),
        ];
        emitNest(f, outer, outerAcc, lo, hi, (ob) => {
          // The accumulator: f64 for float sums, else the storage type; vectors hold partial results.
          const vec = inner.width > 1;
          const accType: ValType = vec
            ? 'v128'
            : kind === 'i'
              ? 'i32'
              : op === 'Sum' || p === 'f64'
                ? 'f64'
                : 'f32';
          const acc = f.local<ValType>(accType);
          const acc2 = f.local<ValType>(accType);
          const init = (): Expr<ValType> =>
            vec
              ? wide
                ? layoutOf('f64', true).f(0)
                : L.f(INIT[op])
              : kind === 'i'
                ? i32.const(0)
                : accType === 'f64'
                  ? f64.const(INIT[op])
                  : f32.const(INIT[op]);
          f.emit(acc.set(init()), acc2.set(init()));
          const innerAcc: Access[] = [
            { strides: redDims.map(() => 0), base: 0, bytes: 0 },
            ...readAccesses(L).map((a, k) => ({ ...a, strides: innerStrides[k + 1] })),
          ];
          const start = [i32.const(0), ...g.reads.map((_, k) => ob.addr(k + 1))];
          emitNest(
            f,
            inner,
            innerAcc,
            i32.const(0),
            i32.const(inner.outer),
            (ib) => {
              const v = g.emit(f, L, (k) => ib.value(k + 1));
              if (vec && wide) {
                const [lo, hi] = f64Halves(f, v);
                f.emit(
                  acc.set(f64x2.add(acc.get() as Expr<'v128'>, lo)),
                  acc2.set(f64x2.add(acc2.get() as Expr<'v128'>, hi)),
                );
              } else if (vec) {
                f.emit(acc.set(combine(L, op, kind, acc.get(), v)));
              } else if (kind === 'f' && op === 'Sum' && p === 'f32') {
                f.emit(acc.set(f64.add(acc.get() as Expr<'f64'>, f64.promote_f32(v as Expr<'f32'>))));
              } else {
                f.emit(acc.set(combine(S, op, kind, acc.get(), v)));
              }
            },
            start,
          );
          let result: Expr<ValType> = acc.get();
          if (vec) {
            // Fold the lanes: f64 partial sums pairwise, or max/min over the storage lanes.
            if (wide) {
              const both = f64x2.add(acc.get() as Expr<'v128'>, acc2.get() as Expr<'v128'>);
              const b = L.bind(f, both) as Expr<'v128'>;
              result = f32.demote_f64(f64.add(f64x2.extract_lane(b, 0), f64x2.extract_lane(b, 1)));
            } else {
              const F = p === 'f32' ? f32 : f64;
              const lanes = Array.from({ length: L.width }, (_, k) =>
                p === 'f32'
                  ? v128lane32(acc.get() as Expr<'v128'>, k)
                  : f64x2.extract_lane(acc.get() as Expr<'v128'>, k),
              );
              const pick = (op === 'Max' ? F.max : F.min) as (
                a: Expr<ValType>,
                b: Expr<ValType>,
              ) => Expr<ValType>;
              result = (lanes as Expr<ValType>[]).reduce(pick);
            }
          } else if (kind === 'f' && op === 'Sum' && p === 'f32') {
            result = f32.demote_f64(acc.get() as Expr<'f64'>);
          }
          f.emit(S.store(kind, ob.addr(0), result, ob.offset(0)));
        });
      },
    };
  };
}

const v128lane32 = (v: Expr<'v128'>, k: number) => {
  const lanes = [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
    [8, 9, 10, 11],
    [12, 13, 14, 15],
  ][k];
  return f32.reinterpret_i32(
    i32x4.extract_lane(i8x16.shuffle(v, v, [...lanes, ...lanes, ...lanes, ...lanes]), 0),
  );
};

/** Reducing leading axes: in memory order into a row of accumulators, then (f32 sums) rounded. */
function leadingReduction(
  c: WasmKernelContext,
  op: ReduceOp,
  g: WasmGroup,
  xs: readonly number[],
  outStrides: readonly number[],
  keptSize: number,
  kind: Kind,
  wide: boolean,
  accBytes: number,
  label: string,
): KernelCode {
  const p = c.precision;
  const row = wide ? c.scratch(keptSize * 8) : c.out;
  const vectorOk = kind === 'f';
  const nest = planNest(xs, [outStrides, ...g.strides], vectorOk ? vectorWidth(p) : 1, true);
  const L = layoutOf(p, nest.width > 1);
  const S = layoutOf(p, false);
  const reads = groupAccesses(c, g, () => L);
  return {
    note: `${label} (leading axes)${nest.width > 1 ? ` ${p}x${nest.width}` : ''}`,
    emit: (f) => {
      // Every accumulator starts at the identity.
      const j = f.local('i32');
      const accKind: Kind = wide ? 'f' : kind;
      const A = wide ? layoutOf('f64', false) : S;
      f.for(j, i32.const(0), i32.const(keptSize), 1, () => {
        f.emit(
          A.store(
            accKind,
            i32.mul(j.get(), i32.const(accBytes)),
            kind === 'i' ? i32.const(0) : A.f(INIT[op]),
            row,
          ),
        );
      });
      const accesses: Access[] = [{ strides: outStrides, base: row, bytes: accBytes }, ...reads];
      emitNest(f, nest, accesses, i32.const(0), i32.const(nest.outer), (b) => {
        const v = g.emit(f, L, (k) => b.value(k + 1));
        const at = b.addr(0);
        const off = b.offset(0);
        if (wide && nest.width > 1) {
          const [lo, hi] = f64Halves(f, v);
          f.emit(
            v128.store(at, f64x2.add(v128.load(at, off), lo), off),
            v128.store(at, f64x2.add(v128.load(at, off + 16), hi), off + 16),
          );
        } else if (wide) {
          f.emit(f64.store(at, f64.add(f64.load(at, off), f64.promote_f32(v as Expr<'f32'>)), off));
        } else {
          const lay = nest.width > 1 ? L : S;
          f.emit(lay.store(kind, at, combine(lay, op, kind, lay.load(kind, at, off, false), v), off));
        }
      });
      if (wide) {
        f.for(j, i32.const(0), i32.const(keptSize), 1, () => {
          f.emit(
            f32.store(
              i32.mul(j.get(), i32.const(4)),
              f32.demote_f64(f64.load(i32.mul(j.get(), i32.const(8)), row)),
              c.out,
            ),
          );
        });
      }
    },
  };
}

const sizeOfShape = (a: readonly number[]) => a.reduce((p, d) => p * d, 1);
const sameSize = (a: readonly number[], b: readonly number[]) => sizeOfShape(a) === sizeOfShape(b);

/** A strided copy of `x` into this node's buffer (Transpose, Slice, the parts of Concat and Pad). */
function copyInto(
  c: WasmKernelContext,
  x: Node,
  shape: readonly number[],
  outStrides: readonly number[],
  outOffset: number,
  inStrides: readonly number[],
  inOffset: number,
  outElements: number,
): {
  nest: ReturnType<typeof planNest>;
  emit: (f: FunctionBuilder, lo: Expr<'i32'>, hi: Expr<'i32'>) => void;
} {
  const kind = kindOf(x.dtype);
  const bytes = bytesOf(kind, c.precision);
  // A vector loop may run past its end only into the padding of whole buffers read and written
  // from their start; a slice's source or a part of a Pad or Concat output is not one.
  const elements = shape.reduce((p, d) => p * d, 1);
  const whole = outOffset === 0 && inOffset === 0 && sameSize(shape, c.shape(x)) && elements === outElements;
  const nest = planNest(shape, [outStrides, inStrides], vectorWidth(c.precision), !whole);
  const L = layoutOf(c.precision, nest.width > 1);
  const accesses: Access[] = [
    { strides: outStrides, base: c.out + outOffset * bytes, bytes },
    {
      strides: inStrides,
      base: c.addr(x) + inOffset * bytes,
      bytes,
      load: (addr, offset, splat) => L.load(kind, addr, offset, splat),
    },
  ];
  return {
    nest,
    emit: (f, lo, hi) =>
      emitNest(f, nest, accesses, lo, hi, (b) => f.emit(L.store(kind, b.addr(0), b.value(1), b.offset(0)))),
  };
}

function copyKernel(
  c: WasmKernelContext,
  n: Node,
  inStrides: readonly number[],
  offset: number,
  note: string,
): KernelCode {
  const shape = c.shape(n);
  const cp = copyInto(
    c,
    n.inputs[0],
    shape,
    contiguousStrides(shape),
    0,
    inStrides,
    offset,
    sizeOfShape(shape),
  );
  return {
    split: {
      total: cp.nest.outer,
      align: cp.nest.dims.length === 1 ? cp.nest.width : 1,
      cost: cp.nest.elements,
    },
    note,
    emit: (f, lo, hi) => cp.emit(f, lo, hi),
  };
}

/** Fills this node's whole buffer with zero bytes (0.0 and 0 alike). */
function zeroFill(f: FunctionBuilder, c: WasmKernelContext, n: Node): void {
  const size = c.shape(n).reduce((q, d) => q * d, 1);
  const bytes = size * bytesOf(kindOf(n.dtype), c.precision);
  if (bytes > 0) f.emit(memory.fill(i32.const(c.out), i32.const(0), i32.const(bytes)));
}

/** The reference's `mix32` (random.ts) as code, on an i32 or an i32x4. */
function mixCode(f: FunctionBuilder, h0: Expr<ValType>, vector: boolean): Expr<ValType> {
  const V = (e: Expr<ValType>) => e as Expr<'v128'>;
  const I = (e: Expr<ValType>) => e as Expr<'i32'>;
  const bind = (e: Expr<ValType>) => {
    const l = f.local(e.type);
    f.emit(l.set(e));
    return l.get();
  };
  const xorShift = (h: Expr<ValType>, s: number) =>
    bind(
      vector ? v128.xor(V(h), i32x4.shr_u(V(h), i32.const(s))) : i32.xor(I(h), i32.shr_u(I(h), i32.const(s))),
    );
  const mul = (h: Expr<ValType>, k: number) =>
    bind(vector ? i32x4.mul(V(h), i32x4.splat(i32.const(k | 0))) : i32.mul(I(h), i32.const(k | 0)));
  let h = xorShift(h0, 16);
  h = mul(h, 0x7feb352d);
  h = xorShift(h, 15);
  h = mul(h, 0x846ca68b);
  return xorShift(h, 16);
}

const randomUniform: WasmKernel<'RandomUniform'> = (n, c) => {
  const size = c.shape(n).reduce((q, d) => q * d, 1);
  const p = c.precision;
  const vector = p === 'f32';
  const W = vector ? 4 : 1;
  const seed = integer(n.attrs.seed, 'a random seed');
  const stream = integer(n.attrs.stream, 'a random stream');
  const h0 = mix32(mix32((seed >>> 0) ^ 0x9e3779b9) ^ (stream >>> 0));
  const step = c.addr(n.inputs[0]);
  return {
    split: { total: size, align: W, cost: size * 2 },
    note: `uniform${vector ? ' i32x4' : ''}`,
    emit: (f, lo, hi) => {
      const h1 = f.local('i32');
      f.emit(
        h1.set(mixCode(f, i32.add(i32.const(h0 | 0), i32.load(i32.const(0), step)), false) as Expr<'i32'>),
      );
      const i = f.local('i32');
      f.for(i, lo, hi, W, () => {
        if (vector) {
          const idx = i32x4.add(
            i32x4.splat(i.get()),
            v128.const(new Uint8Array(new Int32Array([0, 1, 2, 3]).buffer)),
          );
          const a = mixCode(f, v128.xor(i32x4.splat(h1.get()), idx), true) as Expr<'v128'>;
          const bits = mixCode(f, i32x4.add(a, i32x4.splat(i32.const(0x6a09e667))), true) as Expr<'v128'>;
          const u = f32x4mulConst(i32x4.shr_u(bits, i32.const(8)));
          f.emit(v128.store(i32.shl(i.get(), i32.const(2)), u, c.out));
        } else {
          const a = mixCode(f, i32.xor(h1.get(), i.get()), false) as Expr<'i32'>;
          const bits = mixCode(f, i32.add(a, i32.const(0x6a09e667)), false) as Expr<'i32'>;
          const u = f64.mul(f64.convert_i32_s(i32.shr_u(bits, i32.const(8))), f64.const(2 ** -24));
          f.emit(f64.store(i32.shl(i.get(), i32.const(3)), u, c.out));
        }
      });
    },
  };
};

function f32x4mulConst(bits: Expr<'v128'>): Expr<'v128'> {
  const L = layoutOf('f32', true);
  return L.fmul(L.itof(bits), L.f(2 ** -24)) as Expr<'v128'>;
}

export const wasmKernels = {
  Input: none,
  Variable: none,
  Const: none,
  Size: none,
  ...elementwiseRows(elementwise),
  Sum: reduction('Sum'),
  Max: reduction('Max'),
  Min: reduction('Min'),
  ArgMax: (n, c) => {
    const [outer, len, inner] = around(c.shape(n.inputs[0]), n.attrs.axis);
    const x = c.addr(n.inputs[0]);
    const S = layoutOf(c.precision, false);
    const es = bytesOf('f', c.precision);
    return {
      split: { total: outer, align: 1, cost: outer * len * inner },
      note: 'argmax',
      emit: (f, lo, hi) => {
        if (len === 0) {
          zeroFill(f, c, n);
          return;
        }
        const o = f.local('i32');
        const i = f.local('i32');
        const j = f.local('i32');
        const base = f.local('i32');
        const best = f.local('i32');
        const ft: ValType = c.precision;
        const bv = f.local<ValType>(ft);
        const v = f.local<ValType>(ft);
        const load = (at: Expr<'i32'>) => S.load('f', i32.mul(at, i32.const(es)), x, false);
        f.for(o, lo, hi, 1, () => {
          f.for(i, i32.const(0), i32.const(inner), 1, () => {
            f.emit(base.set(i32.add(i32.mul(o.get(), i32.const(len * inner)), i.get())));
            f.emit(best.set(i32.const(0)), bv.set(load(base.get())));
            f.for(j, i32.const(1), i32.const(len), 1, () => {
              f.emit(v.set(load(i32.add(base.get(), i32.mul(j.get(), i32.const(inner))))));
              // Like the reference: a larger value, or the first NaN, wins.
              const larger = S.fcmp('gt', v.get(), bv.get()) as Expr<'i32'>;
              const nan = i32.and(
                S.fcmp('ne', v.get(), v.get()) as Expr<'i32'>,
                S.fcmp('eq', bv.get(), bv.get()) as Expr<'i32'>,
              );
              f.if(i32.or(larger, nan), () => f.emit(best.set(j.get()), bv.set(v.get())));
            });
            f.emit(
              i32.store(
                i32.shl(i32.add(i32.mul(o.get(), i32.const(inner)), i.get()), i32.const(2)),
                best.get(),
                c.out,
              ),
            );
          });
        });
      },
    };
  },
  MatMul: (n, c) => {
    const { transA, transB } = n.attrs;
    const [a, b] = n.inputs;
    const { as, bs, os, m, nn, k } = matmulShapes(n, (x) => c.shape(x));
    const p = c.precision;
    const es = bytesOf('f', p);
    const batch = os.slice(0, -2);
    const nb = batch.reduce((q, d) => q * d, 1);
    const offsets = (s: readonly number[]) => {
      const st = broadcastStrides(s.slice(0, -2), batch).map((x) => x * s[s.length - 2] * s[s.length - 1]);
      return Array.from({ length: nb }, (_, t) => {
        let rem = t;
        let o = 0;
        for (let d = batch.length - 1; d >= 0; d--) {
          o += (rem % batch[d]) * st[d];
          rem = Math.floor(rem / batch[d]);
        }
        return o;
      });
    };
    const ao = offsets(as);
    const bo = offsets(bs);
    const nr = nrOf(p);
    // Split along the dimension whose duplicated packing is cheaper: columns repack A, rows B.
    const byCols = m < nn;
    const tile = byCols ? nr : MR;
    const total = Math.ceil((byCols ? nn : m) / tile);
    const trans = (transA ? TRANS_A : 0) | (transB ? TRANS_B : 0);
    return {
      split: { total, align: 1, cost: nb * m * nn * k * 0.04 },
      note: `gemm ${nb > 1 ? `${nb}×` : ''}${m}×${nn}×${k} ${transA ? 't' : 'n'}${transB ? 't' : 'n'}`,
      emit: (f, lo, hi, part) => {
        const from = f.local('i32');
        const to = f.local('i32');
        f.emit(from.set(i32.mul(lo, i32.const(tile))), to.set(i32.mul(hi, i32.const(tile))));
        const end = byCols ? nn : m;
        f.if(i32.gt_s(to.get(), i32.const(end)), () => f.emit(to.set(i32.const(end))));
        const [i0, i1, j0, j1] = byCols
          ? [i32.const(0), i32.const(m), from.get(), to.get()]
          : [from.get(), to.get(), i32.const(0), i32.const(nn)];
        for (let t = 0; t < nb; t++) {
          f.emit(
            call(
              c.gemm,
              i32.const(c.addr(a) + ao[t] * es),
              i32.const(c.addr(b) + bo[t] * es),
              i32.const(c.out + t * m * nn * es),
              i32.const(m),
              i32.const(nn),
              i32.const(k),
              i32.const(trans),
              i0,
              i1,
              j0,
              j1,
              c.gemmScratch(part),
            ),
          );
        }
      },
    };
  },
  Reshape: none,
  Transpose: (n, c) => {
    const st = contiguousStrides(c.shape(n.inputs[0]));
    return copyKernel(
      c,
      n,
      n.attrs.perm.map((q) => st[q]),
      0,
      'transpose',
    );
  },
  Slice: (n, c) => {
    const st = contiguousStrides(c.shape(n.inputs[0]));
    return copyKernel(
      c,
      n,
      st,
      c.dims(n, 'starts').reduce((o, s, i) => o + s * st[i], 0),
      'slice',
    );
  },
  Pad: (n, c) => {
    const xs = c.shape(n.inputs[0]);
    const st = contiguousStrides(c.shape(n));
    const offset = c.dims(n, 'before').reduce((o, s, i) => o + s * st[i], 0);
    const cp = copyInto(c, n.inputs[0], xs, st, offset, contiguousStrides(xs), 0, sizeOfShape(c.shape(n)));
    return {
      note: 'pad',
      emit: (f) => {
        zeroFill(f, c, n);
        cp.emit(f, i32.const(0), i32.const(cp.nest.outer));
      },
    };
  },
  Concat: (n, c) => {
    const st = contiguousStrides(c.shape(n));
    let start = 0;
    const parts = n.inputs.map((part) => {
      const ps = c.shape(part);
      const cp = copyInto(
        c,
        part,
        ps,
        st,
        start * st[n.attrs.axis],
        contiguousStrides(ps),
        0,
        sizeOfShape(c.shape(n)),
      );
      start += ps[n.attrs.axis];
      return cp;
    });
    return {
      note: `concat ${n.inputs.length}`,
      emit: (f) => {
        for (const cp of parts) cp.emit(f, i32.const(0), i32.const(cp.nest.outer));
      },
    };
  },
  Gather: (n, c) => {
    const [x, idx] = n.inputs;
    const [outer, len, inner] = around(c.shape(x), n.attrs.axis);
    const kind = kindOf(n.dtype);
    const S = layoutOf(c.precision, false);
    const es = bytesOf(kind, c.precision);
    return {
      split: { total: outer, align: 1, cost: outer * inner * 2 },
      note: 'gather',
      emit: (f, lo, hi) => {
        const o = f.local('i32');
        const i = f.local('i32');
        const kk = f.local('i32');
        const ok = f.local('i32');
        const at = f.local('i32');
        f.for(o, lo, hi, 1, () => {
          f.for(i, i32.const(0), i32.const(inner), 1, () => {
            f.emit(at.set(i32.add(i32.mul(o.get(), i32.const(inner)), i.get())));
            f.emit(kk.set(i32.load(i32.shl(at.get(), i32.const(2)), c.addr(idx))));
            f.emit(ok.set(i32.and(i32.ge_s(kk.get(), i32.const(0)), i32.lt_s(kk.get(), i32.const(len)))));
            const safe = select(kk.get(), i32.const(0), ok.get());
            const src = i32.add(
              i32.mul(i32.add(i32.mul(o.get(), i32.const(len)), safe), i32.const(inner)),
              i.get(),
            );
            // Out of range: NaN for floats, as the reference; 0 for ints (what NaN stores as).
            const value = S.where(
              ok.get(),
              S.load(kind, i32.mul(src, i32.const(es)), c.addr(x), false),
              kind === 'f' ? S.f(Number.NaN) : S.i(0),
              kind,
            );
            f.emit(S.store(kind, i32.mul(at.get(), i32.const(es)), value, c.out));
          });
        });
      },
    };
  },
  OneHot: (n, c) => {
    const depth = integer(n.attrs.depth, 'a one-hot depth');
    const ys = c.shape(n.inputs[0]);
    const outer = ys.slice(0, n.attrs.axis).reduce((q, d) => q * d, 1);
    const inner = ys.slice(n.attrs.axis).reduce((q, d) => q * d, 1);
    const kind = kindOf(n.dtype);
    const S = layoutOf(c.precision, false);
    const es = bytesOf(kind, c.precision);
    return {
      note: 'one-hot',
      emit: (f) => {
        zeroFill(f, c, n);
        const o = f.local('i32');
        const i = f.local('i32');
        const kk = f.local('i32');
        f.for(o, i32.const(0), i32.const(outer), 1, () => {
          f.for(i, i32.const(0), i32.const(inner), 1, () => {
            const at = i32.add(i32.mul(o.get(), i32.const(inner)), i.get());
            f.emit(kk.set(i32.load(i32.shl(at, i32.const(2)), c.addr(n.inputs[0]))));
            f.if(i32.and(i32.ge_s(kk.get(), i32.const(0)), i32.lt_s(kk.get(), i32.const(depth))), () => {
              const dst = i32.add(
                i32.mul(i32.add(i32.mul(o.get(), i32.const(depth)), kk.get()), i32.const(inner)),
                i.get(),
              );
              f.emit(S.store(kind, i32.mul(dst, i32.const(es)), kind === 'f' ? S.f(1) : S.i(1), c.out));
            });
          });
        });
      },
    };
  },
  RandomUniform: randomUniform,
  RandomNormal: (n, c) => {
    const size = c.shape(n).reduce((q, d) => q * d, 1);
    const p = c.precision;
    const seed = integer(n.attrs.seed, 'a random seed');
    const stream = integer(n.attrs.stream, 'a random stream');
    return {
      note: 'normal (host)',
      emit: (f) => {
        const i = f.local('i32');
        const step = i32.load(i32.const(0), c.addr(n.inputs[0]));
        f.for(i, i32.const(0), i32.const(size), 1, () => {
          const v = call(c.normal, i32.const(seed | 0), i32.const(stream | 0), step, i.get());
          f.emit(
            p === 'f32'
              ? f32.store(i32.shl(i.get(), i32.const(2)), f32.demote_f64(v), c.out)
              : f64.store(i32.shl(i.get(), i32.const(3)), v, c.out),
          );
        });
      },
    };
  },
  ...wasmWindowKernels,
} satisfies { [K in OpName]: WasmKernel<K> | Unsupported };

/** Kind of a node's storage (re-exported for the code generator). */
export { isFloat, kindOf };
