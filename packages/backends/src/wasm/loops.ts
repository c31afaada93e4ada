/**
 * Loop nests over an iteration space with constant bounds and strides, as WebAssembly. Adjacent
 * dims that every access walks contiguously merge into one loop (a same-shape elementwise op is a
 * single loop, a bias add two), a value constant along the inner loops is loaded once outside
 * them, and the innermost loop runs whole vectors when every access along it is contiguous or
 * broadcast and its length is a multiple of the vector width (or it is the only loop: then the
 * last vector runs into the buffer's padding, which every buffer has up to 16 bytes).
 */
import { type Expr, i32, type ValType } from './encoder/instructions.js';
import type { FunctionBuilder } from './encoder/module.js';

export interface Access {
  /** Stride in elements along each dim of the iteration space (0: broadcast). */
  readonly strides: readonly number[];
  /** Byte address of the element at index 0. */
  readonly base: number;
  /** Bytes per element. */
  readonly bytes: number;
  /** For a read: one step's load at `addr + offset` (`splat`: the same element for every lane). */
  readonly load?: (addr: Expr<'i32'>, offset: number, splat: boolean) => Expr<ValType>;
}

export interface LoopDim {
  readonly size: number;
  readonly strides: readonly number[];
}

export interface Nest {
  readonly dims: readonly LoopDim[];
  /** Elements per innermost step (1 when the nest cannot run vectors). */
  readonly width: number;
  /** Length of the outermost loop: the range a split divides (1 for an empty nest). */
  readonly outer: number;
  /** Elements in the whole space. */
  readonly elements: number;
}

/**
 * Merges the loops of a space; `width` is granted only where it is safe. `exact`: never run past
 * the end of the innermost loop (a reduction must not add the padding in).
 */
export function planNest(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  width: number,
  exact = false,
): Nest {
  const elements = shape.reduce((p, d) => p * d, 1);
  const dims: LoopDim[] = [];
  shape.forEach((size, d) => {
    if (size === 1) return;
    const st = strides.map((s) => s[d]);
    const prev = dims[dims.length - 1];
    if (prev?.strides.every((s, k) => s === st[k] * size))
      dims[dims.length - 1] = { size: prev.size * size, strides: st };
    else dims.push({ size, strides: st });
  });
  const inner = dims[dims.length - 1];
  const vector =
    width > 1 &&
    inner !== undefined &&
    inner.strides.every((s) => s === 0 || s === 1) &&
    (inner.size % width === 0 || (dims.length === 1 && !exact));
  return { dims, width: vector ? width : 1, outer: dims.length === 0 ? 1 : dims[0].size, elements };
}

export interface BodyContext {
  /** The value read by access `k` for this step (hoisted out of the loops where it is invariant). */
  value(k: number): Expr<ValType>;
  /** Address (plus constant `offset(k)`) of access `k`'s element for this step. */
  addr(k: number): Expr<'i32'>;
  offset(k: number): number;
}

/**
 * Emits the nest over `[lo, hi)` of its outermost loop (the whole space: `0` and `nest.outer`;
 * a flat vector loop's bounds must be multiples of the width). `body` writes one step; `start`
 * holds byte offsets of the accesses to begin from (an enclosing nest's position), default 0.
 */
export function emitNest(
  f: FunctionBuilder,
  nest: Nest,
  accesses: readonly Access[],
  lo: Expr<'i32'>,
  hi: Expr<'i32'>,
  body: (c: BodyContext) => void,
  start?: readonly Expr<'i32'>[],
): void {
  if (nest.elements === 0) return;
  const { dims, width } = nest;
  const n = dims.length;
  // The loop level at which each read becomes constant (n: it varies in the innermost loop).
  const hoistAt = accesses.map((_, k) => {
    let h = n;
    while (h > 0 && dims[h - 1].strides[k] === 0) h--;
    return h;
  });
  const hoisted = new Map<number, Expr<ValType>>();
  const hoist = (level: number, offs: readonly Expr<'i32'>[]) => {
    accesses.forEach((a, k) => {
      if (!a.load || hoistAt[k] !== level || level === n) return;
      const v = a.load(offs[k], a.base, width > 1);
      const l = f.local(v.type);
      f.emit(l.set(v));
      hoisted.set(k, l.get());
    });
  };
  const level = (d: number, offs: readonly Expr<'i32'>[]): void => {
    if (d === n) {
      body({
        value: (k) => {
          const h = hoisted.get(k);
          if (h) return h;
          const load = accesses[k].load;
          if (!load) throw new Error('internal: a store access has no value');
          // Vector loads along a broadcast innermost dim repeat one element in every lane.
          return load(offs[k], accesses[k].base, width > 1 && n > 0 && dims[n - 1].strides[k] === 0);
        },
        addr: (k) => offs[k],
        offset: (k) => accesses[k].base,
      });
      return;
    }
    const i = f.local('i32');
    const innermost = d === n - 1;
    const next: Expr<'i32'>[] = [];
    f.for(
      i,
      d === 0 ? lo : i32.const(0),
      d === 0 ? hi : i32.const(dims[d].size),
      innermost ? width : 1,
      () => {
        accesses.forEach((a, k) => {
          const step = dims[d].strides[k] * a.bytes;
          if (step === 0) next[k] = offs[k];
          else {
            const moved = i32.add(offs[k], step === 1 ? i.get() : i32.mul(i.get(), i32.const(step)));
            if (innermost) next[k] = moved;
            else {
              const l = f.local('i32');
              f.emit(l.set(moved));
              next[k] = l.get();
            }
          }
        });
        hoist(d + 1, next);
        level(d + 1, next);
      },
    );
  };
  const first = start ?? accesses.map(() => i32.const(0));
  hoist(0, first);
  level(0, first);
}
