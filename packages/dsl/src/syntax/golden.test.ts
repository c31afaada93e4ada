/**
 * Golden tests for syntax mistakes: each `__golden__/<case>.model` is a file with a mistake, and
 * `<case>.txt` is its rendered diagnostics, written by hand from the rendering rules (file, line,
 * column, caret run under the span, label, notes, hint, summary). A mismatch means either the
 * parser's behaviour or the rendering changed; decide which is right before editing a `.txt`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderDiagnostics } from '../diagnostics/render.js';
import { SYNTAX_CODES } from './errors.js';
import { parse } from './parse.js';

const dir = new URL('./__golden__/', import.meta.url);
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.model'))
  .map((f) => f.slice(0, -'.model'.length))
  .sort();

describe('golden syntax errors', () => {
  it('has at least 12 distinct cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
  });

  it.each(cases)('%s', (name) => {
    const text = readFileSync(new URL(`${name}.model`, dir), 'utf8');
    const expected = readFileSync(new URL(`${name}.txt`, dir), 'utf8');
    const { diagnostics } = parse(text);
    expect(diagnostics.length).toBeGreaterThan(0);
    for (const d of diagnostics) expect(Object.keys(SYNTAX_CODES)).toContain(d.code);
    expect(`${renderDiagnostics(diagnostics, { name: `${name}.model`, text })}\n`).toBe(expected);
  });
});
