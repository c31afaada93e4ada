import { describe, expect, it } from 'vitest';
import { allTokens, lexer, WhiteSpace } from '../syntax/tokens.js';
import {
  gradusStreamParser,
  type HighlightClass,
  highlightText,
  type LineStream,
  tokenClass,
} from './highlight.js';
import { BUILTIN_WORDS, isCategory, KEYWORDS } from './vocabulary.js';

const classes = (text: string) => highlightText(text).map((h) => [text.slice(h.start, h.end), h.cls]);

describe('highlighting from the lexer', () => {
  it('classifies every token type the lexer can produce', () => {
    const unclassified = allTokens
      .filter((t) => !isCategory(t) && t !== WhiteSpace && tokenClass(t) === undefined)
      .map((t) => t.name);
    expect(unclassified).toEqual([]);
  });

  it('takes the keywords from the lexer and the built-ins from the tables lowering uses', () => {
    expect(KEYWORDS).toEqual(expect.arrayContaining(['model', 'fn', 'dim', 'param', 'let', 'loss', 'train']));
    for (const k of KEYWORDS) expect(classes(k)).toEqual([[k, 'keyword']]);
    const kinds = new Set(BUILTIN_WORDS.map((w) => w.kind));
    expect([...kinds].sort()).toEqual(['dataset', 'function', 'initialiser', 'optimizer', 'schedule']);
    for (const w of BUILTIN_WORDS) expect(classes(w.name)).toEqual([[w.name, 'builtin']]);
  });

  it('colours declarations, shapes, dims, numbers, strings and comments', () => {
    const text = [
      'model M {  # a comment',
      '  dim N, D = 2',
      '  input x: float[N, D]',
      '  param W: [D, 3] init normal(std = 0.1)',
      '  let h = relu(x @ W) // another',
      '  loss = mean(h ^ 2) + 1e-3',
      '  train { data = "points.csv" shuffle = true }',
      '}',
    ].join('\n');
    const got = classes(text);
    const expected: [string, HighlightClass][] = [
      ['model', 'keyword'],
      ['M', 'name'],
      ['{', 'bracket'],
      ['# a comment', 'comment'],
      ['dim', 'keyword'],
      ['N', 'dim'],
      [',', 'punctuation'],
      ['D', 'dim'],
      ['=', 'operator'],
      ['2', 'number'],
      ['input', 'keyword'],
      ['x', 'name'],
      [':', 'punctuation'],
      ['float', 'type'],
      ['[', 'bracket'],
      ['N', 'dim'],
      [',', 'punctuation'],
      ['D', 'dim'],
      [']', 'bracket'],
      ['param', 'keyword'],
      ['W', 'name'],
      [':', 'punctuation'],
      ['[', 'bracket'],
      ['D', 'dim'],
      [',', 'punctuation'],
      ['3', 'number'],
      [']', 'bracket'],
      ['init', 'keyword'],
      ['normal', 'builtin'],
      ['(', 'bracket'],
      ['std', 'name'],
      ['=', 'operator'],
      ['0.1', 'number'],
      [')', 'bracket'],
      ['let', 'keyword'],
      ['h', 'name'],
      ['=', 'operator'],
      ['relu', 'builtin'],
      ['(', 'bracket'],
      ['x', 'name'],
      ['@', 'operator'],
      ['W', 'name'],
      [')', 'bracket'],
      ['// another', 'comment'],
      ['loss', 'keyword'],
      ['=', 'operator'],
      ['mean', 'builtin'],
      ['(', 'bracket'],
      ['h', 'name'],
      ['^', 'operator'],
      ['2', 'number'],
      [')', 'bracket'],
      ['+', 'operator'],
      ['1e-3', 'number'],
      ['train', 'keyword'],
      ['{', 'bracket'],
      ['data', 'name'],
      ['=', 'operator'],
      ['"points.csv"', 'string'],
      ['shuffle', 'name'],
      ['=', 'operator'],
      ['true', 'constant'],
      ['}', 'bracket'],
      ['}', 'bracket'],
    ];
    expect(got).toEqual(expected);
  });

  it('a slice is not a shape, and names after a dim statement are names again', () => {
    expect(classes('dim N\nlet y = x[1:2]')).toEqual([
      ['dim', 'keyword'],
      ['N', 'dim'],
      ['let', 'keyword'],
      ['y', 'name'],
      ['=', 'operator'],
      ['x', 'name'],
      ['[', 'bracket'],
      ['1', 'number'],
      [':', 'punctuation'],
      ['2', 'number'],
      [']', 'bracket'],
    ]);
  });

  it('marks what the lexer rejects, and never loops on any text', () => {
    expect(classes('a − b ¤ "open')).toEqual([
      ['a', 'name'],
      ['−', 'invalid'],
      ['b', 'name'],
      ['¤', 'invalid'],
      ['"open', 'string'],
    ]);
    const weird = '\u{1F600}\u0000 "\\" 1e- 2x .. ## \r\n\t{';
    const pieces = highlightText(weird);
    expect(pieces.at(-1)).toMatchObject({ cls: 'bracket' });
    for (const p of pieces) expect(p.end).toBeGreaterThan(p.start);
  });

  it('agrees with the lexer on where every token starts and ends', () => {
    const text = 'fn f(a, b) { let t = a * b; return t + 1 }\nmodel X { loss = f(1, 2) >= 3 }';
    const lexed = lexer.tokenize(text).tokens.map((t) => [t.startOffset, t.endOffset! + 1]);
    const lit = highlightText(text).map((h) => [h.start, h.end]);
    expect(lit).toEqual(lexed);
  });

  it('works as a CodeMirror stream parser over a line stream', () => {
    const stream: LineStream = { string: 'param W: [D, H]', pos: 0 };
    const state = gradusStreamParser.startState();
    const tags: (string | null)[] = [];
    while (stream.pos < stream.string.length) tags.push(gradusStreamParser.token(stream, state));
    expect(tags.filter((t) => t !== null)).toEqual([
      'keyword',
      'variableName',
      'punctuation',
      'bracket',
      'variableName.special',
      'punctuation',
      'variableName.special',
      'bracket',
    ]);
    // A shape open at the end of a line stays open on the next (the state is copied per line).
    const copy = gradusStreamParser.copyState(state);
    expect(copy).toEqual(state);
    expect(copy).not.toBe(state);
  });
});
