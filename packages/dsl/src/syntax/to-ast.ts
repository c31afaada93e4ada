/**
 * CST → AST. This is where meaning lives (the grammar has no actions): operators become typed
 * nodes, literals get values, and the checks that need a whole construct happen here (chained
 * comparisons, sizes that must be whole numbers, element types, argument order).
 *
 * It is a visitor written as one method per grammar rule rather than a subclass of chevrotain's
 * `CstVisitor`: each method then returns its own precise AST type instead of the single `OUT` type
 * the visitor class imposes, and TypeScript checks every access.
 *
 * Under error recovery a CST node may be partial (`recoveredNode`): any child may be missing and
 * tokens invented by recovery have no offsets. Every child is therefore read as optional (`Loose`)
 * and a method returns `undefined` when a required piece is missing; the caller drops the broken
 * construct. Nothing here throws.
 */
import type { Diagnostic, Span } from '@gradus/autodiff';
import { type CstNode, type IToken, tokenMatcher } from 'chevrotain';
import type * as A from './ast.js';
import type * as C from './cst.js';
import { didYouMean } from './did-you-mean.js';
import {
  chainedComparison,
  notWholeNumber,
  paramNotFloat,
  positionalAfterNamed,
  starStarPower,
  unknownElementType,
} from './errors.js';
import { decodeString, isValidNumber, numberValue } from './lexical.js';
import { cover, nodeSpan, tokenSpan } from './spans.js';
import { LOOK_ALIKES, QuotedString, StarStar } from './tokens.js';

export interface AstResult {
  readonly program: A.Program;
  readonly diagnostics: Diagnostic[];
}

/** Build the AST of a (possibly partial) CST; `textLength` gives the program's span. */
export function toAst(cst: C.ProgramCstNode | undefined, textLength: number): AstResult {
  const builder = new AstBuilder();
  return { program: builder.program(cst, textLength), diagnostics: builder.diagnostics };
}

/** A CST node's children with every property optional, as they may be after recovery. */
type Loose<N extends CstNode> = { readonly [K in keyof N['children']]?: N['children'][K] };

function loose<N extends CstNode>(node: N): Loose<N> {
  return node.children as Loose<N>;
}

function first<T>(items: readonly T[] | undefined): T | undefined {
  return items?.[0];
}

function compact<T>(items: readonly (T | undefined)[]): T[] {
  return items.filter((item): item is T => item !== undefined);
}

const BINARY_OPS: Readonly<Record<string, A.BinaryOp>> = {
  '==': '==',
  '!=': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  '+': '+',
  '-': '-',
  '*': '*',
  '/': '/',
  '@': '@',
  '^': '^',
  '**': '^',
};

/** The element types a declared type may name (`float[N, D]`); editors highlight them. */
export const DTYPES: readonly A.ElementType[] = ['float', 'int', 'bool'];

type StmtNode =
  | C.DimStmtCstNode
  | C.HyperStmtCstNode
  | C.InputStmtCstNode
  | C.ParamStmtCstNode
  | C.LetStmtCstNode
  | C.OutputStmtCstNode
  | C.MetricStmtCstNode
  | C.LossStmtCstNode
  | C.TrainBlockCstNode;

class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];

  // -------------------------------------------------------------------------------------------
  // Declarations
  // -------------------------------------------------------------------------------------------

  program(node: C.ProgramCstNode | undefined, textLength: number): A.Program {
    const c = node ? loose(node) : {};
    return {
      kind: 'program',
      fns: compact((c.fnDecl ?? []).map((n) => this.fnDecl(n))),
      models: compact((c.modelDecl ?? []).map((n) => this.modelDecl(n))),
      span: { start: 0, end: textLength },
    };
  }

  fnDecl(node: C.FnDeclCstNode): A.FnDecl | undefined {
    const c = loose(node);
    const name = first(c.name);
    const nameSpan = tokenSpan(name);
    const span = nodeSpan(node);
    if (name === undefined || nameSpan === undefined || span === undefined) return undefined;
    const params = compact((c.params ?? []).map((p) => this.fnParam(p)));
    // A parameter whose default is broken drops the function rather than the default.
    if (params.length !== (c.params ?? []).length) return undefined;
    let lets: A.LetStmt[] = [];
    let result: A.Expr | undefined;
    const body = first(c.fnBody);
    if (c.body !== undefined) {
      result = this.expression(first(c.body));
    } else if (body !== undefined) {
      const b = loose(body);
      lets = compact((b.letStmt ?? []).map((n) => this.binding('let', n)));
      result = this.expression(first(b.result));
    }
    if (result === undefined) return undefined;
    return { kind: 'fn', name: name.image, nameSpan, params, lets, result, span };
  }

  private fnParam(node: C.FnParamCstNode): A.FnParam | undefined {
    const c = loose(node);
    const name = this.ident(first(c.name));
    if (name === undefined) return undefined;
    if (c.default === undefined) return name;
    const value = this.expression(first(c.default));
    return value === undefined ? undefined : { ...name, default: value };
  }

  modelDecl(node: C.ModelDeclCstNode): A.ModelDecl | undefined {
    const c = loose(node);
    const name = first(c.name);
    const nameSpan = tokenSpan(name);
    const span = nodeSpan(node);
    if (name === undefined || nameSpan === undefined || span === undefined) return undefined;
    // The CST groups children by rule; statements are put back in source order.
    const nodes: StmtNode[] = [
      ...(c.dimStmt ?? []),
      ...(c.hyperStmt ?? []),
      ...(c.inputStmt ?? []),
      ...(c.paramStmt ?? []),
      ...(c.letStmt ?? []),
      ...(c.outputStmt ?? []),
      ...(c.metricStmt ?? []),
      ...(c.lossStmt ?? []),
      ...(c.trainBlock ?? []),
    ];
    const ordered = nodes
      .map((n) => ({ n, at: nodeSpan(n)?.start }))
      .filter((x): x is { n: StmtNode; at: number } => x.at !== undefined)
      .sort((a, b) => a.at - b.at);
    const stmts = compact(ordered.map(({ n }) => this.statement(n)));
    return { kind: 'model', name: name.image, nameSpan, stmts, span };
  }

  private ident(token: IToken | undefined): A.Ident | undefined {
    const span = tokenSpan(token);
    return token !== undefined && span !== undefined ? { name: token.image, span } : undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Statements
  // -------------------------------------------------------------------------------------------

  private statement(node: StmtNode): A.Stmt | undefined {
    switch (node.name) {
      case 'dimStmt':
        return this.dimStmt(node);
      case 'hyperStmt':
        return this.hyperStmt(node);
      case 'inputStmt':
        return this.inputStmt(node);
      case 'paramStmt':
        return this.paramStmt(node);
      case 'letStmt':
        return this.binding('let', node);
      case 'outputStmt':
        return this.binding('output', node);
      case 'metricStmt':
        return this.binding('metric', node);
      case 'lossStmt':
        return this.lossStmt(node);
      case 'trainBlock':
        return this.trainBlock(node);
    }
  }

  private dimStmt(node: C.DimStmtCstNode): A.DimStmt | undefined {
    const span = nodeSpan(node);
    const dims = compact((loose(node).dimItem ?? []).map((n) => this.dimItem(n)));
    if (span === undefined || dims.length === 0) return undefined;
    return { kind: 'dim', dims, span };
  }

  private hyperStmt(node: C.HyperStmtCstNode): A.HyperStmt | undefined {
    const c = loose(node);
    const name = this.ident(first(c.name));
    const value = this.expression(first(c.value));
    const span = nodeSpan(node);
    if (name === undefined || value === undefined || span === undefined) return undefined;
    const type = this.ident(first(c.type));
    const rangeNode = first(c.hyperRange);
    const range = rangeNode === undefined ? undefined : this.hyperRange(rangeNode);
    // A range that was written but is broken drops the statement rather than the range.
    if (rangeNode !== undefined && range === undefined) return undefined;
    return {
      kind: 'hyper',
      name: name.name,
      nameSpan: name.span,
      ...(type ? { typeName: type.name, typeSpan: type.span } : {}),
      value,
      ...(range ? { range } : {}),
      span,
    };
  }

  private hyperRange(node: C.HyperRangeCstNode): A.HyperRange | undefined {
    const c = loose(node);
    const lo = this.expression(first(c.lo));
    const hi = this.expression(first(c.hi));
    const open = first(c.open);
    const close = first(c.close);
    const span = nodeSpan(node);
    if (lo === undefined || hi === undefined || !open || !close || span === undefined) return undefined;
    const scale = this.ident(first(c.scale));
    return {
      lo,
      hi,
      loOpen: open.image === '(',
      hiOpen: close.image === ')',
      ...(scale ? { scale: scale.name, scaleSpan: scale.span } : {}),
      span,
    };
  }

  private dimItem(node: C.DimItemCstNode): A.DimDecl | undefined {
    const c = loose(node);
    const name = this.ident(first(c.name));
    const span = nodeSpan(node);
    if (name === undefined || span === undefined) return undefined;
    const decl = { name: name.name, nameSpan: name.span, span };
    const valueToken = first(c.value);
    const valueSpan = tokenSpan(valueToken);
    if (valueToken === undefined || valueSpan === undefined) return decl;
    const value = this.wholeNumber(valueToken, valueSpan, "a dim's value");
    return value === undefined ? decl : { ...decl, value, valueSpan };
  }

  /** A size: a non-negative whole number. Malformed numbers were reported by the lexer. */
  private wholeNumber(token: IToken, span: Span, what: string): number | undefined {
    if (!isValidNumber(token.image)) return undefined;
    const value = numberValue(token.image);
    if (Number.isSafeInteger(value) && value >= 0) return value;
    this.diagnostics.push(notWholeNumber(span, token.image, what));
    return undefined;
  }

  private inputStmt(node: C.InputStmtCstNode): A.InputStmt | undefined {
    const c = loose(node);
    const name = this.ident(first(c.name));
    const type = this.typeSpec(first(c.typeSpec));
    const span = nodeSpan(node);
    if (name === undefined || type === undefined || span === undefined) return undefined;
    return { kind: 'input', name: name.name, nameSpan: name.span, type, span };
  }

  private paramStmt(node: C.ParamStmtCstNode): A.ParamStmt | undefined {
    const c = loose(node);
    const name = this.ident(first(c.name));
    const type = this.typeSpec(first(c.typeSpec));
    const span = nodeSpan(node);
    if (name === undefined || type === undefined || span === undefined) return undefined;
    if (type.dtypeSpan !== undefined && type.dtype !== 'float') {
      this.diagnostics.push(paramNotFloat(type.dtypeSpan, type.dtype));
    }
    const frozen = tokenSpan(first(c.Frozen));
    const stmt: A.ParamStmt = {
      kind: 'param',
      name: name.name,
      nameSpan: name.span,
      type,
      ...(frozen ? { frozen } : {}),
      span,
    };
    if (c.init === undefined) return stmt;
    // `init` was written: a broken initialiser drops the statement rather than silently defaulting.
    const init = this.expression(first(c.init));
    return init === undefined ? undefined : { ...stmt, init };
  }

  private typeSpec(node: C.TypeSpecCstNode | undefined): A.TensorType | undefined {
    if (node === undefined) return undefined;
    const c = loose(node);
    const span = nodeSpan(node);
    if (span === undefined) return undefined;
    const shapeNode = first(c.shape);
    const shape = shapeNode ? compact((loose(shapeNode).shapeDim ?? []).map((n) => this.shapeDim(n))) : [];
    const dtypeToken = first(c.dtype);
    const dtypeSpan = tokenSpan(dtypeToken);
    if (dtypeToken === undefined || dtypeSpan === undefined) return { dtype: 'float', shape, span };
    const dtype = DTYPES.find((d) => d === dtypeToken.image);
    if (dtype === undefined) {
      this.diagnostics.push(
        unknownElementType(dtypeSpan, dtypeToken.image, didYouMean(dtypeToken.image, DTYPES)),
      );
    }
    return { dtype: dtype ?? 'float', dtypeSpan, shape, span };
  }

  private shapeDim(node: C.ShapeDimCstNode): A.ShapeDim | undefined {
    const value = first(loose(node).value);
    const expr = value === undefined ? undefined : this.additive(value);
    if (expr === undefined) return undefined;
    if (expr.kind === 'name') return { kind: 'named', name: expr.name, span: expr.span };
    if (expr.kind === 'number') {
      if (Number.isSafeInteger(expr.value) && expr.value >= 0)
        return { kind: 'size', value: expr.value, span: expr.span };
      this.diagnostics.push(notWholeNumber(expr.span, expr.raw, 'a shape dimension'));
      return undefined;
    }
    return { kind: 'expr', expr, span: expr.span };
  }

  /** `let`, `output` and `metric` share one shape: keyword, name, `=`, expression. */
  binding(kind: 'let', node: C.LetStmtCstNode): A.LetStmt | undefined;
  binding(kind: 'output', node: C.OutputStmtCstNode): A.OutputStmt | undefined;
  binding(kind: 'metric', node: C.MetricStmtCstNode): A.MetricStmt | undefined;
  binding(
    kind: 'let' | 'output' | 'metric',
    node: C.LetStmtCstNode | C.OutputStmtCstNode | C.MetricStmtCstNode,
  ): A.LetStmt | A.OutputStmt | A.MetricStmt | undefined {
    const c = loose(node);
    const name = this.ident(first(c.name));
    const value = this.expression(first(c.value));
    const span = nodeSpan(node);
    if (name === undefined || value === undefined || span === undefined) return undefined;
    return { kind, name: name.name, nameSpan: name.span, value, span };
  }

  private lossStmt(node: C.LossStmtCstNode): A.LossStmt | undefined {
    const c = loose(node);
    const keywordSpan = tokenSpan(first(c.Loss));
    const value = this.expression(first(c.value));
    const span = nodeSpan(node);
    if (keywordSpan === undefined || value === undefined || span === undefined) return undefined;
    return { kind: 'loss', value, keywordSpan, span };
  }

  private trainBlock(node: C.TrainBlockCstNode): A.TrainStmt | undefined {
    const span = nodeSpan(node);
    if (span === undefined) return undefined;
    const settings = compact((loose(node).trainSetting ?? []).map((n) => this.trainSetting(n)));
    return { kind: 'train', settings, span };
  }

  private trainSetting(node: C.TrainSettingCstNode): A.TrainSetting | undefined {
    const c = loose(node);
    const key = this.ident(first(c.key));
    const value = this.expression(first(c.value));
    const span = nodeSpan(node);
    if (key === undefined || value === undefined || span === undefined) return undefined;
    return { key: key.name, keySpan: key.span, value, span };
  }

  // -------------------------------------------------------------------------------------------
  // Expressions
  // -------------------------------------------------------------------------------------------

  expression(node: C.ExpressionCstNode | undefined): A.Expr | undefined {
    if (node === undefined) return undefined;
    const c = loose(node);
    const ops = c.CompareOp ?? [];
    const second = ops[1];
    const secondSpan = tokenSpan(second);
    if (second !== undefined && secondSpan !== undefined) {
      this.diagnostics.push(chainedComparison(secondSpan));
    }
    return this.leftAssociative(c.operands, ops, (n) => this.additive(n));
  }

  private additive(node: C.AdditiveCstNode): A.Expr | undefined {
    const c = loose(node);
    return this.leftAssociative(c.operands, c.AddOp, (n) => this.multiplicative(n));
  }

  private multiplicative(node: C.MultiplicativeCstNode): A.Expr | undefined {
    const c = loose(node);
    return this.leftAssociative(c.operands, c.MulOp, (n) => this.unary(n));
  }

  /** `operands[0] ops[0] operands[1] ops[1] ...`, folded to the left. */
  private leftAssociative<N>(
    operands: readonly N[] | undefined,
    ops: readonly IToken[] | undefined,
    build: (node: N) => A.Expr | undefined,
  ): A.Expr | undefined {
    const head = first(operands);
    let left = head === undefined ? undefined : build(head);
    for (const [i, op] of (ops ?? []).entries()) {
      const rightNode = operands?.[i + 1];
      const right = rightNode === undefined ? undefined : build(rightNode);
      if (left === undefined || right === undefined) return undefined;
      left = this.binary(op, left, right);
    }
    return left;
  }

  private binary(opToken: IToken, left: A.Expr, right: A.Expr): A.Expr | undefined {
    const op = BINARY_OPS[LOOK_ALIKES.get(opToken.tokenType) ?? opToken.image];
    const opSpan = tokenSpan(opToken);
    const span = cover(left.span, right.span);
    if (op === undefined || opSpan === undefined || span === undefined) return undefined;
    return { kind: 'binary', op, left, right, opSpan, span };
  }

  private unary(node: C.UnaryCstNode): A.Expr | undefined {
    const c = loose(node);
    const power = first(c.power);
    if (power !== undefined) return this.power(power);
    const sign = first(c.sign);
    const opSpan = tokenSpan(sign);
    const operandNode = first(c.operand);
    const operand = operandNode === undefined ? undefined : this.unary(operandNode);
    if (sign === undefined || opSpan === undefined || operand === undefined) return undefined;
    const op: A.UnaryOp = sign.image === '+' ? '+' : '-'; // AddOp: '+', '-' or a look-alike minus
    const span = cover(opSpan, operand.span) ?? opSpan;
    // `-1` is a literal, not a negation: see `NumberExpr`. Only a bare literal is folded.
    if (op === '-' && operand.kind === 'number' && operandNode && isBareLiteral(operandNode)) {
      return { ...operand, value: -operand.value, raw: `-${operand.raw}`, span };
    }
    return { kind: 'unary', op, operand, opSpan, span };
  }

  private power(node: C.PowerCstNode): A.Expr | undefined {
    const c = loose(node);
    const base = this.postfix(first(c.base));
    const opToken = first(c.PowOp);
    if (opToken === undefined) return base;
    const exponentNode = first(c.exponent);
    const exponent = exponentNode === undefined ? undefined : this.unary(exponentNode);
    if (base === undefined || exponent === undefined) return undefined;
    const opSpan = tokenSpan(opToken);
    if (opSpan !== undefined && tokenMatcher(opToken, StarStar)) this.diagnostics.push(starStarPower(opSpan));
    return this.binary(opToken, base, exponent);
  }

  private postfix(node: C.PostfixCstNode | undefined): A.Expr | undefined {
    if (node === undefined) return undefined;
    const c = loose(node);
    let target = this.atom(first(c.atom));
    for (const indexNode of c.index ?? []) {
      if (target === undefined) return undefined;
      const items = loose(indexNode).indexItem ?? [];
      const indices = items.map((n) => this.indexItem(n));
      const span = cover(target.span, nodeSpan(indexNode));
      if (indices.length === 0 || indices.includes(undefined) || span === undefined) return undefined;
      target = { kind: 'index', target, indices: compact(indices), span };
    }
    return target;
  }

  private indexItem(node: C.IndexItemCstNode): A.IndexItem | undefined {
    const c = loose(node);
    const startNode = first(c.start);
    const start = startNode === undefined ? undefined : this.expression(startNode);
    if (startNode !== undefined && start === undefined) return undefined;
    if (c.Colon === undefined) return start;
    const endNode = first(c.end);
    const end = endNode === undefined ? undefined : this.expression(endNode);
    const span = nodeSpan(node);
    if ((endNode !== undefined && end === undefined) || span === undefined) return undefined;
    return { kind: 'slice', ...(start ? { start } : {}), ...(end ? { end } : {}), span };
  }

  private atom(node: C.AtomCstNode | undefined): A.Expr | undefined {
    if (node === undefined) return undefined;
    const c = loose(node);
    const name = this.ident(first(c.name));
    if (name !== undefined) {
      const args = first(c.callArgs);
      return args === undefined ? { kind: 'name', name: name.name, span: name.span } : this.call(name, args);
    }
    const numberToken = first(c.NumberLiteral);
    if (numberToken !== undefined) return numberExpr(numberToken);
    const stringToken = first(c.StringLiteral);
    if (stringToken !== undefined) {
      const span = tokenSpan(stringToken);
      const { value } = decodeString(stringToken.image, tokenMatcher(stringToken, QuotedString));
      return span === undefined ? undefined : { kind: 'string', value, span };
    }
    if (c.inner !== undefined) return this.expression(first(c.inner));
    const tensor = first(c.tensor);
    if (tensor === undefined) return undefined;
    const span = nodeSpan(tensor);
    const elementNodes = loose(tensor).elements ?? [];
    const elements = elementNodes.map((n) => this.expression(n));
    if (span === undefined || elements.includes(undefined)) return undefined;
    return { kind: 'tensor', elements: compact(elements), span };
  }

  private call(callee: A.Ident, node: C.CallArgsCstNode): A.CallExpr | undefined {
    const args: A.Expr[] = [];
    const namedArgs: A.NamedArg[] = [];
    for (const argNode of loose(node).argument ?? []) {
      const c = loose(argNode);
      const value = this.expression(first(c.value));
      const span = nodeSpan(argNode);
      if (value === undefined || span === undefined) return undefined;
      const name = this.ident(first(c.name));
      if (name !== undefined) {
        namedArgs.push({ name: name.name, nameSpan: name.span, value, span });
        continue;
      }
      const firstNamed = namedArgs[0];
      if (firstNamed !== undefined) this.diagnostics.push(positionalAfterNamed(value.span, firstNamed.span));
      args.push(value);
    }
    const span = cover(callee.span, nodeSpan(node));
    if (span === undefined) return undefined;
    return { kind: 'call', callee: callee.name, calleeSpan: callee.span, args, namedArgs, span };
  }
}

function numberExpr(token: IToken): A.NumberExpr | undefined {
  const span = tokenSpan(token);
  if (span === undefined) return undefined;
  const raw = token.image;
  return { kind: 'number', value: numberValue(raw), raw, integer: /^\d+$/.test(raw), span };
}

/** Whether a `unary` CST node is just a number literal (no parentheses, power or index). */
function isBareLiteral(node: C.UnaryCstNode): boolean {
  const power = first(loose(node).power);
  if (power === undefined || loose(power).PowOp !== undefined) return false;
  const postfix = first(loose(power).base);
  if (postfix === undefined || loose(postfix).index !== undefined) return false;
  const atom = first(loose(postfix).atom);
  return atom !== undefined && loose(atom).NumberLiteral !== undefined;
}
