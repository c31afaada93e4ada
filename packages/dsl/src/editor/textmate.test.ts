import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as oniguruma from 'vscode-oniguruma';
import { type IGrammar, INITIAL, Registry } from 'vscode-textmate';
import { highlightText } from './highlight.js';
import { SCOPE_NAME, TEXTMATE_SCOPES, textMateGrammar } from './textmate.js';

const MODELS = fileURLToPath(new URL('../../../../models/', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../../../examples/', import.meta.url));

async function loadGrammar(): Promise<IGrammar> {
  const wasm = readFileSync(createRequire(import.meta.url).resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    // A round trip through JSON: the grammar is used as the .tmLanguage.json file holds it.
    loadGrammar: async (scope) =>
      scope === SCOPE_NAME ? JSON.parse(JSON.stringify(textMateGrammar())) : null,
  });
  const grammar = await registry.loadGrammar(SCOPE_NAME);
  if (!grammar) throw new Error('the grammar did not load');
  return grammar;
}

/** For every offset of the text, the innermost scope TextMate gives it. */
function textMateScopes(grammar: IGrammar, text: string): (string | undefined)[] {
  const out: (string | undefined)[] = [];
  let stack = INITIAL;
  for (const line of text.split('\n')) {
    const r = grammar.tokenizeLine(line, stack);
    for (const t of r.tokens) {
      const scope = t.scopes.length > 1 ? t.scopes[t.scopes.length - 1] : undefined;
      for (let i = t.startIndex; i < Math.min(t.endIndex, line.length); i++) out.push(scope);
    }
    out.push(undefined); // the newline
    stack = r.ruleStack;
  }
  return out;
}

const sources = [
  ...readdirSync(MODELS).map((f) => MODELS + f),
  ...readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.model'))
    .map((f) => EXAMPLES + f),
].filter((f) => f.endsWith('.model'));

describe('the TextMate grammar generated from the lexer', () => {
  let grammar: IGrammar;
  beforeAll(async () => {
    grammar = await loadGrammar();
  });

  it('has a scope for every highlight class, and names the language', () => {
    const g = textMateGrammar();
    expect(g.scopeName).toBe('source.gradus');
    expect(new Set(Object.values(TEXTMATE_SCOPES)).size).toBe(Object.keys(TEXTMATE_SCOPES).length);
  });

  const fixture = [
    'fn dense(x, W, b) = x @ W + b   # inline',
    'model Tricky {',
    '  dim N, D = 2, H = 100, C = 3',
    '  input x: float[N, D]',
    '  input y: int[N]',
    '  param W1: [D, H] init normal(std = 0.01)',
    '  param b1: [H] init [0.5, -1.2e-3]',
    '  let h = relu(dense(x, W1, b1)) // comment',
    '  let s = sum(h[:, 1:3], axis = [0, 1], keepdims = true)',
    '  output p = softmax(h, axis = -1) − 1 × 2',
    '  metric acc = mean(argmax(h, axis = 1) == y)',
    '  loss = mean(cross_entropy(h, y)) + 1e-4 * l2(W1); loss = 2 ** 3',
    '  train { data = "a\\"b.csv" optimizer = adam(lr = 1e-2) schedule = cosine(steps = 2) seed = 1 }',
    '}',
    'model Half { dim',
    '  input x: bool[',
  ].join('\n');

  it.each([
    ...sources.map((f) => [f.slice(f.lastIndexOf('/') + 1), readFileSync(f, 'utf8')]),
    ['fixture', fixture],
  ])('colours %s as the lexer-driven highlighter does', (_name, text) => {
    const scopes = textMateScopes(grammar, text.replace(/\r/g, ''));
    const mismatches: string[] = [];
    for (const h of highlightText(text.replace(/\r/g, ''))) {
      const want = TEXTMATE_SCOPES[h.cls];
      const got = new Set(scopes.slice(h.start, h.end));
      if (got.size !== 1 || !got.has(want))
        mismatches.push(`${JSON.stringify(text.slice(h.start, h.end))}: ${h.cls} ≠ ${[...got].join(' ')}`);
    }
    expect(mismatches).toEqual([]);
  });
});
