/**
 * Property tests: whatever the input, `parse` returns (never throws, never reports an internal
 * error), every span it produces lies inside the text, and every diagnostic renders.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Span } from '@gradus/autodiff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderDiagnostic, renderDiagnostics } from '../diagnostics/render.js';
import { parse } from './parse.js';

const modelsDir = new URL('../../../../models/', import.meta.url);
const models = readdirSync(modelsDir)
  .filter((f) => f.endsWith('.model'))
  .map((f) => readFileSync(new URL(f, modelsDir), 'utf8'));

/** The language's vocabulary, plus near-misses and junk. */
const VOCABULARY = [
  ...['model', 'fn', 'dim', 'input', 'param', 'init', 'let', 'output', 'metric', 'loss', 'train', 'return'],
  ...['x', 'W', 'N', 'D', 'relu', 'mean', 'float', 'int', 'bool', 'zeros', 'adam', 'lr', 'parm', 'loss_'],
  ...['0', '1', '2.5', '.5', '1e-3', '1e', '2x', '1.2.3', '"s"', '"a\\"b"', '"open', '"\\q"'],
  ...['==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '@', '^', '**', '='],
  ...['(', ')', '[', ']', '{', '}', ',', ':', ';', '\n', '#c\n', '//c\n'],
  ...['$', '%', '!', '\u2212', '\u00d7', '\u2264', "'", '.', '\t', '\u0000', '😀', 'é'],
];

/** Problems found in one parse, described; collected rather than asserted one by one (speed). */
function spanProblems(span: Span | undefined, text: string, where: string, out: string[]): void {
  if (span === undefined) return;
  const ok =
    Number.isInteger(span.start) &&
    Number.isInteger(span.end) &&
    0 <= span.start &&
    span.start <= span.end &&
    span.end <= text.length;
  if (!ok) out.push(`${where}: bad span ${JSON.stringify(span)} for text of length ${text.length}`);
}

function treeProblems(value: unknown, text: string, out: string[]): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) treeProblems(item, text, out);
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    if (key === 'span' || key.endsWith('Span')) spanProblems(child as Span, text, `AST ${key}`, out);
    else treeProblems(child, text, out);
  }
}

function checkParse(text: string): void {
  const { program, diagnostics } = parse(text);
  const problems: string[] = [];
  treeProblems(program, text, problems);
  for (const d of diagnostics) {
    spanProblems(d.span, text, d.code, problems);
    for (const note of d.notes) spanProblems(note.span, text, `${d.code} note`, problems);
    if (d.code === 'E0099') problems.push(`internal error: ${d.message}`);
    if (!renderDiagnostic(d, { name: 'fuzz.model', text }).startsWith('fuzz.model'))
      problems.push('bad render');
  }
  renderDiagnostics(diagnostics, { name: 'fuzz.model', text }, { color: true });
  expect(problems).toEqual([]);
}

const tokenStream = fc
  .array(fc.tuple(fc.constantFrom(...VOCABULARY), fc.constantFrom(' ', '', '\n', '  ')), { maxLength: 60 })
  .map((parts) => parts.map(([token, gap]) => token + gap).join(''));

const filler = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom(...VOCABULARY),
  fc.string({ unit: 'grapheme', maxLength: 4 }),
);

type Edit = { kind: 'delete' | 'insert' | 'replace'; at: number; length: number; text: string };

const edit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('delete', 'insert', 'replace'),
  at: fc.nat(),
  length: fc.nat({ max: 24 }),
  text: filler,
});

function applyEdit(source: string, e: Edit): string {
  const at = e.at % (source.length + 1);
  const end = Math.min(source.length, at + e.length);
  if (e.kind === 'insert') return source.slice(0, at) + e.text + source.slice(at);
  if (e.kind === 'delete') return source.slice(0, at) + source.slice(end);
  return source.slice(0, at) + e.text + source.slice(end);
}

const editedModel = fc
  .tuple(fc.constantFrom(...models), fc.array(edit, { minLength: 1, maxLength: 4 }))
  .map(([source, edits]) => edits.reduce(applyEdit, source));

describe('parse on arbitrary input', () => {
  it('survives random token streams', () => {
    fc.assert(fc.property(tokenStream, checkParse), { numRuns: 300 });
  });

  it('survives random edits of the lecture models', () => {
    fc.assert(fc.property(editedModel, checkParse), { numRuns: 300 });
  });

  it('survives arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), checkParse), { numRuns: 100 });
  });
});
