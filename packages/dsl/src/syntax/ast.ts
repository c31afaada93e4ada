/**
 * The abstract syntax tree of a `.model` file: what the lowering to graphs consumes.
 *
 * Conventions, relied on by every consumer:
 * - Every node has `span: Span`, a half-open `[start, end)` range of UTF-16 offsets into the
 *   source text (the same offsets JavaScript string indices use). Line and column are computed
 *   only when a diagnostic is rendered.
 * - Declarations also carry `nameSpan`, covering just the declared name, so a diagnostic such as
 *   "W1 declared here" can underline `W1` rather than the whole statement.
 * - Discriminated unions use `kind`. Switch on it exhaustively; no other field identifies a node.
 * - The tree is plain data (no classes, no parent links, no cycles): safe to snapshot, clone, or
 *   `JSON.stringify`.
 * - When `parse()` reports syntax errors, the tree keeps what could be read and omits broken
 *   pieces (a `let` whose expression is missing is dropped, for example). Such a tree is good for
 *   tooling; lower a program only when `parse()` returned no errors.
 */
import type { Span } from '@gradus/autodiff';

// ---------------------------------------------------------------------------------------------
// Files and declarations
// ---------------------------------------------------------------------------------------------

/** A whole file: top-level functions and models, each in source order. */
export interface Program {
  readonly kind: 'program';
  readonly fns: readonly FnDecl[];
  readonly models: readonly ModelDecl[];
  /** The whole text, `[0, text.length)`. */
  readonly span: Span;
}

/** A name with its own span: a function parameter, for instance. */
export interface Ident {
  readonly name: string;
  readonly span: Span;
}

/** A function parameter; `default` (`keep = 0.9`) is used when a call does not give it. */
export interface FnParam extends Ident {
  readonly default?: Expr;
}

/**
 * `fn dense(x, W, b) = x @ W + b`, or a block body `fn f(x) { let t = x * x; return t + 1 }`.
 * Functions are inlined where they are called; `lets` are local to the body and evaluated in
 * order, then `result` is the value of a call. An expression body has `lets: []`.
 */
export interface FnDecl {
  readonly kind: 'fn';
  readonly name: string;
  readonly nameSpan: Span;
  readonly params: readonly FnParam[];
  readonly lets: readonly LetStmt[];
  readonly result: Expr;
  readonly span: Span;
}

/** `model TwoLayerNet { ... }`: statements in source order. */
export interface ModelDecl {
  readonly kind: 'model';
  readonly name: string;
  readonly nameSpan: Span;
  readonly stmts: readonly Stmt[];
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------------
// Statements (inside a model)
// ---------------------------------------------------------------------------------------------

export type Stmt =
  | DimStmt
  | HyperStmt
  | InputStmt
  | ParamStmt
  | LetStmt
  | OutputStmt
  | MetricStmt
  | LossStmt
  | TrainStmt;

/** `dim N, D = 2, H = 100`: one statement may declare several dimensions. */
export interface DimStmt {
  readonly kind: 'dim';
  readonly dims: readonly DimDecl[];
  readonly span: Span;
}

/**
 * One named dimension. Without `value` it is symbolic and bound when data arrives (a batch size,
 * typically); with one, it is a constant. `value` is always a non-negative integer (the parser
 * reports anything else).
 */
export interface DimDecl {
  readonly name: string;
  readonly nameSpan: Span;
  readonly value?: number;
  readonly valueSpan?: Span;
  readonly span: Span;
}

/**
 * `hyper lambda = 1e-3`, `hyper H: int = 256 in [16, 1024]`, `hyper keep = 0.9 in (0, 1]`: a
 * named value the model uses like a constant, which a run may override (`--hyper lambda=1e-2`)
 * and a search may sample. `typeName` is as written (`int`, `float`; lowering checks it); the
 * default `value` is an expression over numbers, earlier hypers and constant dims.
 */
export interface HyperStmt {
  readonly kind: 'hyper';
  readonly name: string;
  readonly nameSpan: Span;
  readonly typeName?: string;
  readonly typeSpan?: Span;
  readonly value: Expr;
  readonly range?: HyperRange;
  readonly span: Span;
}

/** `in [lo, hi]` (`(` or `)` for an open end), optionally followed by a scale name (`log`). */
export interface HyperRange {
  readonly lo: Expr;
  readonly hi: Expr;
  readonly loOpen: boolean;
  readonly hiOpen: boolean;
  readonly scale?: string;
  readonly scaleSpan?: Span;
  readonly span: Span;
}

/** `input x: float[N, D]`: data fed at run time, bound to data sets by name. */
export interface InputStmt {
  readonly kind: 'input';
  readonly name: string;
  readonly nameSpan: Span;
  readonly type: TensorType;
  readonly span: Span;
}

/**
 * `param W: [D, H] init glorot_uniform`: a trainable tensor. `init` is any expression: a name
 * (`zeros`), a call (`normal(std = 0.01)`) or a literal (`[4, 0.5]`, `[-1.2, 1]`). It is absent
 * when the user wrote no `init` clause; lowering chooses the default (or reports it).
 * `type.dtype` is always `'float'` for parameters (the parser reports anything else).
 * `frozen` is the span of the `frozen` keyword when the param is kept out of training.
 */
export interface ParamStmt {
  readonly kind: 'param';
  readonly name: string;
  readonly nameSpan: Span;
  readonly type: TensorType;
  readonly init?: Expr;
  readonly frozen?: Span;
  readonly span: Span;
}

/** `let h = expr`: a named intermediate, bound once. Also used for locals in `fn` bodies. */
export interface LetStmt {
  readonly kind: 'let';
  readonly name: string;
  readonly nameSpan: Span;
  readonly value: Expr;
  readonly span: Span;
}

/** `output probs = expr`: a value `predict`/`eval` returns. */
export interface OutputStmt {
  readonly kind: 'output';
  readonly name: string;
  readonly nameSpan: Span;
  readonly value: Expr;
  readonly span: Span;
}

/** `metric accuracy = expr`: a scalar reported during training and evaluation. */
export interface MetricStmt {
  readonly kind: 'metric';
  readonly name: string;
  readonly nameSpan: Span;
  readonly value: Expr;
  readonly span: Span;
}

/**
 * `loss = expr`: the scalar to minimise. The grammar accepts any number of these; "exactly one
 * per model" is for lowering to check. `keywordSpan` covers `loss`, for such diagnostics.
 */
export interface LossStmt {
  readonly kind: 'loss';
  readonly value: Expr;
  readonly keywordSpan: Span;
  readonly span: Span;
}

/** `train { optimizer = adam(lr = 1e-2) ... }`: default training settings, in source order. */
export interface TrainStmt {
  readonly kind: 'train';
  readonly settings: readonly TrainSetting[];
  readonly span: Span;
}

/**
 * `key = value` inside `train { }`. The value is an ordinary expression: a number (`64`), a name
 * (`mnist`), a string (`"data/points.csv"`) or a call with named arguments
 * (`warmup(steps = 50, then = cosine(steps = 2000))`). Keys are not checked by the parser.
 */
export interface TrainSetting {
  readonly key: string;
  readonly keySpan: Span;
  readonly value: Expr;
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------------
// Types and shapes
// ---------------------------------------------------------------------------------------------

export type ElementType = 'float' | 'int' | 'bool';

/**
 * `float[N, D]`, `int[N]`, `float` (scalar), `[D, H]` (dtype omitted: float).
 * `shape` is empty for a scalar. `dtypeSpan` is absent when the dtype was omitted.
 */
export interface TensorType {
  readonly dtype: ElementType;
  readonly dtypeSpan?: Span;
  readonly shape: readonly ShapeDim[];
  readonly span: Span;
}

/**
 * One dimension of a declared shape: a dim's name (`N`), a literal size (`3`), or arithmetic on
 * them (`N * T`, `D + 1`, `H / 2`), which lowering evaluates symbolically.
 */
export type ShapeDim = NamedDim | SizeDim | ExprDim;

export interface NamedDim {
  readonly kind: 'named';
  readonly name: string;
  readonly span: Span;
}

/** A literal size; always a non-negative integer (the parser reports anything else). */
export interface SizeDim {
  readonly kind: 'size';
  readonly value: number;
  readonly span: Span;
}

/** A dim written as arithmetic (`N * T`); a bare name or number is a `NamedDim` or `SizeDim`. */
export interface ExprDim {
  readonly kind: 'expr';
  readonly expr: Expr;
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------------------

export type Expr =
  | NumberExpr
  | StringExpr
  | NameExpr
  | UnaryExpr
  | BinaryExpr
  | CallExpr
  | IndexExpr
  | TensorExpr;

/**
 * A numeric literal. `raw` is the source text; `integer` is true when it has neither a decimal
 * point nor an exponent (`1` but not `1.0` or `1e2`), for arguments such as `axis` that want an
 * integer. A minus sign written directly before a literal is folded in (`-1` is
 * `{ value: -1, raw: '-1' }`), so literals such as `[-1.2, 1]` and `axis = -1` need no constant
 * folding; `-x`, `-(1)` and `-1^2` (which is `-(1^2)`) stay unary.
 */
export interface NumberExpr {
  readonly kind: 'number';
  readonly value: number;
  readonly raw: string;
  readonly integer: boolean;
  readonly span: Span;
}

/** `"path/to/file.csv"`, with escapes (`\"`, `\\`, `\n`, `\t`) decoded into `value`. */
export interface StringExpr {
  readonly kind: 'string';
  readonly value: string;
  readonly span: Span;
}

/** A reference: a dim, input, param, let, function parameter, or a bare built-in like `zeros`. */
export interface NameExpr {
  readonly kind: 'name';
  readonly name: string;
  readonly span: Span;
}

/** `-x` (negation) or `+x` (identity, kept so tools can reprint the source). */
export interface UnaryExpr {
  readonly kind: 'unary';
  readonly op: UnaryOp;
  readonly operand: Expr;
  readonly opSpan: Span;
  readonly span: Span;
}

export type UnaryOp = '-' | '+';

/**
 * `left op right`. Comparisons give 0/1 (no gradient); `@` is the matrix product; `^` is the
 * power (right-associative: `2^3^2` is `2^(3^2)`). Chained comparisons (`a < b < c`) are reported
 * by the parser but still built left-associatively.
 */
export interface BinaryExpr {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly opSpan: Span;
  readonly span: Span;
}

export type BinaryOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '@' | '^';

/**
 * `f(a, b, keep = 0.8)`. Only a name can be called, so the callee is a name (`calleeSpan`
 * covers it). Positional arguments come first (the parser reports a positional after a named one).
 */
export interface CallExpr {
  readonly kind: 'call';
  readonly callee: string;
  readonly calleeSpan: Span;
  readonly args: readonly Expr[];
  readonly namedArgs: readonly NamedArg[];
  readonly span: Span;
}

/** `name = value` in a call. Keywords are allowed as names (`init = ...`). */
export interface NamedArg {
  readonly name: string;
  readonly nameSpan: Span;
  readonly value: Expr;
  readonly span: Span;
}

/**
 * `target[i, j:k, :]`: one item per axis, each a plain index (an `Expr`, which drops the axis)
 * or a `Slice` (which keeps it). `x[0][1]` is an index of an index.
 */
export interface IndexExpr {
  readonly kind: 'index';
  readonly target: Expr;
  readonly indices: readonly IndexItem[];
  readonly span: Span;
}

export type IndexItem = Expr | Slice;

/** `start:end` with either bound optional (`:`, `1:`, `:-1`); bounds follow Python's rules. */
export interface Slice {
  readonly kind: 'slice';
  readonly start?: Expr;
  readonly end?: Expr;
  readonly span: Span;
}

/** `[1, 2]`, `[[1, 2], [3, 4]]`: nested literals; elements may be any expression. */
export interface TensorExpr {
  readonly kind: 'tensor';
  readonly elements: readonly Expr[];
  readonly span: Span;
}
