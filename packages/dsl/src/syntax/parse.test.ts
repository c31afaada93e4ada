import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ModelDecl, Program, Stmt } from './ast.js';
import { parse } from './parse.js';
import { printExpr } from './print.js';

/** The lecture models the repository keeps: `<repo>/models/`. */
const modelsDir = new URL('../../../../models/', import.meta.url);
const modelFiles = readdirSync(modelsDir)
  .filter((f) => f.endsWith('.model'))
  .sort();

function parseShared(name: string): Program {
  const { program, diagnostics } = parse(readFileSync(new URL(name, modelsDir), 'utf8'));
  expect(diagnostics).toEqual([]);
  return program;
}

function only<T>(items: readonly T[]): T {
  expect(items).toHaveLength(1);
  return items[0];
}

function stmts<K extends Stmt['kind']>(model: ModelDecl, kind: K): Extract<Stmt, { kind: K }>[] {
  return model.stmts.filter((s): s is Extract<Stmt, { kind: K }> => s.kind === kind);
}

const show = printExpr;

describe('the lecture models', () => {
  it('are all found', () => {
    expect(modelFiles.length).toBeGreaterThanOrEqual(7);
  });

  it.each(modelFiles)('%s parses with zero diagnostics', (name) => {
    const program = parseShared(name);
    expect(program.models).toHaveLength(1);
  });

  it('two_layer: one fn, model TwoLayerNet, four params, its train settings', () => {
    const program = parseShared('two_layer.model');
    const fn = only(program.fns);
    expect(fn.name).toBe('dense');
    expect(fn.params.map((p) => p.name)).toEqual(['x', 'W', 'b']);
    expect(show(fn.result)).toBe('((x @ W) + b)');

    const model = only(program.models);
    expect(model.name).toBe('TwoLayerNet');
    expect(stmts(model, 'param').map((p) => p.name)).toEqual(['W1', 'b1', 'W2', 'b2']);
    expect(stmts(model, 'dim').flatMap((d) => d.dims.map((x) => [x.name, x.value]))).toEqual([
      ['N', undefined],
      ['D', 2],
      ['H', 100],
      ['C', 3],
    ]);
    const [x, y] = stmts(model, 'input');
    expect(x.type).toMatchObject({ dtype: 'float', shape: [{ name: 'N' }, { name: 'D' }] });
    expect(y.type).toMatchObject({ dtype: 'int', shape: [{ name: 'N' }] });

    const train = only(stmts(model, 'train'));
    expect(train.settings.map((s) => s.key)).toEqual([
      'data',
      'optimizer',
      'schedule',
      'batch',
      'epochs',
      'seed',
    ]);
    const setting = (key: string) => show(train.settings.find((s) => s.key === key)!.value);
    expect(setting('schedule')).toBe('warmup(steps=50, then=cosine(steps=2000))');
    expect(setting('optimizer')).toBe('adam(lr=1e-2)');
    expect(setting('data')).toBe('spiral(classes=3, points=100, seed=0)');

    expect(show(only(stmts(model, 'loss')).value)).toBe(
      '(mean(cross_entropy(logits, y)) + (1e-3 * l2(W1, W2)))',
    );
    expect(show(only(stmts(model, 'let').filter((l) => l.name === 'h')).value)).toBe(
      'dropout(relu(dense(x, W1, b1)), keep=0.9)',
    );
    expect(only(stmts(model, 'output')).name).toBe('probs');
    expect(show(only(stmts(model, 'metric')).value)).toBe('mean((argmax(logits, axis=1) == y))');
  });

  it('keeps statements in source order', () => {
    const model = only(parseShared('two_layer.model').models);
    expect(model.stmts.map((s) => s.kind)).toEqual([
      'dim',
      'dim',
      'input',
      'input',
      'param',
      'param',
      'param',
      'param',
      'let',
      'let',
      'output',
      'metric',
      'loss',
      'train',
    ]);
  });

  it('rosenbrock: negative literals in init, indexing and powers', () => {
    const model = only(parseShared('rosenbrock.model').models);
    const p = only(stmts(model, 'param'));
    expect(p.init).toMatchObject({
      kind: 'tensor',
      elements: [
        { kind: 'number', value: -1.2, raw: '-1.2' },
        { kind: 'number', value: 1, integer: true },
      ],
    });
    expect(show(only(stmts(model, 'loss')).value)).toBe(
      '(((p[0] - 1) ^ 2) + (100 * ((p[1] - (p[0] ^ 2)) ^ 2)))',
    );
  });

  it('quadratic: a literal let and a scalar loss', () => {
    const model = only(parseShared('quadratic.model').models);
    expect(show(only(stmts(model, 'let')).value)).toBe('[2, 100]');
    expect(only(stmts(model, 'param')).type.shape).toEqual([
      { kind: 'named', name: 'd', span: expect.any(Object) },
    ]);
  });

  it('spiral_softmax: a call as initialiser', () => {
    const model = only(parseShared('spiral_softmax.model').models);
    const w = stmts(model, 'param').find((p) => p.name === 'W')!;
    expect(w.init && show(w.init)).toBe('normal(std=0.01)');
  });

  it('gives every node a span inside the text, and names their own spans', () => {
    const text = readFileSync(new URL('two_layer.model', modelsDir), 'utf8');
    const { program } = parse(text);
    const model = only(program.models);
    expect(text.slice(model.nameSpan.start, model.nameSpan.end)).toBe('TwoLayerNet');
    const w1 = stmts(model, 'param')[0];
    expect(text.slice(w1.nameSpan.start, w1.nameSpan.end)).toBe('W1');
    expect(text.slice(w1.span.start, w1.span.end)).toBe('param W1: [D, H] init glorot_uniform');
    const loss = only(stmts(model, 'loss'));
    expect(text.slice(loss.span.start, loss.span.end)).toBe(
      'loss = mean(cross_entropy(logits, y)) + 1e-3 * l2(W1, W2)',
    );
    // Every span anywhere in the tree is a well-formed range of the text.
    const walk = (value: unknown): void => {
      if (value === null || typeof value !== 'object') return;
      if (Array.isArray(value)) {
        value.forEach(walk);
        return;
      }
      for (const [key, child] of Object.entries(value)) {
        if (key === 'span' || key.endsWith('Span')) {
          const span = child as { start: number; end: number };
          expect(0 <= span.start && span.start <= span.end && span.end <= text.length).toBe(true);
        } else walk(child);
      }
    };
    walk(program);
  });
});
