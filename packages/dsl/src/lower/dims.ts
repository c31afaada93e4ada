/**
 * Dims in the language: arithmetic on dim names and whole numbers (`N * T`, `D + 1`, `H / 2`)
 * in declared types, in shape lists (`reshape(x, [N * T, D])`) and in slice bounds (`x[:, 1:T]`).
 * Constant dims fold to numbers, and must come out whole (`H / 3` with H = 256 is an error);
 * symbolic ones stay expressions in the IR and are checked when their names are bound.
 */
import {
  addDims,
  concat,
  type Dim,
  divDims,
  type Graph,
  mulDims,
  powDim,
  type Span,
  subDims,
  type Value,
} from '@gradus/autodiff';
import type { Expr } from '../syntax/ast.js';
import { printExpr } from '../syntax/print.js';
import { fail } from './errors.js';
import { describeVal, type Located, type Val } from './values.js';

/** Codes of the dim diagnostics. */
export const DIM_CODES = { notWhole: 'E0160', notADim: 'E0161' } as const;

/**
 * The largest size of one dimension: shapes, indices and the step counter are 32-bit integers in
 * every backend, so a larger dim could only overflow somewhere later.
 */
export const MAX_DIM = 2_147_483_647;

/** A dim as written (constant dims by name) and as resolved (constant dims by value). */
export interface WrittenDim {
  readonly written: Dim;
  readonly value: Dim;
}

type Arith = '+' | '-' | '*' | '/' | '^';
const ARITH = new Set<string>(['+', '-', '*', '/', '^']);

/** `a op b` on dims, or undefined when it is no dim (`N / (T + 1)`, a power that is not whole). */
function combine(op: Arith, a: Dim, b: Dim): Dim | undefined {
  switch (op) {
    case '+':
      return addDims(a, b);
    case '-':
      return subDims(a, b);
    case '*':
      return mulDims(a, b);
    case '/':
      return divDims(a, b);
    case '^':
      return typeof b === 'number' && Number.isInteger(b) && b >= 0 ? powDim(a, b) : undefined;
  }
}

function wholeOrFail(d: Dim, text: string, span: Span, hint?: string): Dim {
  if (typeof d === 'number' && Number.isInteger(d) && d > MAX_DIM) tooLarge(text, d, span);
  if (typeof d === 'number' && !(Number.isInteger(d) && d >= 0)) {
    fail(
      DIM_CODES.notWhole,
      `the dimension ${text} comes out as ${Number(d.toPrecision(4))}, not a size (a whole number ≥ 0)`,
      span,
      {
        ...(hint ? { hint } : {}),
      },
    );
  }
  return d;
}

/** A dim beyond `MAX_DIM` (E0160). */
export function tooLarge(text: string, value: number, span: Span): never {
  fail(
    DIM_CODES.notWhole,
    `the dimension ${text} is ${value.toLocaleString('en-US')}, more than the largest size, ${MAX_DIM.toLocaleString('en-US')}`,
    span,
    { hint: 'sizes are 32-bit integers in every backend' },
  );
}

/**
 * Evaluates a dim of a declared type. `lookup` resolves a name to its dim (failing, with the
 * language's message, for a name that is not one).
 */
export function evalTypeDim(e: Expr, lookup: (name: string, span: Span) => WrittenDim): WrittenDim {
  const go = (x: Expr): WrittenDim => {
    switch (x.kind) {
      case 'number':
        if (!x.integer || x.value < 0)
          fail(DIM_CODES.notWhole, `a dimension is a whole number ≥ 0, not ${x.raw}`, x.span);
        if (x.value > MAX_DIM) tooLarge(x.raw, x.value, x.span);
        return { written: x.value, value: x.value };
      case 'name':
        return lookup(x.name, x.span);
      case 'unary': {
        const v = go(x.operand);
        if (x.op === '+') return v;
        return { written: subDims(0, v.written), value: subDims(0, v.value) };
      }
      case 'binary': {
        if (!ARITH.has(x.op)) break;
        const l = go(x.left);
        const r = go(x.right);
        const op = x.op as Arith;
        const written = combine(op, l.written, r.written);
        const value = combine(op, l.value, r.value);
        if (written === undefined || value === undefined) {
          fail(
            DIM_CODES.notADim,
            `${printDim(x)} is not a dimension: ${op === '^' ? 'a power of a dim needs a whole exponent' : 'it divides by a sum that does not divide it'}`,
            x.span,
          );
        }
        return { written, value };
      }
      default:
        break;
    }
    return fail(
      DIM_CODES.notADim,
      `a dimension is written with dim names, whole numbers and + - * / ^, not ${describeExpr(x)}`,
      x.span,
    );
  };
  const d = go(e);
  wholeOrFail(d.value, printDim(e), e.span, 'a dim divided by a number must come out whole');
  return d;
}

function describeExpr(e: Expr): string {
  switch (e.kind) {
    case 'call':
      return `a call of ${e.callee}`;
    case 'string':
      return 'a string';
    case 'tensor':
      return 'a literal';
    case 'index':
      return 'an index';
    case 'binary':
      return `'${e.op}'`;
    default:
      return printDim(e);
  }
}

/** An expression as the user wrote it, without the test printer's full parentheses at the top. */
export function printDim(e: Expr): string {
  let s: string;
  try {
    s = printExpr(e);
  } catch (err) {
    // Too deep to print recursively (a chain of thousands of terms): say so rather than crash.
    if (err instanceof RangeError) return 'this expression';
    throw err;
  }
  return s.startsWith('(') && s.endsWith(')') ? s.slice(1, -1) : s;
}

/** A number that can be a dim: whole and ≥ 0. */
function wholeNumber(v: Val): v is Extract<Val, { kind: 'number' }> {
  return v.kind === 'number' && Number.isInteger(v.n);
}

/**
 * `l op r` when a size takes part and the other side is a size or a whole number: a size again,
 * whose dim is the symbolic result and whose tensor is the same arithmetic on float tensors.
 * Undefined when it is not size arithmetic (the caller builds tensors as usual).
 */
export function sizeArith(g: Graph, op: string, l: Val, r: Val, text: () => string): Val | undefined {
  if (!ARITH.has(op) || (l.kind !== 'size' && r.kind !== 'size')) return undefined;
  if (!(l.kind === 'size' || wholeNumber(l)) || !(r.kind === 'size' || wholeNumber(r))) return undefined;
  const dimOf = (v: Val) => (v.kind === 'size' ? v.dim : v.kind === 'number' ? v.n : undefined);
  const a = dimOf(l);
  const b = dimOf(r);
  const dim = a === undefined || b === undefined ? undefined : combine(op as Arith, a, b);
  const asTensor = (v: Val): Value | number => (v.kind === 'size' ? v.tensor() : (v as { n: number }).n);
  // Tensors are built when first needed, each from its operands' own: a long chain of sizes
  // (`N + N + ... + N`) builds its operands' tensors every `FORCE_DEPTH` links, so that
  // building the last one never nests deeper than that.
  const depth = Math.max(l.kind === 'size' ? (l.depth ?? 0) : 0, r.kind === 'size' ? (r.depth ?? 0) : 0) + 1;
  if (depth >= FORCE_DEPTH) for (const v of [l, r]) if (v.kind === 'size') v.tensor();
  let memo: Value | undefined;
  const tensor = (): Value => {
    if (memo) return memo;
    const x = asTensor(l);
    const y = asTensor(r);
    const left = typeof x === 'number' ? g.constant(x) : x;
    switch (op as Arith) {
      case '+':
        memo = left.add(y);
        break;
      case '-':
        memo = left.sub(y);
        break;
      case '*':
        memo = left.mul(y);
        break;
      case '/':
        memo = left.div(y);
        break;
      case '^':
        memo = left.pow(y);
        break;
    }
    return memo as Value;
  };
  return {
    kind: 'size',
    ...(dim !== undefined ? { dim } : {}),
    text,
    tensor,
    depth: depth >= FORCE_DEPTH ? 0 : depth,
  };
}

/** How many links of size arithmetic may wait for their tensors (see `sizeArith`). */
const FORCE_DEPTH = 64;

/** `-size`, written as `text`. */
export function negateSize(v: Extract<Val, { kind: 'size' }>, text: () => string): Val {
  return {
    kind: 'size',
    ...(v.dim !== undefined ? { dim: subDims(0, v.dim) } : {}),
    text,
    tensor: () => v.tensor().neg(),
    depth: (v.depth ?? 0) + 1,
  };
}

/**
 * A float hyper-parameter used as a dim (E0172): a run could set it to 2.5, so a dim needs an
 * `int` hyper, whose overrides are checked to be whole before any shape is.
 */
export function floatHyperAsDim(name: string, span: Span, declared: Span): never {
  return fail('E0172', `hyper-parameter '${name}' is a float, so it cannot be a dimension`, span, {
    notes: [{ message: `'${name}' is declared here`, span: declared }],
    hint: `declare it as an int: hyper ${name}: int = ...`,
  });
}

/** A value used as one dim: a whole number or a size; undefined for anything else. */
export function dimOfVal(a: Located<Val>): Dim | undefined {
  const v = a.val;
  if (v.kind === 'number' && v.floatHyper) floatHyperAsDim(v.floatHyper.name, a.span, v.floatHyper.span);
  if (v.kind === 'number') return Number.isInteger(v.n) ? v.n : undefined;
  if (v.kind !== 'size') return undefined;
  if (v.dim === undefined) {
    return fail(
      DIM_CODES.notADim,
      `${v.text()} is not a dimension: it divides by a sum that does not divide it`,
      a.span,
    );
  }
  return v.dim;
}

/**
 * A literal whose elements are sizes and whole numbers (`[N * T, D]`, `[-1, T, H]`) as a shape;
 * undefined when no element is a size (an ordinary literal of numbers).
 */
export function dimsLiteral(elements: readonly Located<Val>[]): Val | undefined {
  if (!elements.some((e) => e.val.kind === 'size')) return undefined;
  const dims = elements.map((e) => {
    const d = dimOfVal(e);
    if (d === undefined) {
      return fail(
        'E0145',
        `a shape [...] may contain only dims and whole numbers, got ${describeVal(e.val)}`,
        e.span,
      );
    }
    return d;
  });
  return { kind: 'dims', dims };
}

/** A shape list as a float tensor of its sizes (`[N, 3] * 2`): one element per dim. */
export function dimsTensor(g: Graph, dims: readonly Dim[]): Value {
  return concat(
    dims.map((d) =>
      typeof d === 'number'
        ? g.constant([d])
        : g.value(g.add('Size', [], { dims: [d], dtype: g.floatDtype })).reshape([1]),
    ),
    0,
  );
}
