import { type Diagnostic, diagnostic } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import { lineCol, renderDiagnostic, renderDiagnostics } from './render.js';

const ESC = String.fromCharCode(27);
const stripAnsi = (s: string) =>
  s
    .split(ESC)
    .map((part, i) => (i === 0 ? part : part.replace(/^\[[0-9;]*m/, '')))
    .join('');

describe('lineCol', () => {
  const text = 'ab\ncd\n';
  it.each([
    [0, 1, 1],
    [1, 1, 2],
    [2, 1, 3],
    [3, 2, 1],
    [5, 2, 3],
    [6, 3, 1],
  ])('offset %i is %i:%i', (offset, line, col) => {
    expect(lineCol(text, offset)).toEqual({ line, col });
  });

  it('clamps offsets outside the text', () => {
    expect(lineCol(text, -5)).toEqual({ line: 1, col: 1 });
    expect(lineCol(text, 999)).toEqual({ line: 3, col: 1 });
    expect(lineCol(text, Number.NaN)).toEqual({ line: 3, col: 1 });
  });

  it('counts columns in code points', () => {
    expect(lineCol('é😀x', 3)).toEqual({ line: 1, col: 3 }); // é is 1 unit, 😀 is 2
  });
});

describe('renderDiagnostic', () => {
  const file = {
    name: 'two_layer.model',
    text: `${'\n'.repeat(8)}  param W1: [D, H] init glorot_uniform\n${'\n'.repeat(4)}  let logits = dense(h, W1, b2)\n`,
  };
  const w1Use = file.text.indexOf('W1, b2');
  const w1Decl = file.text.indexOf('W1:');

  it('renders the language sketch example (with a column computed from the offset)', () => {
    const d = diagnostic(
      'E0301',
      'matrix product needs matching inner dimensions: h is [N, 100], W1 is [2, 100]',
      {
        span: { start: w1Use, end: w1Use + 2 },
        label: 'W1 declared at 9:9 as [D, H] = [2, 100]',
        hint: 'did you mean W2 ([H, C] = [100, 3])?',
      },
    );
    expect(renderDiagnostic(d, file)).toBe(
      [
        'two_layer.model:14:25: error[E0301]: matrix product needs matching inner dimensions: h is [N, 100], W1 is [2, 100]',
        '   |',
        '14 |   let logits = dense(h, W1, b2)',
        '   |                         ^^ W1 declared at 9:9 as [D, H] = [2, 100]',
        '   = hint: did you mean W2 ([H, C] = [100, 3])?',
      ].join('\n'),
    );
  });

  it('prints notes with spans as their own code frames, sharing the gutter width', () => {
    const d = diagnostic('E0301', 'shapes differ', {
      span: { start: w1Use, end: w1Use + 2 },
      notes: [
        { message: 'W1 declared here', span: { start: w1Decl, end: w1Decl + 2 } },
        { message: 'no span' },
      ],
    });
    expect(renderDiagnostic(d, file)).toBe(
      [
        'two_layer.model:14:25: error[E0301]: shapes differ',
        '   |',
        '14 |   let logits = dense(h, W1, b2)',
        '   |                         ^^',
        '   = note: W1 declared here',
        '  --> two_layer.model:9:9',
        '   |',
        ' 9 |   param W1: [D, H] init glorot_uniform',
        '   |         ^^',
        '   = note: no span',
      ].join('\n'),
    );
  });

  const one = (text: string, start: number, end: number, label?: string) =>
    renderDiagnostic(diagnostic('E0002', 'm', { span: { start, end }, label }), { name: 'f', text })
      .split('\n')
      .slice(1);

  it('draws one caret per character of the span, and at least one', () => {
    expect(one('abcdef', 1, 4)).toEqual(['  |', '1 | abcdef', '  |  ^^^']);
    expect(one('abcdef', 2, 2)).toEqual(['  |', '1 | abcdef', '  |   ^']);
    expect(one('abcdef', 6, 6, 'here')).toEqual(['  |', '1 | abcdef', '  |       ^ here']);
  });

  it('clamps spans past the end and stops multi-line spans at the end of the first line', () => {
    expect(one('abc', 1, 99)).toEqual(['  |', '1 | abc', '  |  ^^']);
    expect(one('abc', 50, 60)).toEqual(['  |', '1 | abc', '  |    ^']);
    expect(one('ab\ncd', 1, 4)).toEqual(['  |', '1 | ab\ncd'.split('\n')[0], '  |  ^']);
    expect(one('ab\n', 3, 3)).toEqual(['  |', '2 | ', '  | ^']);
    expect(one('abc', 2, 1)).toEqual(['  |', '1 | abc', '  |   ^']);
  });

  it('keeps tabs so carets line up, hides control characters and CRLF line ends', () => {
    expect(one('\tx = 1', 1, 2)).toEqual(['  |', '1 | \tx = 1', '  | \t^']);
    expect(one('a\u0007b', 2, 3)).toEqual(['  |', '1 | a\ufffdb', '  |   ^']);
    expect(one('ab\r\ncd', 0, 2)).toEqual(['  |', '1 | ab', '  | ^^']);
  });

  it('renders a diagnostic without a span as a header only', () => {
    const d = diagnostic('E0099', 'internal', { hint: 'report it' });
    expect(renderDiagnostic(d, { name: 'f.model', text: '' })).toBe(
      'f.model: error[E0099]: internal\n  = hint: report it',
    );
  });

  it('uses no colour by default, and ANSI colour only when asked', () => {
    const d = diagnostic('E0002', 'm', { span: { start: 0, end: 1 }, label: 'l', hint: 'h' });
    const plain = renderDiagnostic(d, { name: 'f', text: 'x' });
    expect(plain).not.toContain('\x1b');
    const colored = renderDiagnostic(d, { name: 'f', text: 'x' }, { color: true });
    expect(colored).toContain('\x1b[1;31m');
    expect(stripAnsi(colored)).toBe(plain);
  });

  it('names the severity', () => {
    const d = diagnostic('W0001', 'unused', { severity: 'warning', span: { start: 0, end: 1 } });
    expect(renderDiagnostic(d, { name: 'f', text: 'x' }).split('\n')[0]).toBe(
      'f:1:1: warning[W0001]: unused',
    );
  });
});

describe('renderDiagnostics', () => {
  const file = { name: 'f', text: 'abc' };
  const err: Diagnostic = diagnostic('E0002', 'bad', { span: { start: 0, end: 1 } });
  const warn: Diagnostic = diagnostic('W0001', 'meh', { severity: 'warning', span: { start: 1, end: 2 } });

  it('joins diagnostics with blank lines and ends with a summary', () => {
    const out = renderDiagnostics([err, err, warn], file);
    expect(out.split('\n\n')).toHaveLength(4);
    expect(out.endsWith('\n\n2 errors, 1 warning')).toBe(true);
    expect(renderDiagnostics([err], file).endsWith('\n\n1 error')).toBe(true);
  });

  it('renders nothing for no diagnostics', () => {
    expect(renderDiagnostics([], file)).toBe('');
  });
});
