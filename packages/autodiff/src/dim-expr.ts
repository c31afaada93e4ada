/**
 * Symbolic dimension arithmetic. A symbolic dim is a string holding an expression over named
 * sizes (`N`, `N*T`, `D + 1`, `N/2`), kept in one canonical form so that equal sizes are equal
 * strings: `T*N`, `(N*T)` and `N*T*D/D` are all `N*T`. Shapes can then be compared with `===`,
 * hash-consed, and serialised as plain JSON without loss.
 *
 * The algebra is that of Laurent polynomials with rational coefficients: sums of terms
 * `c · N^a · T^b ...` with integer exponents. It is closed under `+ - *` and division by a
 * single term; division by a sum is exact polynomial division or refused. A dim is only checked
 * to be a whole, non-negative number once its symbols are bound (`N/2` is a fine dim until N is
 * 31), and `evalDim` reports such a binding.
 */
import { diagnostic, GradusError } from './diagnostic.js';

/** A dimension: a known size, or a canonical expression over named sizes (`'N'`, `'N*T'`). */
export type Dim = number | string;

/** A reduced fraction `n/d` with `d > 0`. */
interface Rational {
  readonly n: number;
  readonly d: number;
}

/** Symbol → non-zero exponent, sorted by symbol. */
type Monomial = readonly (readonly [string, number])[];

interface Term {
  readonly mono: Monomial;
  readonly c: Rational;
}

/** A polynomial: its terms by monomial key, none with a zero coefficient. */
type Poly = ReadonlyMap<string, Term>;

function overflow(): never {
  throw new GradusError(diagnostic('E0264', 'dimension arithmetic overflowed (sizes beyond 2^53)'));
}

function gcd(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  while (y) [x, y] = [y, x % y];
  return x;
}

function rat(n: number, d = 1): Rational {
  if (!Number.isSafeInteger(n) || !Number.isSafeInteger(d)) overflow();
  const g = gcd(n, d) || 1;
  const s = d < 0 ? -1 : 1;
  return { n: (s * n) / g || 0, d: (s * d) / g };
}

const qAdd = (a: Rational, b: Rational) => rat(a.n * b.d + b.n * a.d, a.d * b.d);
const qMul = (a: Rational, b: Rational) => rat(a.n * b.n, a.d * b.d);
const qDiv = (a: Rational, b: Rational) => rat(a.n * b.d, a.d * b.n);

function monoKey(m: Monomial): string {
  return m.map(([s, e]) => `${s}^${e}`).join('*');
}

function monoMul(a: Monomial, b: Monomial, sign = 1): Monomial {
  const e = new Map<string, number>(a);
  for (const [s, k] of b) e.set(s, (e.get(s) ?? 0) + sign * k);
  return [...e].filter(([, k]) => k !== 0).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0));
}

function poly(terms: Iterable<Term>): Poly {
  const out = new Map<string, Term>();
  for (const t of terms) {
    if (t.c.n === 0) continue;
    const key = monoKey(t.mono);
    const prev = out.get(key);
    const c = prev ? qAdd(prev.c, t.c) : t.c;
    if (c.n === 0) out.delete(key);
    else out.set(key, { mono: t.mono, c });
  }
  return out;
}

const constant = (c: Rational): Poly => poly([{ mono: [], c }]);
const symbol = (s: string): Poly => poly([{ mono: [[s, 1]], c: rat(1) }]);

function pAdd(a: Poly, b: Poly, sign = 1): Poly {
  return poly([...a.values(), ...[...b.values()].map((t) => ({ mono: t.mono, c: qMul(t.c, rat(sign)) }))]);
}

function pMul(a: Poly, b: Poly): Poly {
  const terms: Term[] = [];
  for (const x of a.values())
    for (const y of b.values()) terms.push({ mono: monoMul(x.mono, y.mono), c: qMul(x.c, y.c) });
  return poly(terms);
}

/** The one term of a single-term polynomial, or undefined. */
function single(p: Poly): Term | undefined {
  return p.size === 1 ? [...p.values()][0] : undefined;
}

/** Lexicographic monomial order (a monomial order, so polynomial division terminates). */
function lexCompare(a: Monomial, b: Monomial): number {
  const syms = [...new Set([...a.map(([s]) => s), ...b.map(([s]) => s)])].sort();
  const ea = new Map(a);
  const eb = new Map(b);
  for (const s of syms) {
    const d = (ea.get(s) ?? 0) - (eb.get(s) ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function leading(p: Poly): Term {
  let best: Term | undefined;
  for (const t of p.values()) if (!best || lexCompare(t.mono, best.mono) > 0) best = t;
  return best as Term;
}

/** The monomial that clears every negative exponent of `p`. */
function clearing(p: Poly): Monomial {
  const need = new Map<string, number>();
  for (const t of p.values())
    for (const [s, e] of t.mono) if (e < 0) need.set(s, Math.max(need.get(s) ?? 0, -e));
  return [...need].sort(([x], [y]) => (x < y ? -1 : 1));
}

const shift = (p: Poly, m: Monomial, sign = 1): Poly =>
  poly([...p.values()].map((t) => ({ mono: monoMul(t.mono, m, sign), c: t.c })));

/**
 * `a / b` when it is a Laurent polynomial: always for a single-term `b`, otherwise when `b`
 * divides `a` exactly (a single divisor is its own Gröbner basis, so the division algorithm
 * leaves no remainder exactly when it divides).
 */
function pDiv(a: Poly, b: Poly): Poly | undefined {
  if (b.size === 0) return undefined;
  const t = single(b);
  if (t) return poly([...a.values()].map((x) => ({ mono: monoMul(x.mono, t.mono, -1), c: qDiv(x.c, t.c) })));
  const ma = clearing(a);
  const mb = clearing(b);
  const A = shift(a, ma);
  const B = shift(b, mb);
  const lb = leading(B);
  let r: Poly = A;
  const q: Term[] = [];
  for (let guard = 0; r.size > 0; guard++) {
    if (guard > 10_000) return undefined;
    const lr = leading(r);
    const mono = monoMul(lr.mono, lb.mono, -1);
    if (mono.some(([, e]) => e < 0)) return undefined;
    const step: Term = { mono, c: qDiv(lr.c, lb.c) };
    q.push(step);
    r = pAdd(r, pMul(poly([step]), B), -1);
  }
  return shift(shift(poly(q), mb), ma, -1);
}

// ---- text -----------------------------------------------------------------------------------

const IDENT = /[A-Za-z_$][A-Za-z0-9_$]*/y;
const INT = /[0-9]+/y;

/** Parses the expression syntax `parseDim` accepts: integers, names, `+ - * / ^ ( )`. */
class DimParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): Poly | undefined {
    const p = this.sum();
    this.ws();
    return p !== undefined && this.i === this.s.length ? p : undefined;
  }

  private ws(): void {
    while (this.s[this.i] === ' ') this.i++;
  }

  private peek(): string | undefined {
    this.ws();
    return this.s[this.i];
  }

  private sum(): Poly | undefined {
    let p = this.product();
    while (p !== undefined) {
      const c = this.peek();
      if (c !== '+' && c !== '-') break;
      this.i++;
      const q = this.product();
      p = q === undefined ? undefined : pAdd(p, q, c === '+' ? 1 : -1);
    }
    return p;
  }

  private product(): Poly | undefined {
    let p = this.unary();
    while (p !== undefined) {
      const c = this.peek();
      if (c !== '*' && c !== '/') break;
      this.i++;
      const q = this.unary();
      p = q === undefined ? undefined : c === '*' ? pMul(p, q) : pDiv(p, q);
    }
    return p;
  }

  private unary(): Poly | undefined {
    if (this.peek() === '-') {
      this.i++;
      const p = this.unary();
      return p === undefined ? undefined : pMul(constant(rat(-1)), p);
    }
    return this.power();
  }

  private power(): Poly | undefined {
    const base = this.atom();
    if (base === undefined || this.peek() !== '^') return base;
    this.i++;
    this.ws();
    const neg = this.s[this.i] === '-';
    if (neg) this.i++;
    INT.lastIndex = this.i;
    const m = INT.exec(this.s);
    if (!m) return undefined;
    this.i = INT.lastIndex;
    return powPoly(base, (neg ? -1 : 1) * Number(m[0]));
  }

  private atom(): Poly | undefined {
    const c = this.peek();
    if (c === '(') {
      this.i++;
      const p = this.sum();
      if (this.peek() !== ')') return undefined;
      this.i++;
      return p;
    }
    INT.lastIndex = this.i;
    const n = INT.exec(this.s);
    if (n) {
      this.i = INT.lastIndex;
      return constant(rat(Number(n[0])));
    }
    IDENT.lastIndex = this.i;
    const id = IDENT.exec(this.s);
    if (id) {
      this.i = IDENT.lastIndex;
      return symbol(id[0]);
    }
    return undefined;
  }
}

function powPoly(p: Poly, k: number): Poly | undefined {
  if (!Number.isInteger(k) || Math.abs(k) > 64) return undefined;
  let out = constant(rat(1));
  for (let j = 0; j < Math.abs(k); j++) out = pMul(out, p);
  return k < 0 ? pDiv(constant(rat(1)), out) : out;
}

const degree = (m: Monomial) => m.reduce((s, [, e]) => s + e, 0);

/** How a polynomial is printed: names as they are (the canonical text), or mapped for code. */
interface PrintStyle {
  readonly name: (s: string) => string;
  /** `N^2` in dim text; `N*N` in code (JavaScript's `**` cannot follow a unary minus). */
  readonly power: (base: string, k: number) => string;
}

const TEXT: PrintStyle = { name: (s) => s, power: (b, k) => `${b}^${k}` };

function factors(m: Monomial, sign: 1 | -1, style: PrintStyle): string[] {
  return m
    .filter(([, e]) => Math.sign(e) === sign)
    .map(([s, e]) => (Math.abs(e) === 1 ? style.name(s) : style.power(style.name(s), Math.abs(e))));
}

/** One term without its sign: `3*N*T/(2*K)`. */
function termText(mono: Monomial, c: Rational, style: PrintStyle): string {
  const up = factors(mono, 1, style);
  const num = [...(Math.abs(c.n) !== 1 || up.length === 0 ? [String(Math.abs(c.n))] : []), ...up];
  const den = [...(c.d !== 1 ? [String(c.d)] : []), ...factors(mono, -1, style)];
  const top = num.join('*');
  if (den.length === 0) return top;
  return `${top}/${den.length === 1 ? den[0] : `(${den.join('*')})`}`;
}

/** The canonical text of a polynomial: terms by falling degree, then by name; constants last. */
function printPoly(p: Poly, style: PrintStyle = TEXT): string {
  const terms = [...p.values()].sort((a, b) => {
    const d = degree(b.mono) - degree(a.mono);
    if (d !== 0) return d;
    const ka = monoKey(a.mono);
    const kb = monoKey(b.mono);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  let out = '';
  terms.forEach((t, i) => {
    const text = termText(t.mono, t.c, style);
    if (i === 0) out = t.c.n < 0 ? `-${text}` : text;
    else out += t.c.n < 0 ? ` - ${text}` : ` + ${text}`;
  });
  return out;
}

// ---- conversions ------------------------------------------------------------------------------

const parsed = new Map<string, Poly | undefined>();

function polyOf(d: Dim): Poly | undefined {
  if (typeof d === 'number') return Number.isSafeInteger(d) ? constantOf(d) : undefined;
  if (parsed.has(d)) return parsed.get(d);
  let p: Poly | undefined;
  try {
    p = new DimParser(d).parse();
  } catch (e) {
    if (!(e instanceof GradusError)) throw e;
    p = undefined;
  }
  // Bounded: a long-running process sees a fixed vocabulary of shapes, but be safe.
  if (parsed.size > 10_000) parsed.clear();
  parsed.set(d, p);
  return p;
}

function constantOf(x: number): Poly {
  return constant(rat(x));
}

/** A polynomial as a dim: a number when it is constant, its canonical text otherwise. */
function dimOf(p: Poly): Dim {
  if (p.size === 0) return 0;
  const t = single(p);
  if (t && t.mono.length === 0) return t.c.n / t.c.d;
  return printPoly(p);
}

function need(d: Dim): Poly {
  const p = polyOf(d);
  if (p === undefined)
    throw new GradusError(diagnostic('E0311', `${JSON.stringify(d)} is not a dimension expression`));
  return p;
}

/**
 * The canonical form of a dim (`'T*N'` → `'N*T'`, `'N - N + 3'` → `3`), or undefined when a
 * string is not an expression over names and integers.
 */
export function canonicalDim(d: Dim): Dim | undefined {
  const p = polyOf(d);
  return p === undefined ? undefined : dimOf(p);
}

/** Whether `d` is a dim in canonical form: a number, or the canonical text of an expression. */
export function isCanonicalDim(d: unknown): d is Dim {
  if (typeof d === 'number') return Number.isInteger(d);
  return typeof d === 'string' && d.length > 0 && canonicalDim(d) === d;
}

/** Whether `d` is a dim written as a bare name (`N`), as opposed to a compound expression. */
export function isDimSymbol(d: Dim): d is string {
  if (typeof d !== 'string') return false;
  IDENT.lastIndex = 0;
  const m = IDENT.exec(d);
  return m !== null && m[0].length === d.length;
}

export function addDims(a: Dim, b: Dim): Dim {
  return typeof a === 'number' && typeof b === 'number' ? a + b : dimOf(pAdd(need(a), need(b)));
}

export function subDims(a: Dim, b: Dim): Dim {
  return typeof a === 'number' && typeof b === 'number' ? a - b : dimOf(pAdd(need(a), need(b), -1));
}

export function mulDims(a: Dim, b: Dim): Dim {
  return typeof a === 'number' && typeof b === 'number' ? a * b : dimOf(pMul(need(a), need(b)));
}

/**
 * `a / b` as a dim, or undefined when it is not one: division by zero, or by a sum of terms
 * that does not divide `a` exactly. Constant quotients may be fractions (`5 / 2` is 2.5); that
 * a dim is a whole number is checked where dims must be sizes.
 */
export function divDims(a: Dim, b: Dim): Dim | undefined {
  if (typeof a === 'number' && typeof b === 'number') return b === 0 ? undefined : a / b;
  const q = pDiv(need(a), need(b));
  return q === undefined ? undefined : dimOf(q);
}

/** `a ^ k` for an integer `k`, or undefined. */
export function powDim(a: Dim, k: number): Dim | undefined {
  const p = powPoly(need(a), k);
  return p === undefined ? undefined : dimOf(p);
}

/** The product of a shape's dims: its number of elements, symbolically. */
export function productOfDims(dims: readonly Dim[]): Dim {
  let p = constant(rat(1));
  let n = 1;
  for (const d of dims) {
    if (typeof d === 'number') n *= d;
    else p = pMul(p, need(d));
  }
  return n === 1 ? dimOf(p) : dimOf(pMul(p, constantOf(n)));
}

/** The names a dim mentions, sorted. */
export function dimSymbols(d: Dim): string[] {
  if (typeof d === 'number') return [];
  const syms = new Set<string>();
  for (const t of need(d).values()) for (const [s] of t.mono) syms.add(s);
  return [...syms].sort();
}

/**
 * `d` with the names in `dims` replaced by their values: a number once every name is bound
 * (possibly a fraction or negative: callers that need a size check it), else the remaining
 * expression.
 */
export function substituteDim(d: Dim, dims: Readonly<Record<string, number>>): Dim {
  if (typeof d === 'number') return d;
  if (Object.hasOwn(dims, d)) return dims[d];
  const p = need(d);
  const terms: Term[] = [];
  let changed = false;
  for (const t of p.values()) {
    let c = t.c;
    const mono: [string, number][] = [];
    for (const [s, e] of t.mono) {
      if (Object.hasOwn(dims, s)) {
        const v = dims[s];
        if (!Number.isSafeInteger(v) || (v === 0 && e < 0)) return Number.NaN;
        if (v === 0) {
          c = rat(0);
          changed = true;
          continue;
        }
        const pv = powPoly(constantOf(v), e);
        const vc = pv ? single(pv) : undefined;
        if (!vc) return Number.NaN; // a bound name of value 0 with a negative exponent
        c = qMul(c, vc.c);
        changed = true;
      } else mono.push([s, e]);
    }
    terms.push({ mono, c });
  }
  return changed ? dimOf(poly(terms)) : d;
}

/**
 * Solves `d = value` for its one unbound name when `d` is linear in it (`N*T = 12` with T = 3
 * gives N = 4). Undefined when `d` has no unbound name, several, or a power of one.
 */
export function solveDim(
  d: Dim,
  value: number,
  dims: Readonly<Record<string, number>>,
): { readonly name: string; readonly value: number } | undefined {
  const rest = substituteDim(d, dims);
  if (typeof rest === 'number') return undefined;
  const p = need(rest);
  const names = dimSymbols(rest);
  if (names.length !== 1) return undefined;
  const [name] = names;
  let slope: Rational = rat(0);
  let offset: Rational = rat(0);
  for (const t of p.values()) {
    if (t.mono.length === 0) offset = qAdd(offset, t.c);
    else if (t.mono.length === 1 && t.mono[0][1] === 1) slope = qAdd(slope, t.c);
    else return undefined;
  }
  if (slope.n === 0) return undefined;
  const x = qDiv(qAdd(rat(value), qMul(offset, rat(-1))), slope);
  return { name, value: x.n / x.d };
}

/**
 * A dim as a JavaScript expression, each name replaced by `name(s)` (the TypeScript emitter binds
 * names to locals). Division stays division: the caller checks that the value is a size.
 */
export function dimAsCode(d: Dim, name: (s: string) => string): string {
  if (typeof d === 'number') return String(d);
  return printPoly(need(d), {
    name,
    power: (b, k) => `(${Array.from({ length: k }, () => b).join('*')})`,
  });
}

/** One term of a dim, `(num / den) · Π name^power`, as `dimTerms` lists them. */
export interface DimTerm {
  readonly num: number;
  readonly den: number;
  readonly factors: readonly (readonly [name: string, power: number])[];
}

/**
 * The terms of a dim (a constant is one term with no factors), for code generators that compute
 * a symbolic size from its names at run time (the ONNX exporter builds it from input shapes).
 */
export function dimTerms(d: Dim): DimTerm[] {
  if (typeof d === 'number') return d === 0 ? [] : [{ num: d, den: 1, factors: [] }];
  return [...need(d).values()].map((t) => ({ num: t.c.n, den: t.c.d, factors: t.mono }));
}
