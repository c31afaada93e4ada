import {
  type Diagnostic,
  type Dim,
  type DType,
  diagnostic,
  type FloatDType,
  formatShape,
  GradusError,
  Graph,
  type InitSpec,
  type Mode,
  type OutputKind,
  ownEntry,
  type RelatedNote,
  type Shape,
  type Span,
  sizeOf,
  suggest,
  type Value,
} from '@gradus/autodiff';
import { RESERVED_METRIC_NAMES } from '@gradus/optim';
import { MAX_SHOWN_DIAGNOSTICS } from '../diagnostics/index.js';
import type {
  BinaryExpr,
  CallExpr,
  Expr,
  FnDecl,
  IndexExpr,
  ModelDecl,
  Program,
  Stmt,
  TensorType,
} from '../syntax/ast.js';
import { Args, asTensorValue, BUILTINS } from './builtins.js';
import {
  dimOfVal,
  dimsLiteral,
  evalTypeDim,
  floatHyperAsDim,
  MAX_DIM,
  negateSize,
  printDim,
  sizeArith,
  tooLarge,
} from './dims.js';
import { fail, fromCore, LowerError } from './errors.js';
import { bindFnArgs } from './fn-args.js';
import {
  HYPER_CODES,
  type HyperInfo,
  type OverrideProblem,
  overrideProblem,
  resolveHyper,
} from './hypers.js';
import { INITIALISER_NAMES, resolveInit } from './init-spec.js';
import { resolveTrainBlock, type TrainConfig } from './train.js';
import { describeVal, type Located, type Val } from './values.js';

export interface LowerOptions {
  /** Which model of the file (default: the first). */
  readonly model?: string;
  readonly floatDtype?: FloatDType;
  readonly mode?: Mode;
  /** Seed of the random streams (dropout); the trainer passes the run's seed. */
  readonly seed?: number;
  /**
   * Values for the model's hyper-parameters in place of their defaults (`{ lambda: 1e-2 }`).
   * Each is checked against its declaration (type, range); a name the model does not declare
   * is an error (E0173), as is a bad value (E0174).
   */
  readonly hypers?: Readonly<Record<string, number>>;
  /**
   * Told what every name is bound to, as it is bound (model names and, at each call, a function's
   * parameters and locals): editors show it on hover, also for a model with errors elsewhere.
   */
  readonly onBind?: (name: string, span: Span, bound: Bound) => void;
  /**
   * Keep every dim symbolic in shapes, also one with a value (`dim H = 100` gives `[N, H]`, not
   * `[N, 100]`), so editors can show shapes as written. Params then need no values for their
   * dims; such a lowering is for showing shapes only.
   */
  readonly symbolicDims?: boolean;
}

/** What a name is bound to: a dimension, or a value (a tensor, a number, ...). */
export type Bound = { readonly kind: 'dim'; readonly value?: number } | Val;

/** A declared input or param, as written and as resolved. */
export interface DeclInfo {
  readonly name: string;
  readonly span: Span;
  readonly shape: Shape;
  readonly dtype: DType;
  /** The shape as written with the resolved sizes, e.g. `[D, H] = [2, 100]`. */
  readonly shapeText: string;
}

export interface ParamInfo extends DeclInfo {
  readonly init: InitSpec;
  /** Declared `frozen`: training leaves it at its initial value. */
  readonly frozen?: boolean;
}

export interface ModelInfo {
  readonly name: string;
  readonly nameSpan: Span;
  readonly dims: readonly { readonly name: string; readonly value?: number; readonly span: Span }[];
  readonly inputs: readonly DeclInfo[];
  readonly params: readonly ParamInfo[];
  readonly outputs: readonly { readonly name: string; readonly kind: OutputKind; readonly span: Span }[];
  /** The hyper-parameters in declaration order, each with the value this lowering used. */
  readonly hypers: readonly HyperInfo[];
  readonly train: TrainConfig;
}

export interface Lowered {
  readonly graph: Graph;
  readonly model: ModelInfo;
}

type Binding =
  | { readonly kind: 'dim'; readonly value?: number; readonly span: Span }
  | {
      readonly kind: 'value';
      readonly val: Val;
      readonly span: Span;
      readonly decl?: DeclInfo;
      /** Set for a hyper-parameter: its type decides whether it can be a dim. */
      readonly hyper?: HyperInfo;
    }
  /** Declared, but its statement failed: uses are not reported again. */
  | { readonly kind: 'broken'; readonly span: Span }
  /** Being defined by the statement now lowered: a use is a use before its definition. */
  | { readonly kind: 'pending'; readonly span: Span };

/** An expression that is not a left-associative chain (those are lowered by a loop). */
type Leaf = Exclude<Expr, BinaryExpr | IndexExpr>;

/** Raised when an expression uses a name whose own statement already failed (no second report). */
class Poisoned extends Error {}

/**
 * The most numbers a model's params may hold together (2²⁶, 512 MiB in f64). Training keeps the
 * params, their gradients and the optimiser's state (Adam: two more copies) in one WebAssembly
 * memory, which is at most 4 GiB.
 */
export const MAX_PARAM_NUMBERS = 67_108_864;

const MAX_INLINE_DEPTH = 32;

/**
 * Functions are inlined, so `fn f1(x) = f0(f0(x))` … `f30` doubles the work at every level. The
 * expressions lowered inside all the inlined bodies of one model are capped (E0124), so a short
 * file cannot make `check` run for hours.
 */
export const MAX_INLINED_EXPRESSIONS = 200_000;

/**
 * Lowers one model of a parsed program to a graph: resolves names and dims, inlines `fn`s, runs
 * every op's shape rule (so shape mistakes are found here, at their spans), resolves
 * initialisers and validates the `train` block. Returns every diagnostic it can find; never throws
 * for a mistake in the source.
 */
export function lower(
  program: Program,
  opts: LowerOptions = {},
): { result?: Lowered; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const fns = new Map<string, FnDecl>();
  for (const fn of program.fns) {
    const prev = fns.get(fn.name);
    if (prev) {
      diagnostics.push(
        diagnostic('E0109', `function '${fn.name}' is defined twice`, {
          span: fn.nameSpan,
          notes: [{ message: 'first defined here', span: prev.nameSpan }],
        }),
      );
    } else if (ownEntry(BUILTINS, fn.name)) {
      diagnostics.push(
        diagnostic('E0110', `function '${fn.name}' has the name of a built-in`, {
          span: fn.nameSpan,
          hint: 'choose another name',
        }),
      );
    } else fns.set(fn.name, fn);
    const params = new Set<string>();
    let defaulted: FnDecl['params'][number] | undefined;
    for (const p of fn.params) {
      if (params.has(p.name))
        diagnostics.push(diagnostic('E0108', `parameter '${p.name}' is declared twice`, { span: p.span }));
      params.add(p.name);
      if (p.default) defaulted ??= p;
      else if (defaulted) {
        diagnostics.push(
          diagnostic('E0176', `parameter '${p.name}' has no default, but comes after one that has`, {
            span: p.span,
            notes: [{ message: `'${defaulted.name}' has a default`, span: defaulted.span }],
            hint: 'put the parameters with defaults last',
          }),
        );
      }
    }
  }
  const model = opts.model ? program.models.find((m) => m.name === opts.model) : program.models[0];
  if (!model) {
    const s = opts.model
      ? suggest(
          opts.model,
          program.models.map((m) => m.name),
        )
      : undefined;
    diagnostics.push(
      diagnostic(
        'E0150',
        opts.model ? `no model named '${opts.model}' in this file` : 'this file defines no model',
        {
          span: { start: 0, end: 0 },
          ...(s ? { hint: `did you mean ${s}?` } : { hint: 'add `model Name { ... }`' }),
        },
      ),
    );
    return { diagnostics };
  }
  const lowerer = new ModelLowerer(model, fns, opts, diagnostics);
  const result = lowerer.run();
  return diagnostics.some((d) => d.severity === 'error') ? { diagnostics } : { result, diagnostics };
}

class ModelLowerer {
  readonly g: Graph;
  private readonly scope = new Map<string, Binding>();
  private readonly declaredAt = new Map<string, Span>();
  private readonly dims: { name: string; value?: number; span: Span }[] = [];
  /** Numbers in the params declared so far (capped at `MAX_PARAM_NUMBERS`). */
  private paramNumbers = 0;
  private readonly inputs: DeclInfo[] = [];
  private readonly params: ParamInfo[] = [];
  private readonly outputs: { name: string; kind: OutputKind; span: Span }[] = [];
  private readonly hypers: HyperInfo[] = [];
  private readonly train: TrainConfig = {};
  private lossSpan?: Span;
  private inlineDepth = 0;
  /** Expressions lowered inside inlined function bodies so far (capped by MAX_INLINED_EXPRESSIONS). */
  private inlined = 0;
  /** The call in the model's own statements whose inlining is under way. */
  private outerCall?: CallExpr;

  constructor(
    private readonly model: ModelDecl,
    private readonly fns: ReadonlyMap<string, FnDecl>,
    private readonly opts: LowerOptions,
    private readonly diagnostics: Diagnostic[],
  ) {
    this.g = new Graph({
      floatDtype: opts.floatDtype ?? 'f64',
      mode: opts.mode ?? 'train',
      seed: opts.seed ?? 0,
    });
    // Every name the model declares, so "used before its definition" can say where it is.
    for (const s of model.stmts)
      for (const [name, span] of declaredNames(s))
        if (!this.declaredAt.has(name)) this.declaredAt.set(name, span);
  }

  run(): Lowered {
    let trainSeen: Span | undefined;
    for (const stmt of this.model.stmts) {
      if (stmt.kind === 'train') {
        if (trainSeen) {
          this.diagnostics.push(
            diagnostic('E0512', 'a model has at most one train block', {
              span: stmt.span,
              notes: [{ message: 'the first one is here', span: trainSeen }],
            }),
          );
          continue;
        }
        trainSeen = stmt.span;
        this.diagnostics.push(...resolveTrainBlock(stmt.settings, this.train));
        continue;
      }
      try {
        this.statement(stmt);
        for (const [name, span] of declaredNames(stmt)) this.bound(name, span, this.scope.get(name));
      } catch (e) {
        // A statement that uses a broken name is broken too (not pending), so its own uses stay quiet.
        if (e instanceof Poisoned) {
          for (const [name, span] of declaredNames(stmt)) {
            const b = this.scope.get(name);
            if (b === undefined || b.kind === 'pending') this.scope.set(name, { kind: 'broken', span });
          }
          continue;
        }
        if (e instanceof LowerError) this.diagnostics.push(e.diagnostic);
        else if (e instanceof GradusError) this.diagnostics.push(fromCore(e, stmt.span).diagnostic);
        else throw e;
        for (const [name, span] of declaredNames(stmt)) this.scope.set(name, { kind: 'broken', span });
      }
    }
    for (const name of Object.keys(this.opts.hypers ?? {})) {
      if (this.model.stmts.some((st) => st.kind === 'hyper' && st.name === name)) continue;
      const p = overrideProblem(this.hypers, name, 0) as OverrideProblem;
      this.diagnostics.push(
        diagnostic(p.code, `${p.message} (in the values given for this lowering)`, {
          span: this.model.nameSpan,
          ...(p.hint ? { hint: p.hint } : {}),
        }),
      );
    }
    if (!this.lossSpan) {
      this.diagnostics.push(
        diagnostic('E0120', `model '${this.model.name}' has no loss`, {
          span: this.model.nameSpan,
          hint: 'add a statement such as `loss = mean(cross_entropy(logits, y))`',
        }),
      );
    }
    return {
      graph: this.g,
      model: {
        name: this.model.name,
        nameSpan: this.model.nameSpan,
        dims: this.dims,
        inputs: this.inputs,
        params: this.params,
        outputs: this.outputs,
        hypers: this.hypers,
        train: this.train,
      },
    };
  }

  // ---- statements -------------------------------------------------------------------------

  private bound(name: string, span: Span, b: Binding | undefined): void {
    if (this.opts.onBind === undefined || b === undefined || b.kind === 'broken' || b.kind === 'pending')
      return;
    this.opts.onBind(
      name,
      span,
      b.kind === 'dim' ? { kind: 'dim', ...(b.value !== undefined ? { value: b.value } : {}) } : b.val,
    );
  }

  private declare(name: string, span: Span, b: Binding): void {
    const prev = this.scope.get(name);
    if (prev) {
      fail('E0108', `'${name}' is already defined`, span, {
        notes: [{ message: `'${name}' was first defined here`, span: prev.span }],
        hint: 'every name is bound once; choose a new name',
      });
    }
    this.scope.set(name, b);
  }

  private statement(s: Stmt): void {
    switch (s.kind) {
      case 'dim':
        for (const d of s.dims) {
          if (d.value !== undefined && (!Number.isInteger(d.value) || d.value < 1)) {
            fail(
              'E0111',
              `dimension '${d.name}' must be a positive integer, got ${d.value}`,
              d.valueSpan ?? d.span,
            );
          }
          if (d.value !== undefined && d.value > MAX_DIM) tooLarge(d.name, d.value, d.valueSpan ?? d.span);
          this.declare(d.name, d.nameSpan, {
            kind: 'dim',
            ...(d.value !== undefined ? { value: d.value } : {}),
            span: d.nameSpan,
          });
          this.dims.push({
            name: d.name,
            ...(d.value !== undefined ? { value: d.value } : {}),
            span: d.nameSpan,
          });
        }
        return;
      case 'hyper': {
        this.declare(s.name, s.nameSpan, { kind: 'pending', span: s.nameSpan });
        const given = this.opts.hypers;
        const h = resolveHyper(
          s,
          (e) => this.constant(e),
          given && Object.hasOwn(given, s.name) ? given[s.name] : undefined,
        );
        this.hypers.push(h);
        const val: Val =
          h.type === 'int'
            ? { kind: 'number', n: h.value, integer: true }
            : { kind: 'number', n: h.value, integer: false, floatHyper: { name: s.name, span: s.span } };
        this.scope.set(s.name, { kind: 'value', val, span: s.nameSpan, hyper: h });
        return;
      }
      case 'input': {
        const { shape, text } = this.resolveType(s.type);
        const dtype: DType =
          s.type.dtype === 'int' ? 'i32' : s.type.dtype === 'bool' ? 'bool' : this.g.floatDtype;
        const decl: DeclInfo = { name: s.name, span: s.nameSpan, shape, dtype, shapeText: text };
        this.declare(s.name, s.nameSpan, { kind: 'broken', span: s.nameSpan });
        const v = this.g.withSpan(s.nameSpan, () => this.g.input(s.name, shape, dtype));
        this.scope.set(s.name, { kind: 'value', val: { kind: 'tensor', v }, span: s.nameSpan, decl });
        this.inputs.push(decl);
        return;
      }
      case 'param': {
        const { shape, text } = this.resolveType(s.type);
        if (s.type.dtype !== 'float')
          fail('E0112', `param '${s.name}' must be float`, s.type.dtypeSpan ?? s.type.span);
        this.declare(s.name, s.nameSpan, { kind: 'broken', span: s.nameSpan });
        const size = shape.every((d) => typeof d === 'number') ? sizeOf(shape as number[]) : undefined;
        if (size !== undefined) this.paramNumbers += size;
        if (this.paramNumbers > MAX_PARAM_NUMBERS) {
          const total = this.paramNumbers.toLocaleString('en-US');
          fail(
            'E0113',
            `param '${s.name}' has shape ${text}: the model's params would hold ${total} numbers, more than ${MAX_PARAM_NUMBERS.toLocaleString('en-US')}`,
            s.type.span,
            {
              hint: 'params, their gradients and the optimiser state share one WebAssembly memory of at most 4 GiB',
            },
          );
        }
        if (size === undefined && this.opts.symbolicDims !== true) {
          fail(
            'E0113',
            `param '${s.name}' has shape ${text}: a param's dims must all have values`,
            s.type.span,
            {
              hint: 'give the dim a value, e.g. `dim H = 100`',
            },
          );
        }
        const init: InitSpec = s.init
          ? resolveInit(s.init, s.name, text, size)
          : shape.length >= 2
            ? { kind: 'glorot_uniform' }
            : { kind: 'zeros' };
        const frozen = s.frozen !== undefined;
        const v = this.g.withSpan(s.nameSpan, () => this.g.param(s.name, shape, init, { frozen }));
        const decl: ParamInfo = {
          name: s.name,
          span: s.nameSpan,
          shape,
          dtype: this.g.floatDtype,
          shapeText: text,
          init,
          ...(frozen ? { frozen } : {}),
        };
        this.scope.set(s.name, { kind: 'value', val: { kind: 'tensor', v }, span: s.nameSpan, decl });
        this.params.push(decl);
        return;
      }
      case 'let': {
        this.declare(s.name, s.nameSpan, { kind: 'pending', span: s.nameSpan });
        const val = this.expr(s.value, this.scope);
        this.scope.set(s.name, { kind: 'value', val, span: s.nameSpan });
        return;
      }
      case 'output':
      case 'metric': {
        if (s.kind === 'metric' && RESERVED_METRIC_NAMES.has(s.name)) {
          fail('E0125', `a metric cannot be named '${s.name}': the training log uses that name`, s.nameSpan, {
            hint: `reserved: ${[...RESERVED_METRIC_NAMES].join(', ')}; call it, say, '${s.name}_metric'`,
          });
        }
        this.declare(s.name, s.nameSpan, { kind: 'pending', span: s.nameSpan });
        const v = this.tensorOf(s.value, this.scope);
        if (s.kind === 'metric' && v.rank !== 0) {
          fail(
            'E0123',
            `metric '${s.name}' must be a scalar, but it has shape ${formatShape(v.shape)}`,
            s.value.span,
            {
              hint: 'reduce it, e.g. with mean(...)',
            },
          );
        }
        this.g.output(s.name, v, s.kind);
        this.scope.set(s.name, { kind: 'value', val: { kind: 'tensor', v }, span: s.nameSpan });
        this.outputs.push({ name: s.name, kind: s.kind, span: s.nameSpan });
        return;
      }
      case 'loss': {
        if (this.lossSpan) {
          fail('E0121', 'a model has exactly one loss, and this is a second', s.keywordSpan, {
            notes: [{ message: 'the first loss is here', span: this.lossSpan }],
            hint: 'add the terms into one loss: loss = a + b',
          });
        }
        this.lossSpan = s.keywordSpan;
        const v = this.tensorOf(s.value, this.scope).toFloat();
        if (v.rank !== 0) {
          fail('E0122', `the loss must be a scalar, but it has shape ${formatShape(v.shape)}`, s.value.span, {
            hint: 'reduce it, e.g. loss = mean(...)',
          });
        }
        this.g.output('loss', v, 'loss');
        this.outputs.push({ name: 'loss', kind: 'loss', span: s.keywordSpan });
        return;
      }
      case 'train':
        return;
    }
  }

  private resolveType(t: TensorType): { shape: Dim[]; text: string } {
    const dims = t.shape.map((d) => {
      if (d.kind === 'size') {
        if (d.value > MAX_DIM) tooLarge(String(d.value), d.value, d.span);
        return { written: d.value, value: d.value };
      }
      const e: Expr = d.kind === 'named' ? { kind: 'name', name: d.name, span: d.span } : d.expr;
      return evalTypeDim(e, (name, span) => this.dimNamed(name, span));
    });
    const written = formatShape(dims.map((d) => d.written));
    const shape = dims.map((d) => d.value);
    const resolved = formatShape(shape);
    return { shape, text: written === resolved ? written : `${written} = ${resolved}` };
  }

  /** A name used as a dim in a type: a dim (symbolic, or constant by value). */
  private dimNamed(name: string, span: Span): { written: Dim; value: Dim } {
    const b = this.scope.get(name);
    if (b?.kind === 'value' && b.hyper) {
      // Checked here, before any shape: a run's override of H is a whole number or an error.
      if (b.hyper.type !== 'int') floatHyperAsDim(name, span, b.hyper.span);
      return { written: name, value: this.opts.symbolicDims === true ? name : b.hyper.value };
    }
    if (b?.kind !== 'dim') {
      const s = this.suggest(name, () => [...this.scope].filter(([, v]) => v.kind === 'dim').map(([k]) => k));
      if (b?.kind === 'broken') throw new Poisoned();
      fail('E0102', b ? `'${name}' is not a dimension` : `unknown dimension '${name}'`, span, {
        hint: s ? `did you mean ${s}?` : `declare it first: dim ${name} = ...`,
      });
    }
    return { written: name, value: this.opts.symbolicDims === true ? name : (b.value ?? name) };
  }

  // ---- expressions ------------------------------------------------------------------------

  /** A constant: the default or a range end of a hyper-parameter. */
  private constant(e: Expr): number {
    const v = this.expr(e, this.scope);
    if (v.kind === 'number') return v.n;
    return fail(
      HYPER_CODES.badDeclaration,
      `a hyper-parameter's value and range are numbers (earlier hypers and constant dims may be used), not ${describeVal(v)}`,
      e.span,
    );
  }

  /**
   * "Did you mean" costs a pass over every name in scope. Past the diagnostics a renderer shows,
   * nobody reads the hint, and 20,000 unknown names would cost 20,000 such passes: stop hinting.
   */
  private hinting(): boolean {
    return this.diagnostics.length < MAX_SHOWN_DIAGNOSTICS;
  }

  private suggest(word: string, candidates: () => Iterable<string>): string | undefined {
    return this.hinting() ? suggest(word, candidates()) : undefined;
  }

  private tensorOf(e: Expr, scope: ReadonlyMap<string, Binding>): Value {
    return asTensorValue(this.g, { val: this.expr(e, scope), span: e.span }, 'this expression');
  }

  /**
   * Left-associative chains (`a + b + c + …`, `x[0][1]…`) are as deep as they are long, so their
   * left spine is lowered by a loop: a sum of thousands of terms must not exhaust the stack. Every
   * other kind of nesting is bounded by the parser (E0014).
   */
  private expr(e: Expr, scope: ReadonlyMap<string, Binding>): Val {
    const spine: (BinaryExpr | IndexExpr)[] = [];
    let head: Expr = e;
    while (head.kind === 'binary' || head.kind === 'index') {
      spine.push(head);
      head = head.kind === 'binary' ? head.left : head.target;
    }
    const leaf = head;
    let v = this.located(leaf, scope, () => this.exprInner(leaf, scope));
    for (let i = spine.length - 1; i >= 0; i--) {
      const node = spine[i];
      const left = v;
      v = this.located(node, scope, () =>
        node.kind === 'binary' ? this.binary(node, left, scope) : this.index(node, left, scope),
      );
    }
    return v;
  }

  /** Runs the lowering of `e` with its span current, turning core errors into diagnostics there. */
  private located(e: Expr, scope: ReadonlyMap<string, Binding>, f: () => Val): Val {
    if (this.inlineDepth > 0 && ++this.inlined > MAX_INLINED_EXPRESSIONS) this.inliningTooLarge();
    return this.g.withSpan(e.span, () => {
      try {
        return f();
      } catch (err) {
        if (err instanceof GradusError) throw fromCore(err, e.span, this.operandNotes(e, scope));
        throw err;
      }
    });
  }

  private inliningTooLarge(): never {
    const call = this.outerCall as CallExpr;
    const fn = this.fns.get(call.callee) as FnDecl;
    return fail(
      'E0124',
      `inlining the functions called here expands to more than ${MAX_INLINED_EXPRESSIONS.toLocaleString('en-US')} expressions`,
      call.span,
      {
        notes: [{ message: `${fn.name} is defined here`, span: fn.nameSpan }],
        hint: 'functions are inlined where they are called: a function that calls another twice doubles the code at every level',
      },
    );
  }

  /** For a failing op over names, "W1 declared here as [D, H] = [2, 100]" notes. */
  private operandNotes(e: Expr, scope: ReadonlyMap<string, Binding>): { notes: RelatedNote[] } {
    const operands =
      e.kind === 'binary'
        ? [e.left, e.right]
        : e.kind === 'call'
          ? [...e.args, ...e.namedArgs.map((a) => a.value)]
          : [];
    const notes: RelatedNote[] = [];
    for (const o of operands) {
      if (o.kind !== 'name') continue;
      const b = scope.get(o.name);
      if (b?.kind === 'value' && b.decl)
        notes.push({ message: `${o.name} declared here as ${b.decl.shapeText}`, span: b.decl.span });
    }
    return { notes };
  }

  private exprInner(e: Leaf, scope: ReadonlyMap<string, Binding>): Val {
    switch (e.kind) {
      case 'number':
        return { kind: 'number', n: e.value, integer: e.integer };
      case 'string':
        return { kind: 'string', s: e.value };
      case 'name':
        return this.name(e.name, e.span, scope);
      case 'unary': {
        const v = this.expr(e.operand, scope);
        if (e.op === '+') return v;
        if (v.kind === 'number') return { kind: 'number', n: -v.n, integer: v.integer };
        if (v.kind === 'size') return negateSize(v, () => printDim(e));
        return { kind: 'tensor', v: this.asTensor(v, e.operand.span).neg() };
      }
      case 'call':
        return this.call(e, scope);
      case 'tensor':
        return this.literal(e, scope);
    }
  }

  private asTensor(v: Val, span: Span): Value {
    return asTensorValue(this.g, { val: v, span }, 'this operand');
  }

  private name(name: string, span: Span, scope: ReadonlyMap<string, Binding>): Val {
    const b = scope.get(name);
    if (b?.kind === 'broken') throw new Poisoned();
    if (b?.kind === 'value') return b.val;
    if (b?.kind === 'pending') {
      return fail('E0107', `'${name}' is used before it is defined`, span, {
        notes: [{ message: `'${name}' is being defined here, by this statement`, span: b.span }],
        hint: 'a statement cannot use the name it defines: give the new value another name',
      });
    }
    if (b?.kind === 'dim') {
      if (b.value !== undefined) return { kind: 'number', n: b.value, integer: true };
      // A size: a dim in shapes and slices, the run-time size as a float in arithmetic.
      return {
        kind: 'size',
        dim: name,
        text: () => name,
        tensor: () => this.g.value(this.g.add('Size', [], { dims: [name], dtype: this.g.floatDtype })),
      };
    }
    if (name === 'true' || name === 'false') return { kind: 'symbol', name };
    if (ownEntry(BUILTINS, name) || this.fns.has(name)) {
      return fail('E0114', `'${name}' is a function: call it, as in ${name}(...)`, span);
    }
    const later = this.declaredAt.get(name);
    if (later && scope === this.scope) {
      return fail('E0107', `'${name}' is used before it is defined`, span, {
        notes: [{ message: `'${name}' is defined here`, span: later }],
      });
    }
    const s = this.suggest(name, () => scope.keys());
    return fail('E0101', `unknown name '${name}'`, span, s ? { hint: `did you mean ${s}?` } : {});
  }

  /** `e` with its left operand already lowered to `l`. */
  private binary(e: BinaryExpr, l: Val, scope: ReadonlyMap<string, Binding>): Val {
    const op = e.op;
    const r = this.expr(e.right, scope);
    const sized = sizeArith(this.g, op, l, r, () => printDim(e));
    if (sized) return sized;
    if (l.kind === 'number' && r.kind === 'number') {
      const n = foldNumbers(op, l.n, r.n);
      if (n !== undefined)
        return { kind: 'number', n, integer: Number.isInteger(n) && l.integer && r.integer && op !== '/' };
      // A comparison of two numbers (`1 > 0`, `D > 1` with a constant D) is a constant bool.
      const c = foldComparison(op, l.n, r.n);
      if (c !== undefined) return { kind: 'tensor', v: this.g.constant(c ? 1 : 0, 'bool') };
    }
    for (const [v, side] of [
      [l, e.left],
      [r, e.right],
    ] as const) {
      if (v.kind === 'string' || v.kind === 'symbol')
        fail('E0105', `'${op}' needs numbers or tensors, got ${describeVal(v)}`, side.span);
    }
    const num = (v: Val) => (v.kind === 'number' ? v.n : undefined);
    const b = r.kind === 'number' ? undefined : this.asTensor(r, e.right.span);
    // Two numbers reach here only for `@`, which then reports their rank.
    const a = l.kind === 'number' && b ? undefined : this.asTensor(l, e.left.span);
    const tensor = (v: Value): Val => ({ kind: 'tensor', v });
    // A number on the left: build `op(number, tensor)` by the tensor's methods.
    const lhs =
      a ??
      (this.g.constant(
        num(l) as number,
        b?.dtype === 'i32' && Number.isInteger(num(l)) ? 'i32' : (b as Value).toFloat().dtype,
      ) as Value);
    const rhs: Value | number = b ?? (num(r) as number);
    switch (op) {
      case '+':
        return tensor(lhs.add(rhs));
      case '-':
        return tensor(lhs.sub(rhs));
      case '*':
        return tensor(lhs.mul(rhs));
      case '/':
        return tensor(lhs.div(rhs));
      case '^':
        return tensor(lhs.pow(rhs));
      case '==':
        return tensor(lhs.eq(rhs));
      case '!=':
        return tensor(lhs.ne(rhs));
      case '<':
        return tensor(lhs.lt(rhs));
      case '<=':
        return tensor(lhs.le(rhs));
      case '>':
        return tensor(lhs.gt(rhs));
      case '>=':
        return tensor(lhs.ge(rhs));
      case '@':
        return tensor(this.matmul(lhs, typeof rhs === 'number' ? this.g.constant(rhs) : rhs, e, scope));
      default:
        return fail('E0115', `unknown operator '${op}'`, e.opSpan);
    }
  }

  /** `a @ b` with the language's own message for mismatched inner dimensions. */
  private matmul(a: Value, b: Value, e: BinaryExpr, scope: ReadonlyMap<string, Binding>): Value {
    const label = (x: Expr, v: Value) =>
      x.kind === 'name'
        ? `${x.name} is ${formatShape(v.shape)}`
        : `the ${x === e.left ? 'left' : 'right'} operand is ${formatShape(v.shape)}`;
    if (a.rank < 1 || b.rank < 1) {
      fail(
        'E0301',
        `matrix product needs tensors of rank 1 or more: ${label(e.left, a)}, ${label(e.right, b)}`,
        e.span,
      );
    }
    const a2 = a.rank === 1 ? a.expandDims(0) : a;
    const b2 = b.rank === 1 ? b.expandDims(1) : b;
    const inner = [a2.shape[a2.rank - 1], b2.shape[b2.rank - 2]];
    if (inner[0] !== inner[1]) {
      const culprit = e.right;
      const { notes } = this.operandNotes(e, scope);
      const hint = this.suggestOperand(culprit, inner[0], scope);
      fail(
        'E0301',
        `matrix product needs matching inner dimensions: ${label(e.left, a)}, ${label(e.right, b)}`,
        culprit.span,
        {
          notes,
          ...(hint ? { hint } : {}),
        },
      );
    }
    let out = a2.matMul(b2);
    if (a.rank === 1) out = out.reshape(out.shape.filter((_, i) => i !== out.rank - 2));
    if (b.rank === 1) out = out.reshape(out.shape.slice(0, -1));
    return out;
  }

  /** "did you mean W2 ([H, C] = [100, 3])?" — a declared tensor whose first dim fits. */
  private suggestOperand(
    culprit: Expr,
    wantFirst: Dim,
    scope: ReadonlyMap<string, Binding>,
  ): string | undefined {
    if (culprit.kind !== 'name' || !this.hinting()) return undefined;
    const fits = [...scope.entries()]
      .filter(
        ([n, b]) =>
          n !== culprit.name &&
          b.kind === 'value' &&
          b.decl &&
          b.decl.shape.length >= 2 &&
          b.decl.shape[b.decl.shape.length - 2] === wantFirst,
      )
      .map(([n]) => n);
    const best = suggest(culprit.name, fits) ?? (fits.length === 1 ? fits[0] : undefined);
    if (!best) return undefined;
    const b = scope.get(best) as { decl: DeclInfo };
    return `did you mean ${best} (${b.decl.shapeText})?`;
  }

  private call(e: CallExpr, scope: ReadonlyMap<string, Binding>): Val {
    const fn = this.fns.get(e.callee);
    if (fn) return this.inline(fn, e, scope);
    const builtin = ownEntry(BUILTINS, e.callee);
    if (!builtin) {
      const s = this.suggest(e.callee, () => [...Object.keys(BUILTINS), ...this.fns.keys()]);
      const isInit = INITIALISER_NAMES.includes(e.callee);
      return fail('E0116', `unknown function '${e.callee}'`, e.calleeSpan, {
        ...(s
          ? { hint: `did you mean ${s}?` }
          : isInit
            ? { hint: `${e.callee} is an initialiser: use it after 'init' in a param` }
            : {}),
      });
    }
    const named = new Map<string, Located<Val>>();
    const rest: Located<Val>[] = [];
    const positional = builtin.variadic ? [] : builtin.params;
    if (!builtin.variadic && e.args.length > positional.length) {
      fail(
        'E0103',
        `${e.callee} takes at most ${positional.length} argument${positional.length === 1 ? '' : 's'}, got ${e.args.length}`,
        e.span,
      );
    }
    e.args.forEach((a, i) => {
      const v = { val: this.expr(a, scope), span: a.span };
      if (builtin.variadic) rest.push(v);
      else named.set(positional[i].name, v);
    });
    for (const na of e.namedArgs) {
      const p = builtin.params.find((q) => q.name === na.name);
      if (!p) {
        const s = suggest(
          na.name,
          builtin.params.map((q) => q.name),
        );
        fail('E0104', `${e.callee} has no argument '${na.name}'`, na.nameSpan, {
          hint: s
            ? `did you mean ${s}?`
            : builtin.params.length
              ? `its arguments: ${builtin.params.map((q) => q.name).join(', ')}`
              : `${e.callee} takes no named arguments`,
        });
      }
      if (named.has(na.name)) fail('E0117', `${e.callee}: argument '${na.name}' is given twice`, na.nameSpan);
      named.set(na.name, { val: this.expr(na.value, scope), span: na.value.span });
    }
    for (const p of builtin.params) {
      if (!p.optional && !named.has(p.name)) {
        fail('E0103', `${e.callee} needs the argument '${p.name}'`, e.span, {
          hint: `${e.callee}(${[...(builtin.variadic ? ['...'] : []), ...builtin.params.map((q) => (q.optional ? `${q.name} = ...` : q.name))].join(', ')})`,
        });
      }
    }
    if (builtin.variadic && rest.length === 0) fail('E0103', `${e.callee} needs at least one tensor`, e.span);
    return builtin.call(new Args(this.g, e.span, e.callee, named, rest));
  }

  /** Inlines a user function: its parameters bound to the argument values, its lets in order. */
  private inline(fn: FnDecl, e: CallExpr, scope: ReadonlyMap<string, Binding>): Val {
    const bound = bindFnArgs(fn, e);
    if (this.inlineDepth >= MAX_INLINE_DEPTH)
      fail('E0118', `${fn.name} calls itself (functions are inlined and cannot recurse)`, e.span);
    // The call's arguments are lowered in the caller's scope; defaults, below, in the function's.
    const given = bound.map((b) => (b.arg ? this.expr(b.arg, scope) : undefined));
    const local = new Map<string, Binding>();
    if (this.inlineDepth === 0) this.outerCall = e;
    this.inlineDepth++;
    try {
      bound.forEach(({ param }, i) => {
        // A default sees the parameters before it: `fn f(x, n = 2, m = n * 2)`.
        const val = given[i] ?? this.expr(param.default as Expr, local);
        local.set(param.name, { kind: 'value', val, span: param.span });
        this.bound(param.name, param.span, local.get(param.name));
      });
      for (const l of fn.lets) {
        if (local.has(l.name)) fail('E0108', `'${l.name}' is already defined in ${fn.name}`, l.nameSpan);
        local.set(l.name, { kind: 'value', val: this.expr(l.value, local), span: l.nameSpan });
        this.bound(l.name, l.nameSpan, local.get(l.name));
      }
      return this.expr(fn.result, local);
    } catch (err) {
      if (
        err instanceof LowerError &&
        err.diagnostic.code !== 'E0124' &&
        !err.diagnostic.notes.some((n) => n.message.startsWith('in this call'))
      ) {
        throw new LowerError({
          ...err.diagnostic,
          notes: [...err.diagnostic.notes, { message: `in this call to ${fn.name}`, span: e.span }],
        });
      }
      throw err;
    } finally {
      this.inlineDepth--;
    }
  }

  /** `e` with its target already lowered to `t`. */
  private index(e: IndexExpr, t: Val, scope: ReadonlyMap<string, Binding>): Val {
    const target = asTensorValue(this.g, { val: t, span: e.target.span }, 'this expression');
    // Bounds are whole numbers or dims (`x[:, 1:T]`, `x[:, T - 1]`); negatives count from the end.
    const intOf = (x: Expr | undefined): Dim | undefined => {
      if (!x) return undefined;
      const v = this.expr(x, scope);
      const d = dimOfVal({ val: v, span: x.span });
      if (d === undefined)
        return fail('E0119', 'an index must be an integer constant or a dim (such as T - 1)', x.span);
      return d;
    };
    if (e.indices.length > target.rank) {
      fail(
        'E0314',
        `too many indices: ${e.indices.length} for a tensor of shape ${formatShape(target.shape)}`,
        e.span,
      );
    }
    const specs = e.indices.map((it) => {
      if (it.kind === 'slice') {
        const start = intOf(it.start);
        const end = intOf(it.end);
        return { ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) };
      }
      return intOf(it) as Dim;
    });
    return { kind: 'tensor', v: target.index(specs) };
  }

  private literal(e: Extract<Expr, { kind: 'tensor' }>, scope: ReadonlyMap<string, Binding>): Val {
    const vals = e.elements.map((el) => ({ val: this.expr(el, scope), span: el.span }));
    // `[N * T, D]`: a list with sizes in it is a shape.
    const shape = dimsLiteral(vals);
    if (shape) return shape;
    const values: number[] = [];
    let inner: readonly number[] | undefined;
    for (const [i, el] of e.elements.entries()) {
      const v = vals[i].val;
      let shape: readonly number[];
      if (v.kind === 'number') {
        values.push(v.n);
        shape = [];
      } else if (v.kind === 'array') {
        values.push(...v.values);
        shape = v.shape;
      } else {
        return fail('E0145', `a literal [...] may contain only numbers, got ${describeVal(v)}`, el.span, {
          hint: 'use concat(...) to join tensors',
        });
      }
      if (inner && inner.join() !== shape.join())
        fail('E0142', 'ragged literal: rows have different lengths', e.span);
      inner = shape;
    }
    const hyper = vals.find((v) => v.val.kind === 'number' && v.val.floatHyper);
    const floatHyper = hyper?.val.kind === 'number' ? hyper.val.floatHyper : undefined;
    return {
      kind: 'array',
      values,
      shape: [e.elements.length, ...(inner ?? [])],
      ...(hyper && floatHyper ? { floatHyper: { ...floatHyper, at: hyper.span } } : {}),
    };
  }
}

function foldNumbers(op: string, a: number, b: number): number | undefined {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '^':
      return a ** b;
    default:
      return undefined;
  }
}

function foldComparison(op: string, a: number, b: number): boolean | undefined {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    default:
      return undefined;
  }
}

/** The names a statement declares, with the span of each name. */
function declaredNames(s: Stmt): [string, Span][] {
  switch (s.kind) {
    case 'dim':
      return s.dims.map((d) => [d.name, d.nameSpan]);
    case 'hyper':
    case 'input':
    case 'param':
    case 'let':
    case 'output':
    case 'metric':
      return [[s.name, s.nameSpan]];
    default:
      return [];
  }
}
