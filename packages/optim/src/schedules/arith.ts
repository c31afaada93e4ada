import type { Graph, Value } from '@gradus/autodiff';

/** An operand: a value of the arithmetic's own type, or a plain number. */
export type Num<T> = T | number;

/**
 * The tiny numeric interface every schedule is written against, once. Two implementations
 * satisfy it: `numberArith` (plain JS numbers, for printing and plotting a schedule) and
 * `valueArith(g)` (graph values, so the schedule is part of the compiled training step).
 * Because both run the same sequence of IEEE operations, the two forms agree exactly in f64.
 */
export interface Arith<T> {
  lift(c: number): T;
  add(a: Num<T>, b: Num<T>): T;
  sub(a: Num<T>, b: Num<T>): T;
  mul(a: Num<T>, b: Num<T>): T;
  div(a: Num<T>, b: Num<T>): T;
  pow(a: Num<T>, b: Num<T>): T;
  min(a: Num<T>, b: Num<T>): T;
  max(a: Num<T>, b: Num<T>): T;
  abs(a: Num<T>): T;
  cos(a: Num<T>): T;
  sqrt(a: Num<T>): T;
  floor(a: Num<T>): T;
  /** 1 where `a ≥ b`, else 0. */
  ge(a: Num<T>, b: Num<T>): T;
  /** 1 where `a < b`, else 0. */
  lt(a: Num<T>, b: Num<T>): T;
  /** `c ≠ 0 ? a : b`. */
  select(c: Num<T>, a: Num<T>, b: Num<T>): T;
  /**
   * A scalar that the host sets between runs (reduce-on-plateau's multiplier): a state variable
   * of the graph in the Value form, its initial value in the number form.
   */
  hostScalar(name: string, initial: number): T;
}

/** Plain numbers. */
export const numberArith: Arith<number> = {
  lift: (c) => c,
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
  min: (a, b) => Math.min(a, b),
  max: (a, b) => Math.max(a, b),
  abs: (a) => Math.abs(a),
  cos: (a) => Math.cos(a),
  sqrt: (a) => Math.sqrt(a),
  floor: (a) => Math.floor(a),
  ge: (a, b) => (a >= b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  select: (c, a, b) => (c !== 0 ? a : b),
  hostScalar: (_name, initial) => initial,
};

/** Graph values of `g` in its float dtype (or `dtype`). */
export function valueArith(g: Graph, dtype = g.floatDtype): Arith<Value> {
  const v = (a: Num<Value>): Value => (typeof a === 'number' ? g.constant(a, dtype) : a.castTo(dtype));
  const flag = (b: Value): Value => b.castTo(dtype);
  return {
    lift: (c) => v(c),
    add: (a, b) => v(a).add(v(b)),
    sub: (a, b) => v(a).sub(v(b)),
    mul: (a, b) => v(a).mul(v(b)),
    div: (a, b) => v(a).div(v(b)),
    pow: (a, b) => v(a).pow(v(b)),
    min: (a, b) => v(a).minimum(v(b)),
    max: (a, b) => v(a).maximum(v(b)),
    abs: (a) => v(a).abs(),
    cos: (a) => v(a).cos(),
    sqrt: (a) => v(a).sqrt(),
    floor: (a) => {
      // No Floor primitive: truncate through i32, then step down where truncation rounded up.
      const x = v(a);
      const t = x.castTo('i32').castTo(dtype);
      return x.lt(t).where(t.sub(1), t);
    },
    ge: (a, b) => flag(v(a).ge(v(b))),
    lt: (a, b) => flag(v(a).lt(v(b))),
    select: (c, a, b) => v(c).ne(0).where(v(a), v(b)),
    hostScalar: (name, initial) => {
      const existing = g.variables.get(name);
      return existing ? g.value(existing) : g.state(name, [], { kind: 'constant', value: initial }, dtype);
    },
  };
}
