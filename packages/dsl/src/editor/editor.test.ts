import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../model-file.js';
import type { Program } from '../syntax/ast.js';
import { parse } from '../syntax/parse.js';
import { analyse } from './analysis.js';
import { completionsAt } from './completion.js';
import { definitionAt, hoverAt } from './lookup.js';
import { resolveNames } from './names.js';
import { documentOutline } from './outline.js';
import { renameEdits, renameTarget } from './rename.js';

const MODELS = fileURLToPath(new URL('../../../../models/', import.meta.url));
const models = readdirSync(MODELS).filter((f) => f.endsWith('.model'));
const twoLayer = readFileSync(`${MODELS}two_layer.model`, 'utf8');

/** The text with `|` removed, and the offset where it was. */
function cursor(text: string): { text: string; at: number } {
  const at = text.indexOf('|');
  return { text: text.slice(0, at) + text.slice(at + 1), at };
}
const labels = (text: string) => {
  const c = cursor(text);
  return completionsAt(analyse(c.text), c.at).map((x) => x.label);
};
const at = (text: string, needle: string, into = 0) => text.indexOf(needle) + into;

describe('the editor analysis', () => {
  it('reports exactly what gradus check reports', () => {
    const broken = twoLayer.replace('dense(h, W2, b2)', 'dense(h, W1, b2)').replace('relu(', 'relux(');
    for (const text of [twoLayer, broken, 'model M { let = }', '']) {
      expect(analyse(text, 'f.model').diagnostics).toEqual(
        checkSource({ name: 'f.model', text }).diagnostics,
      );
    }
  });

  it('hovers every name with its type and shape, symbolic and bound', () => {
    const a = analyse(twoLayer);
    const hover = (needle: string, into = 0) => hoverAt(a, at(twoLayer, needle, into))?.markdown ?? '';
    expect(hover('let h', 4)).toContain('let h: float[N, H] = [N, 100]');
    expect(hover('let logits', 4)).toContain('let logits: float[N, C] = [N, 3]');
    expect(hover('input y', 6)).toContain('input y: int[N]');
    expect(hover('param W1', 6)).toContain('param W1: float[D, H] = [2, 100]');
    expect(hover('dim N', 4)).toContain('dim N # sized by the data');
    expect(hover('H = 100')).toContain('dim H = 100');
    expect(hover('metric accuracy', 7)).toContain('metric accuracy: float');
    // A name where it is used shows its declaration; a function parameter shows each call's shapes.
    expect(hover('dense(h', 6)).toContain('let h: float[N, H] = [N, 100]');
    const w = hover('x @ W', 4);
    expect(w).toContain('parameter W: float[D, H] = [2, 100]');
    expect(w).toContain('parameter W: float[H, C] = [100, 3]');
    // Built-ins, their named arguments and training settings show their documentation.
    expect(hover('relu(')).toMatch(/relu\(x\)[\s\S]*max\(x, 0\)/);
    expect(hover('keep =')).toContain('dropout(keep = …)');
    expect(hover('classes =')).toContain('number of arms; optional, default 3');
    expect(hover('epochs')).toContain('passes over the training data');
    expect(hover('adam(')).toContain('optimizer: Adam');
    expect(hoverAt(a, at(twoLayer, '# A two'))).toBeUndefined();
  });

  it('shows the bound shape alone where the written one cannot be known', () => {
    const text =
      'model M {\n  dim N, D = 2\n  input x: float[N, D]\n  let k = 2 / 4\n  let z = x * [1, 2] * k\n  loss = sum(z)\n}';
    expect(hoverAt(analyse(text), at(text, 'z =', 0))?.markdown).toContain('let z: float[N, 2]');
    expect(hoverAt(analyse(text), at(text, 'k =', 0))?.markdown).toContain('let k: number = 0.5');
  });

  it('goes to the definition of a name, in the model or in a function', () => {
    const a = analyse(twoLayer);
    const def = (needle: string, into: number) => definitionAt(a, at(twoLayer, needle, into));
    expect(def('dense(h, W2', 10)).toEqual({
      start: at(twoLayer, 'W2: [H'),
      end: at(twoLayer, 'W2: [H') + 2,
    });
    expect(def('[D, H] init', 1)).toEqual({ start: at(twoLayer, 'D = 2'), end: at(twoLayer, 'D = 2') + 1 });
    expect(def('x @ W', 0)).toEqual({ start: at(twoLayer, 'dense(x', 6), end: at(twoLayer, 'dense(x', 7) });
    expect(def('dense(x, W1', 0)).toEqual({
      start: at(twoLayer, 'fn dense', 3),
      end: at(twoLayer, 'fn dense', 8),
    });
    expect(def('relu(', 1)).toBeUndefined();
  });

  it('completes built-ins with their named arguments, and the names declared above', () => {
    const inModel = (line: string) => twoLayer.replace('  let logits = dense(h, W2, b2)', line);
    const c = cursor(inModel('  let logits = softmax(h, |'));
    const softmax = completionsAt(analyse(c.text), c.at);
    // `x` is given by position: only `axis` is left to name.
    expect(softmax.filter((x) => x.kind === 'argument').map((x) => x.label)).toEqual(['axis']);
    expect(softmax[0]).toMatchObject({ label: 'axis', insertText: 'axis = ' });
    const args = softmax.map((x) => x.label);
    expect(args).toEqual(expect.arrayContaining(['h', 'W1', 'x', 'dense', 'relu', 'true']));
    expect(args).not.toContain('logits');
    expect(labels(inModel('  let logits = rel|'))).toContain('relu');
    expect(labels(inModel('  let logits = batchnorm(h, gamma = W1, |'))).toEqual(
      expect.arrayContaining(['beta', 'momentum', 'eps']),
    );
    expect(labels(inModel('  let logits = batchnorm(h, gamma = W1, |'))).not.toContain('gamma');
    expect(labels(twoLayer.replace('init zeros', 'init |'))).toContain('he_normal');
    expect(labels(twoLayer.replace('init zeros', 'init normal(|'))).toEqual(['std', 'mean']);
    expect(labels(twoLayer.replace('  input y: int[N]', '  input y: int[|'))).toEqual(['N', 'D', 'H', 'C']);
    expect(labels(twoLayer.replace('  input y: int[N]', '  input y: |'))).toEqual(['float', 'int', 'bool']);
    const start = labels(twoLayer.replace('  input y: int[N]', '  |'));
    expect(start.slice(0, 9)).toEqual([
      'dim',
      'hyper',
      'input',
      'param',
      'let',
      'output',
      'metric',
      'loss',
      'train',
    ]);
    expect(labels('|')).toEqual(['fn', 'model']);
    const inFn = labels('fn f(a, b) {\n  let t = a * b\n  |\n}');
    expect(inFn.slice(0, 2)).toEqual(['let', 'return']);
    expect(inFn).toEqual(expect.arrayContaining(['a', 'b', 't', 'relu']));
  });

  it('completes train blocks: settings, then optimisers, schedules and data sets and their arguments', () => {
    const train = (line: string, replaced = '    batch     = 64') => labels(twoLayer.replace(replaced, line));
    const keys = train('    |');
    expect(keys).toContain('clip');
    expect(keys).not.toContain('epochs');
    expect(train('    optimizer = |', '    optimizer = adam(lr = 1e-2)')).toContain('rmsprop');
    expect(train('    optimizer = adam(lr = 1e-3, |', '    optimizer = adam(lr = 1e-2)')).toEqual([
      'beta1',
      'beta2',
      'eps',
      'amsgrad',
      'bias_correction',
    ]);
    expect(train('    data = |', '    data      = spiral(classes = 3, points = 100, seed = 0)')).toContain(
      'moons',
    );
    expect(
      train(
        '    schedule = warmup(steps = 5, then = |',
        '    schedule  = warmup(steps = 50, then = cosine(steps = 2000))',
      ),
    ).toContain('cosine');
  });

  it('outlines models and functions with what they declare', () => {
    const outline = documentOutline(analyse(twoLayer));
    expect(outline.map((o) => [o.kind, o.name])).toEqual([
      ['fn', 'dense'],
      ['model', 'TwoLayerNet'],
    ]);
    const model = outline[1].children.map((c) => `${c.kind} ${c.name}${c.detail ? ` ${c.detail}` : ''}`);
    expect(model).toEqual([
      'dim N # sized by the data',
      'dim D = 2',
      'dim H = 100',
      'dim C = 3',
      'input x float[N, D] = [N, 2]',
      'input y int[N]',
      'param W1 float[D, H] = [2, 100]',
      'param b1 float[H] = [100]',
      'param W2 float[H, C] = [100, 3]',
      'param b2 float[C] = [3]',
      'let h float[N, H] = [N, 100]',
      'let logits float[N, C] = [N, 3]',
      'output probs float[N, C] = [N, 3]',
      'metric accuracy float',
      'loss loss',
      'train train',
    ]);
  });

  it('renames a let, a param, a dim or a function everywhere, and refuses what would break a run', () => {
    const a = analyse(twoLayer);
    const rename = (needle: string, into: number, name: string) => {
      const r = renameEdits(a, at(twoLayer, needle, into), name);
      if ('error' in r) return r.error;
      let out = twoLayer;
      for (const s of [...r.edits].reverse()) out = out.slice(0, s.start) + name + out.slice(s.end);
      return out;
    };
    const renamed = rename('let h', 4, 'hidden');
    expect(renamed).toContain('let hidden      = dropout');
    expect(renamed).toContain('dense(hidden, W2, b2)');
    expect(checkSource({ name: 'r.model', text: renamed }).lowered).toBeDefined();
    const param = rename('dense(x, W1', 9, 'Wfirst');
    expect(param.match(/Wfirst/g)).toHaveLength(3);
    expect(checkSource({ name: 'r.model', text: param }).lowered).toBeDefined();
    expect(rename('H = 100', 0, 'Hidden').match(/Hidden/g)).toHaveLength(4);
    expect(rename('fn dense', 3, 'affine').match(/affine/g)).toHaveLength(3);
    expect(rename('let h', 4, 'W1')).toBe("'W1' is already declared in model TwoLayerNet");
    expect(rename('let h', 4, 'param')).toBe("'param' is a reserved word");
    expect(rename('let h', 4, '2x')).toMatch(/is not a name/);
    expect(rename('let h', 4, 'relu')).toBe("'relu' is a built-in function");
    expect(rename('input y', 6, 'labels')).toMatch(/inputs are matched to data by name/);
    expect(renameTarget(a, at(twoLayer, 'relu('))).toEqual({
      error: "'relu' is built in and cannot be renamed",
    });
  });

  it('reads a statement kind it has never seen by its shape: a named statement declares its name', () => {
    // `model M { let a = 1 }`, with a statement the parser does not have yet spliced in before it.
    const text = 'model M { let a = 1 }';
    const program = parse(text).program;
    const sp = (start: number, end: number) => ({ start, end });
    const future = { kind: 'hyper', name: 'rate', nameSpan: sp(0, 4), span: sp(0, 8) };
    const model = program.models[0];
    const use = {
      kind: 'let',
      name: 'b',
      nameSpan: sp(9, 10),
      span: sp(9, 20),
      value: { kind: 'name', name: 'rate', span: sp(14, 18) },
    };
    const spliced = {
      ...program,
      models: [{ ...model, stmts: [future, ...model.stmts, use] }],
    } as unknown as Program;
    const names = resolveNames(spliced);
    expect(names.declarations.map((d) => `${d.kind} ${d.name}`)).toEqual([
      'model M',
      'hyper rate',
      'let a',
      'let b',
    ]);
    const ref = names.references.find((r) => r.name === 'rate');
    expect(ref).toMatchObject({ kind: 'declared', target: { kind: 'hyper', name: 'rate' } });
    // ...and such a `hyper` renames like a let: its declaration and its use.
    const analysis = { text, program: spliced, diagnostics: [], names, types: new Map() };
    expect(renameEdits(analysis, 2, 'lr')).toEqual({ edits: [sp(0, 4), sp(14, 18)] });
  });

  it('never throws, whatever the text: every prefix of every model, and random edits', () => {
    const probe = (text: string) => {
      const a = analyse(text);
      for (let i = 0; i <= text.length; i += Math.max(1, Math.floor(text.length / 15))) {
        hoverAt(a, i);
        definitionAt(a, i);
        completionsAt(a, i);
        renameTarget(a, i);
      }
      documentOutline(a);
    };
    for (const f of models) {
      const text = readFileSync(MODELS + f, 'utf8');
      for (let n = 0; n <= text.length; n += 37) probe(text.slice(0, n));
    }
    fc.assert(
      fc.property(
        fc.nat(twoLayer.length),
        fc.nat(40),
        fc.string({ maxLength: 12 }),
        (start, length, insert) => {
          probe(twoLayer.slice(0, start) + insert + twoLayer.slice(start + length));
        },
      ),
      { numRuns: 60 },
    );
  });
});
