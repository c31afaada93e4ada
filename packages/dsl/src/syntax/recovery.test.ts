/** Error recovery: several mistakes reported in one run, and the rest of the file still read. */
import { describe, expect, it } from 'vitest';
import { MAX_NESTING } from './lexical.js';
import { parse } from './parse.js';

const codes = (text: string) => parse(text).diagnostics.map((d) => d.code);

describe('recovery', () => {
  it('reports one mistake per broken statement and keeps the good statements', () => {
    const text = [
      'model M {',
      '  input x: float[N, 2]',
      '  let a relu(x)', // missing '='
      '  parm W: [2, 3] init zeros', // unknown statement
      '  let b = ', // missing expression
      '  param V: [2, 3] init zeros',
      '  loss = mean(a @ V)',
      '}',
    ].join('\n');
    const { program, diagnostics } = parse(text);
    expect(diagnostics.map((d) => d.code)).toEqual(['E0002', 'E0012', 'E0002']);
    const model = program.models[0];
    // `let a` is repaired (the '=' is taken as inserted); `let b` and the unknown statement are dropped.
    expect(model.stmts.map((s) => ('name' in s ? `${s.kind} ${s.name}` : s.kind))).toEqual([
      'input x',
      'let a',
      'param V',
      'loss',
    ]);
  });

  it('keeps reading declarations after a broken one', () => {
    const { program, diagnostics } = parse('fn f(x) = \nfn g(y) = y * 2\nmodel M { loss = g(1) }');
    expect(diagnostics.map((d) => d.code)).toEqual(['E0002']);
    expect(program.fns.map((f) => f.name)).toEqual(['g']);
    expect(program.models.map((m) => m.name)).toEqual(['M']);
  });

  it('points at the line where a piece is missing, not at the next statement', () => {
    const text = 'model M {\n  let h =\n  loss = 1\n}';
    const [d] = parse(text).diagnostics;
    expect(d.span).toEqual({ start: text.indexOf('=') + 1, end: text.indexOf('=') + 1 });
  });

  it('blames nested unclosed blocks inside-out', () => {
    const text = 'model M {\n  train {\n    steps = 1\n';
    const [d] = parse(text).diagnostics;
    expect(d.code).toBe('E0003');
    expect(d.message).toBe("expected '}' to close the train block, found the end of the file");
    expect(d.notes[0]?.span).toEqual({
      start: text.indexOf('train {') + 6,
      end: text.indexOf('train {') + 7,
    });
  });

  it('explains a missing comma in a dim list', () => {
    expect(parse('model M { dim N D }').diagnostics[0].hint).toBe(
      "separate dims with commas, as in 'dim N, D = 2'",
    );
  });

  it('refuses absurd nesting with a diagnostic instead of exhausting the stack', () => {
    const deep = `model M { loss = ${'('.repeat(MAX_NESTING + 1)}x${')'.repeat(MAX_NESTING + 1)} }`;
    expect(codes(deep)).toEqual(['E0014']);
    const fine = `model M { loss = ${'('.repeat(MAX_NESTING - 1)}x${')'.repeat(MAX_NESTING - 1)} }`;
    expect(codes(fine)).toEqual([]);
    // Unclosed parentheses in many statements are not one deep expression.
    const many = `model M {\n${'  let a = f(x\n'.repeat(MAX_NESTING * 2)}}`;
    expect(codes(many).every((c) => c === 'E0003')).toBe(true);
    // Long operator chains recurse too; past what the stack holds they are reported, not thrown,
    // and the parser is left ready for the next file.
    expect(codes(`model M { loss = ${'-'.repeat(200)}x }`)).toEqual([]);
    expect(codes(`model M { loss = ${'-'.repeat(50_000)}x }`)).toEqual(['E0014']);
    expect(codes('model M { loss = -x }')).toEqual([]);
  });

  it('reports a stray token at the end of the file', () => {
    const [d] = parse('model M { loss = 1 }\n}').diagnostics;
    expect(d).toMatchObject({ code: 'E0002', hint: "this '}' closes nothing" });
  });
});
