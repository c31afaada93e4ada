import { describe, expect, it } from 'vitest';
import type { Expr, ModelDecl } from './ast.js';
import { parse } from './parse.js';
import { printExpr } from './print.js';

/** Parse `source` as the right-hand side of `loss = ...` and return the expression. */
function lossOf(source: string): Expr {
  const { program, diagnostics } = parse(`model M { loss = ${source} }`);
  expect(diagnostics).toEqual([]);
  const stmt = program.models[0]?.stmts[0];
  if (stmt?.kind !== 'loss') throw new Error(`no loss statement parsed from ${source}`);
  return stmt.value;
}

const tree = (source: string) => printExpr(lossOf(source));

function modelOf(text: string): ModelDecl {
  const { program, diagnostics } = parse(text);
  expect(diagnostics).toEqual([]);
  expect(program.models).toHaveLength(1);
  return program.models[0];
}

describe('precedence and associativity', () => {
  it.each([
    ['-x^2', '(-(x ^ 2))'],
    ['-2^2', '(-(2 ^ 2))'],
    ['2^3^2', '(2 ^ (3 ^ 2))'],
    ['2^-1', '(2 ^ -1)'],
    ['2^-x', '(2 ^ (-x))'],
    ['a + b * c', '(a + (b * c))'],
    ['a * b + c', '((a * b) + c)'],
    ['a @ b + c', '((a @ b) + c)'],
    ['a + b @ c', '(a + (b @ c))'],
    ['a - b - c', '((a - b) - c)'],
    ['a / b * c', '((a / b) * c)'],
    ['a * -b', '(a * (-b))'],
    ['--x', '(-(-x))'],
    ['+x', '(+x)'],
    ['-x[0]', '(-x[0])'],
    ['p[0]^2', '(p[0] ^ 2)'],
    ['(a + b) * c', '((a + b) * c)'],
    ['a + b == c * d', '((a + b) == (c * d))'],
    ['a < b + 1', '(a < (b + 1))'],
    ['a <= b', '(a <= b)'],
    ['a >= -1', '(a >= -1)'],
    ['a != b', '(a != b)'],
    ['a > b', '(a > b)'],
    ['x @ W1 @ W2', '((x @ W1) @ W2)'],
  ])('%s  ⇒  %s', (source, expected) => {
    expect(tree(source)).toBe(expected);
  });
});

describe('literals', () => {
  it('folds a minus sign into a bare literal only', () => {
    expect(lossOf('-1.5')).toMatchObject({ kind: 'number', value: -1.5, raw: '-1.5', integer: false });
    expect(lossOf('-(1)')).toMatchObject({ kind: 'unary', op: '-', operand: { kind: 'number', value: 1 } });
    expect(lossOf('-1^2')).toMatchObject({ kind: 'unary', operand: { kind: 'binary', op: '^' } });
  });

  it.each([
    ['7', 7, true],
    ['0.5', 0.5, false],
    ['.5', 0.5, false],
    ['1e-3', 0.001, false],
    ['2.5E+4', 25000, false],
    ['3.', 3, false],
  ])('number %s', (raw, value, integer) => {
    expect(lossOf(raw)).toMatchObject({ kind: 'number', raw, value, integer });
  });

  it('decodes string escapes', () => {
    expect(lossOf('"a\\"b\\\\c\\n"')).toMatchObject({ kind: 'string', value: 'a"b\\c\n' });
  });

  it('nests tensor literals', () => {
    expect(tree('[[1, 2], [3, 4]]')).toBe('[[1, 2], [3, 4]]');
    expect(tree('[]')).toBe('[]');
    expect(tree('[-1.2, 1]')).toBe('[-1.2, 1]');
  });
});

describe('calls and indexing', () => {
  it('separates positional and named arguments', () => {
    const call = lossOf('f(a, b, keep = 0.8, axis = -1)');
    expect(call).toMatchObject({
      kind: 'call',
      callee: 'f',
      args: [
        { kind: 'name', name: 'a' },
        { kind: 'name', name: 'b' },
      ],
      namedArgs: [
        { name: 'keep', value: { kind: 'number', value: 0.8 } },
        { name: 'axis', value: { kind: 'number', value: -1 } },
      ],
    });
  });

  it('accepts keywords as argument names, and nested calls', () => {
    expect(tree('f(init = 1, loss = g(x))')).toBe('f(init=1, loss=g(x))');
    expect(tree('warmup(steps = 50, then = cosine(steps = 2000))')).toBe(
      'warmup(steps=50, then=cosine(steps=2000))',
    );
    expect(tree('f()')).toBe('f()');
  });

  it.each([
    ['x[:, 1]', 'x[:, 1]'],
    ['x[0:10, :]', 'x[0:10, :]'],
    ['x[1:]', 'x[1:]'],
    ['x[:-1]', 'x[:-1]'],
    ['x[i + 1]', 'x[(i + 1)]'],
    ['x[0][1]', 'x[0][1]'],
    ['f(x)[0]', 'f(x)[0]'],
  ])('%s', (source, expected) => {
    expect(tree(source)).toBe(expected);
  });

  it('represents slices and plain indices distinctly', () => {
    const e = lossOf('x[:, 1]');
    expect(e).toMatchObject({
      kind: 'index',
      target: { kind: 'name', name: 'x' },
      indices: [{ kind: 'slice' }, { kind: 'number', value: 1 }],
    });
    if (e.kind !== 'index') throw new Error('expected an index');
    const [slice] = e.indices;
    expect(slice.kind === 'slice' && slice.start === undefined && slice.end === undefined).toBe(true);
  });
});

describe('spans', () => {
  it('covers operands and points at operators', () => {
    const text = 'model M { loss = a + b * c }';
    const { program } = parse(text);
    const loss = program.models[0].stmts[0];
    if (loss.kind !== 'loss' || loss.value.kind !== 'binary') throw new Error('unexpected tree');
    expect(text.slice(loss.value.span.start, loss.value.span.end)).toBe('a + b * c');
    expect(text.slice(loss.value.opSpan.start, loss.value.opSpan.end)).toBe('+');
    expect(text.slice(loss.value.right.span.start, loss.value.right.span.end)).toBe('b * c');
    expect(text.slice(loss.keywordSpan.start, loss.keywordSpan.end)).toBe('loss');
  });

  it('covers a whole call and its callee separately', () => {
    const text = 'model M { loss = mean(x, axis = 1) }';
    const e = parse(text).program.models[0].stmts[0];
    if (e.kind !== 'loss' || e.value.kind !== 'call') throw new Error('unexpected tree');
    expect(text.slice(e.value.span.start, e.value.span.end)).toBe('mean(x, axis = 1)');
    expect(text.slice(e.value.calleeSpan.start, e.value.calleeSpan.end)).toBe('mean');
    const named = e.value.namedArgs[0];
    expect(text.slice(named.span.start, named.span.end)).toBe('axis = 1');
    expect(text.slice(named.nameSpan.start, named.nameSpan.end)).toBe('axis');
  });
});

describe('statements', () => {
  it('groups several dims in one statement', () => {
    const model = modelOf('model M { dim N, D = 2, H = 64 }');
    expect(model.stmts).toMatchObject([
      { kind: 'dim', dims: [{ name: 'N' }, { name: 'D', value: 2 }, { name: 'H', value: 64 }] },
    ]);
  });

  it('reads types: dtype, shape, scalars, omitted dtype', () => {
    const model = modelOf(
      'model M { input a: float[N, 3]; input b: int[N]; input c: bool; input d: float[]; param W: [D, H] }',
    );
    expect(model.stmts).toMatchObject([
      {
        kind: 'input',
        name: 'a',
        type: {
          dtype: 'float',
          shape: [
            { kind: 'named', name: 'N' },
            { kind: 'size', value: 3 },
          ],
        },
      },
      { kind: 'input', name: 'b', type: { dtype: 'int', shape: [{ name: 'N' }] } },
      { kind: 'input', name: 'c', type: { dtype: 'bool', shape: [] } },
      { kind: 'input', name: 'd', type: { dtype: 'float', shape: [] } },
      { kind: 'param', name: 'W', type: { dtype: 'float', shape: [{ name: 'D' }, { name: 'H' }] } },
    ]);
    const w = model.stmts[4];
    expect(w.kind === 'param' && w.init === undefined && w.type.dtypeSpan === undefined).toBe(true);
  });

  it('accepts semicolons and both comment styles', () => {
    const model = modelOf(
      'model M { // a comment\n  let a = 1; let b = 2 # another\n  ;; output o = a + b\n  metric m = a }',
    );
    expect(model.stmts.map((s) => s.kind)).toEqual(['let', 'let', 'output', 'metric']);
  });

  it('reads train settings with strings and names', () => {
    const model = modelOf('model M { train { data = "data/points.csv"; optimizer = sgd; batch = 32 } }');
    expect(model.stmts).toMatchObject([
      {
        kind: 'train',
        settings: [
          { key: 'data', value: { kind: 'string', value: 'data/points.csv' } },
          { key: 'optimizer', value: { kind: 'name', name: 'sgd' } },
          { key: 'batch', value: { kind: 'number', value: 32 } },
        ],
      },
    ]);
  });

  it('reads fn block bodies', () => {
    const { program, diagnostics } = parse('fn f(x) {\n  let t = x * x; let u = t + 1\n  return -u\n}');
    expect(diagnostics).toEqual([]);
    const [fn] = program.fns;
    expect(fn.lets.map((l) => [l.name, printExpr(l.value)])).toEqual([
      ['t', '(x * x)'],
      ['u', '(t + 1)'],
    ]);
    expect(printExpr(fn.result)).toBe('(-u)');
    expect(parse('fn zero() = 0').program.fns[0]).toMatchObject({ params: [], lets: [] });
  });

  it('keeps identifiers that merely start with a keyword', () => {
    const model = modelOf('model M { let loss_scale = 2; let input2 = 1; let dims = 3 }');
    expect(model.stmts.map((s) => (s.kind === 'let' ? s.name : s.kind))).toEqual([
      'loss_scale',
      'input2',
      'dims',
    ]);
  });

  it('parses an empty file and an empty model', () => {
    expect(parse('')).toEqual({
      program: { kind: 'program', fns: [], models: [], span: { start: 0, end: 0 } },
      diagnostics: [],
    });
    expect(modelOf('model M {}').stmts).toEqual([]);
  });
});

describe('checks made while building the AST', () => {
  it('reports chained comparisons but still builds them', () => {
    const { program, diagnostics } = parse('model M { metric m = a < b < c }');
    expect(diagnostics.map((d) => d.code)).toEqual(['E0007']);
    const m = program.models[0].stmts[0];
    expect(m.kind === 'metric' && printExpr(m.value)).toBe('((a < b) < c)');
  });

  it.each([
    ['model M { input x: float[2.5] }', 'E0008'],
    ['model M { dim D = 0.5 }', 'E0008'],
    ['model M { input x: flaot[N] }', 'E0009'],
    ['model M { param W: int[2] }', 'E0010'],
    ['model M { loss = f(a = 1, 2) }', 'E0011'],
    ['model M { loss = x ** 2 }', 'E0013'],
    ['model M { loss = "a\\qb" }', 'E0006'],
    ['model M { loss = 2x }', 'E0004'],
    ['model M { loss = 1.2.3 }', 'E0004'],
    ['model M { loss = x \u2212 1 }', 'E0001'],
  ])('%s → %s', (text, code) => {
    expect(parse(text).diagnostics.map((d) => d.code)).toEqual([code]);
  });

  it('gives hints for look-alike characters and typos', () => {
    expect(parse('model M { loss = x \u2212 1 }').diagnostics[0].hint).toMatch(/Unicode minus/);
    expect(parse('model M { input x: flaot[N] }').diagnostics[0].hint).toBe("did you mean 'float'?");
    expect(parse('model M { steps = 3 }').diagnostics[0].hint).toMatch(/inside 'train/);
    expect(parse('model M { h = 3 }').diagnostics[0].hint).toBe("to name a value, write 'let h = ...'");
    expect(parse("model M { train { data = 'x.csv' } }").diagnostics[0].hint).toMatch(/double quotes/);
  });
});
