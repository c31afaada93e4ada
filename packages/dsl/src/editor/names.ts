/**
 * Which name is which in a parsed file: every declaration (models, functions and their
 * parameters and locals, and each model's dims, inputs, params, lets, outputs, metrics and any
 * other named statement) and every use of a name, resolved to its declaration or to a built-in.
 *
 * It works on the tree `parse()` recovers from any text, so a half-typed file still has names.
 * Statements are read by shape rather than by an exhaustive list of kinds: a statement with a
 * `name` and a `nameSpan` declares that name, and every `{ kind: 'name' }` expression and named
 * shape dimension below it is a use. A statement kind the language gains later (`hyper`, say)
 * is a declaration here without an edit.
 */
import type { Span } from '@gradus/autodiff';
import type { Expr, ModelDecl, Program, Stmt } from '../syntax/ast.js';
import { BUILTIN_WORDS, type BuiltinKind, type BuiltinWord, TRAIN_KEYS } from './vocabulary.js';

export type DeclKind = 'model' | 'fn' | 'fnParam' | 'dim' | Exclude<Stmt['kind'], 'dim' | 'loss' | 'train'>;

export interface Declaration {
  readonly name: string;
  readonly kind: DeclKind | (string & {});
  readonly nameSpan: Span;
  /** The whole declaration (its statement, for a model name the whole model). */
  readonly span: Span;
  /** The model or function it belongs to; absent for models and functions. */
  readonly parent?: Declaration;
}

/** A use of a name, and what it means. */
export type Reference =
  | { readonly kind: 'declared'; readonly span: Span; readonly name: string; readonly target: Declaration }
  | { readonly kind: 'builtin'; readonly span: Span; readonly name: string; readonly word: BuiltinWord }
  /** `axis = 1` in a call: the argument name, and what it is an argument of. */
  | {
      readonly kind: 'argument';
      readonly span: Span;
      readonly name: string;
      readonly callee: string;
      readonly word?: BuiltinWord;
    }
  /** A key of a `train { }` block. */
  | { readonly kind: 'setting'; readonly span: Span; readonly name: string; readonly doc?: string }
  /** Not declared where it is used (lowering reports it). */
  | { readonly kind: 'unknown'; readonly span: Span; readonly name: string };

export interface Names {
  readonly declarations: readonly Declaration[];
  readonly references: readonly Reference[];
}

/**
 * Where a name is read decides what it can mean: the kinds of built-in it may name. Only in an
 * expression (where built-in functions are called) may it also be a declared name.
 */
export type Context = readonly BuiltinKind[];
const EXPRESSION: Context = ['function'];
const INIT: Context = ['initialiser'];

/** The built-ins a `train { }` setting's value may name, by the setting's type. */
export function settingContext(type: string | undefined): Context {
  if (type === 'optimizer') return ['optimizer', 'schedule'];
  if (type === 'schedule') return ['schedule'];
  if (type === 'data') return ['dataset'];
  return [];
}

function builtin(name: string, context: Context): BuiltinWord | undefined {
  return BUILTIN_WORDS.find((w) => w.name === name && context.includes(w.kind));
}

interface Named {
  readonly name: string;
  readonly nameSpan: Span;
}

function isNamed(x: unknown): x is Named {
  const o = x as Partial<Named> | null;
  return typeof o === 'object' && o !== null && typeof o.name === 'string' && o.nameSpan !== undefined;
}

export function resolveNames(program: Program): Names {
  const declarations: Declaration[] = [];
  const references: Reference[] = [];
  const fns = new Map<string, Declaration>();
  for (const fn of program.fns) {
    const d: Declaration = { name: fn.name, kind: 'fn', nameSpan: fn.nameSpan, span: fn.span };
    declarations.push(d);
    if (!fns.has(fn.name)) fns.set(fn.name, d);
  }
  const walker = (scope: ReadonlyMap<string, Declaration>) => new Walker(scope, fns, references);

  program.fns.forEach((fn, i) => {
    const parent = declarations[i];
    const scope = new Map<string, Declaration>();
    const declare = (d: Declaration) => {
      declarations.push(d);
      if (!scope.has(d.name)) scope.set(d.name, d);
    };
    for (const p of fn.params)
      declare({ name: p.name, kind: 'fnParam', nameSpan: p.span, span: p.span, parent });
    for (const l of fn.lets)
      declare({ name: l.name, kind: 'let', nameSpan: l.nameSpan, span: l.span, parent });
    const w = walker(scope);
    for (const p of fn.params) w.node(p, EXPRESSION);
    for (const l of fn.lets) w.node(l.value, EXPRESSION);
    w.node(fn.result, EXPRESSION);
  });

  for (const model of program.models) {
    const parent: Declaration = {
      name: model.name,
      kind: 'model',
      nameSpan: model.nameSpan,
      span: model.span,
    };
    declarations.push(parent);
    const scope = new Map<string, Declaration>();
    for (const d of modelDeclarations(model, parent)) {
      declarations.push(d);
      if (!scope.has(d.name)) scope.set(d.name, d);
    }
    const w = walker(scope);
    for (const s of model.stmts) w.statement(s);
  }
  return { declarations, references };
}

function modelDeclarations(model: ModelDecl, parent: Declaration): Declaration[] {
  const out: Declaration[] = [];
  for (const s of model.stmts) {
    if (s.kind === 'dim') {
      for (const d of s.dims)
        out.push({ name: d.name, kind: 'dim', nameSpan: d.nameSpan, span: d.span, parent });
    } else if (isNamed(s)) {
      out.push({ name: s.name, kind: s.kind, nameSpan: s.nameSpan, span: s.span, parent });
    }
  }
  return out;
}

class Walker {
  constructor(
    private readonly scope: ReadonlyMap<string, Declaration>,
    private readonly fns: ReadonlyMap<string, Declaration>,
    private readonly out: Reference[],
  ) {}

  statement(s: Stmt): void {
    if (s.kind === 'train') {
      for (const setting of s.settings) {
        const key = TRAIN_KEYS.find((k) => k.name === setting.key);
        this.out.push({
          kind: 'setting',
          span: setting.keySpan,
          name: setting.key,
          ...(key ? { doc: key.doc } : {}),
        });
        this.node(setting.value, settingContext(key?.type));
      }
      return;
    }
    for (const [key, value] of Object.entries(s))
      this.node(value, s.kind === 'param' && key === 'init' ? INIT : EXPRESSION);
  }

  /** Every name used in a piece of the tree (a declaration's own name is a string, not a node). */
  node(x: unknown, context: Context): void {
    if (Array.isArray(x)) {
      for (const e of x) this.node(e, context);
      return;
    }
    if (typeof x !== 'object' || x === null) return;
    const n = x as { kind?: unknown; name?: unknown; span?: Span } & Record<string, unknown>;
    if (n.kind === 'name' && typeof n.name === 'string' && n.span) {
      this.use(n.name, n.span, context);
      return;
    }
    if (n.kind === 'named' && typeof n.name === 'string' && n.span) {
      this.use(n.name, n.span, EXPRESSION);
      return;
    }
    if (n.kind === 'call') {
      const call = x as Extract<Expr, { kind: 'call' }>;
      this.use(call.callee, call.calleeSpan, context);
      this.node(call.args, context);
      const word = this.fns.has(call.callee) ? undefined : builtin(call.callee, context);
      for (const a of call.namedArgs) {
        this.out.push({
          kind: 'argument',
          span: a.nameSpan,
          name: a.name,
          callee: call.callee,
          ...(word ? { word } : {}),
        });
        this.node(a.value, context);
      }
      return;
    }
    for (const [key, value] of Object.entries(n)) if (!key.endsWith('pan')) this.node(value, context);
  }

  private use(name: string, span: Span, context: Context): void {
    const word = builtin(name, context);
    if (context === EXPRESSION) {
      const target = this.scope.get(name) ?? this.fns.get(name);
      if (target) {
        this.out.push({ kind: 'declared', span, name, target });
        return;
      }
    }
    this.out.push(word ? { kind: 'builtin', span, name, word } : { kind: 'unknown', span, name });
  }
}
