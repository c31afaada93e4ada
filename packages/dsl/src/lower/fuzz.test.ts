/**
 * Property test: lowering never throws for anything that parses. Random edits of the lecture
 * models (a line deleted or duplicated, a name, number or shape swapped for another) mostly
 * still parse, so they reach name resolution, shape checking and train-block validation; every
 * diagnostic must carry a span inside the file, and nothing may escape as an exception.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderDiagnostics } from '../diagnostics/index.js';
import { checkSource } from '../model-file.js';

const dir = new URL('../../../../models/', import.meta.url);
const models = readdirSync(dir)
  .filter((f) => f.endsWith('.model'))
  .map((f) => readFileSync(new URL(f, dir), 'utf8'));

const NAMES = [
  'x',
  'y',
  'W',
  'W1',
  'W2',
  'b1',
  'h',
  'N',
  'D',
  'H',
  'C',
  'logits',
  'relu',
  'mean',
  'sum',
  'adam',
  'sgd',
  'lr',
  'axis',
  'keep',
  'zeros',
  'spiral',
  'foo',
];
const NUMBERS = ['0', '1', '2', '3', '-1', '0.5', '1e-3', '100', '2.5', '7'];

type Edit =
  | { kind: 'delete' | 'duplicate'; line: number }
  | { kind: 'swap'; token: number; replacement: string };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constantFrom('delete' as const, 'duplicate' as const), line: fc.nat() }),
  fc.record({
    kind: fc.constant('swap' as const),
    token: fc.nat(),
    replacement: fc.constantFrom(...NAMES, ...NUMBERS),
  }),
);

function applyEdit(text: string, e: Edit): string {
  if (e.kind !== 'swap') {
    const lines = text.split('\n');
    const i = e.line % lines.length;
    if (e.kind === 'delete') lines.splice(i, 1);
    else lines.splice(i, 0, lines[i]);
    return lines.join('\n');
  }
  const tokens = [...text.matchAll(/[A-Za-z_][A-Za-z0-9_]*|\d+(\.\d+)?(e-?\d+)?/g)];
  if (tokens.length === 0) return text;
  const t = tokens[e.token % tokens.length];
  return text.slice(0, t.index) + e.replacement + text.slice((t.index ?? 0) + t[0].length);
}

describe('lowering under random edits of the lecture models', () => {
  it('never throws, and every span lies inside the file', () => {
    let lowered = 0;
    fc.assert(
      fc.property(
        fc.nat(models.length - 1),
        fc.array(editArb, { minLength: 1, maxLength: 3 }),
        (m, edits) => {
          const text = edits.reduce(applyEdit, models[m]);
          const checked = checkSource({ name: 'fuzz.model', text });
          if (checked.lowered) lowered++;
          for (const d of checked.diagnostics) {
            for (const s of [d.span, ...d.notes.map((n) => n.span)]) {
              if (!s) continue;
              expect(s.start).toBeGreaterThanOrEqual(0);
              expect(s.end).toBeGreaterThanOrEqual(s.start);
              expect(s.end).toBeLessThanOrEqual(text.length);
            }
            expect(d.code).not.toBe('E0099');
          }
          if (checked.diagnostics.length > 0)
            expect(renderDiagnostics(checked.diagnostics, checked.file)).toContain('fuzz.model');
        },
      ),
      { numRuns: 400 },
    );
    // The edits must mostly reach lowering, or this property would test little beyond the parser.
    expect(lowered).toBeGreaterThan(40);
  });
});
