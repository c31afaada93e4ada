/**
 * The variants of a model the doctor needs, made by editing its syntax tree and lowering again:
 * without its regularisation terms, without dropout, and with the scores its loss is computed
 * from exposed as an output. Editing the tree (not the graph) keeps the variants exactly the
 * model the user wrote, minus the named part, with every diagnostic still at the user's spans.
 */
import type { CallExpr, Expr, FnDecl, ModelDecl, Program, Stmt } from '@gradus/dsl';

/** Regularisers of the language: terms of the loss made of these are regularisation. */
export const REGULARISERS: ReadonlySet<string> = new Set(['l1', 'l2', 'elastic_net']);

/** How the data term of a loss is built, when the doctor recognises it. */
export type DataLoss =
  | { readonly kind: 'cross_entropy'; readonly scores: Expr }
  | { readonly kind: 'hinge'; readonly scores: Expr; readonly margin: number }
  | { readonly kind: 'mse'; readonly prediction: Expr; readonly target: Expr }
  | { readonly kind: 'unknown' };

export interface LossParts {
  /** The loss with every regularisation term removed. */
  readonly data: Expr;
  /** The regularisation terms found (empty: the loss has none the doctor can see). */
  readonly regularisers: readonly Expr[];
  readonly dataLoss: DataLoss;
}

const isRegulariser = (e: Expr): boolean => {
  if (e.kind === 'call') return REGULARISERS.has(e.callee);
  // `c * l2(W)` or `l2(W) * c` or `l2(W) / c`, with c a number.
  if (e.kind === 'binary' && (e.op === '*' || e.op === '/')) {
    const constant = (x: Expr): boolean => x.kind === 'number' || (x.kind === 'unary' && constant(x.operand));
    return (constant(e.left) && isRegulariser(e.right)) || (isRegulariser(e.left) && constant(e.right));
  }
  return e.kind === 'unary' && isRegulariser(e.operand);
};

/** The terms of a sum `a + b - c`, with the sign each enters with. */
function terms(e: Expr, sign = 1): { expr: Expr; sign: number }[] {
  if (e.kind === 'binary' && (e.op === '+' || e.op === '-'))
    return [...terms(e.left, sign), ...terms(e.right, e.op === '-' ? -sign : sign)];
  return [{ expr: e, sign }];
}

const named = (c: CallExpr, name: string, position: number): Expr | undefined =>
  c.namedArgs.find((a) => a.name === name)?.value ?? c.args[position];

function classify(e: Expr): DataLoss {
  const inner = e.kind === 'call' && e.callee === 'mean' && e.args.length === 1 ? e.args[0] : e;
  if (inner.kind !== 'call') return { kind: 'unknown' };
  if (inner.callee === 'cross_entropy') {
    const scores = named(inner, 'logits', 0);
    return scores ? { kind: 'cross_entropy', scores } : { kind: 'unknown' };
  }
  if (inner.callee === 'hinge') {
    const scores = named(inner, 'scores', 0);
    const m = named(inner, 'margin', 2);
    const margin = m === undefined ? 1 : m.kind === 'number' ? m.value : Number.NaN;
    return scores && Number.isFinite(margin) ? { kind: 'hinge', scores, margin } : { kind: 'unknown' };
  }
  if (inner.callee === 'mse') {
    const prediction = named(inner, 'pred', 0);
    const target = named(inner, 'target', 1);
    return prediction && target ? { kind: 'mse', prediction, target } : { kind: 'unknown' };
  }
  return { kind: 'unknown' };
}

/** Splits a loss into its data term and its regularisation terms. */
export function lossParts(loss: Expr): LossParts {
  const all = terms(loss);
  const kept = all.filter((t) => !isRegulariser(t.expr));
  const regularisers = all.filter((t) => isRegulariser(t.expr)).map((t) => t.expr);
  if (kept.length === 0) return { data: loss, regularisers: [], dataLoss: { kind: 'unknown' } };
  const data = kept.slice(1).reduce<Expr>(
    (acc, t) => ({
      kind: 'binary',
      op: t.sign > 0 ? '+' : '-',
      left: acc,
      right: t.expr,
      opSpan: t.expr.span,
      span: { start: acc.span.start, end: t.expr.span.end },
    }),
    kept[0].sign > 0
      ? kept[0].expr
      : { kind: 'unary', op: '-', operand: kept[0].expr, opSpan: kept[0].expr.span, span: kept[0].expr.span },
  );
  return { data, regularisers, dataLoss: kept.length === 1 ? classify(kept[0].expr) : { kind: 'unknown' } };
}

/** `f` applied bottom-up to every expression of `e`. */
export function mapExpr(e: Expr, f: (e: Expr) => Expr): Expr {
  const go = (x: Expr) => mapExpr(x, f);
  switch (e.kind) {
    case 'unary':
      return f({ ...e, operand: go(e.operand) });
    case 'binary':
      return f({ ...e, left: go(e.left), right: go(e.right) });
    case 'call':
      return f({
        ...e,
        args: e.args.map(go),
        namedArgs: e.namedArgs.map((a) => ({ ...a, value: go(a.value) })),
      });
    case 'index':
      return f({
        ...e,
        target: go(e.target),
        indices: e.indices.map((i) =>
          i.kind === 'slice'
            ? { ...i, ...(i.start ? { start: go(i.start) } : {}), ...(i.end ? { end: go(i.end) } : {}) }
            : go(i),
        ),
      });
    case 'tensor':
      return f({ ...e, elements: e.elements.map(go) });
    default:
      return f(e);
  }
}

/** The model `name` of a program (default: the first). */
export function modelOf(program: Program, name?: string): ModelDecl | undefined {
  return name ? program.models.find((m) => m.name === name) : program.models[0];
}

/** Every expression of the model's statements and of the program's functions, rewritten by `f`. */
function rewriteAll(program: Program, model: ModelDecl, f: (e: Expr) => Expr): Program {
  const stmt = (s: Stmt): Stmt => {
    switch (s.kind) {
      case 'let':
      case 'output':
      case 'metric':
      case 'loss':
        return { ...s, value: mapExpr(s.value, f) } as Stmt;
      default:
        return s;
    }
  };
  const fn = (d: FnDecl): FnDecl => ({
    ...d,
    lets: d.lets.map((l) => ({ ...l, value: mapExpr(l.value, f) })),
    result: mapExpr(d.result, f),
  });
  return {
    ...program,
    fns: program.fns.map(fn),
    models: program.models.map((m) => (m === model ? { ...m, stmts: m.stmts.map(stmt) } : m)),
  };
}

/** The program with every `dropout(x, …)` replaced by `x`. */
export function withoutDropout(program: Program, model: ModelDecl): Program {
  return rewriteAll(program, model, (e) =>
    e.kind === 'call' && e.callee === 'dropout' && e.args.length >= 1 ? e.args[0] : e,
  );
}

/** The program whose model's loss is `loss`, and with extra `output` statements appended. */
export function withLoss(
  program: Program,
  model: ModelDecl,
  loss: Expr,
  outputs: readonly { name: string; value: Expr }[] = [],
): Program {
  const lossStmt = model.stmts.find((s) => s.kind === 'loss');
  const span = lossStmt?.span ?? model.span;
  const stmts: Stmt[] = model.stmts.map((s) => (s.kind === 'loss' ? { ...s, value: loss } : s));
  // Before the train block, after everything the expressions may refer to.
  const at = stmts.findIndex((s) => s.kind === 'train');
  const extra: Stmt[] = outputs.map((o) => ({
    kind: 'output',
    name: o.name,
    nameSpan: span,
    value: o.value,
    span,
  }));
  stmts.splice(at < 0 ? stmts.length : at, 0, ...extra);
  return { ...program, models: program.models.map((m) => (m === model ? { ...m, stmts } : m)) };
}
