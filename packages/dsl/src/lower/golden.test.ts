import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderDiagnostics } from '../diagnostics/index.js';
import { checkSource } from '../model-file.js';

/**
 * Golden tests for the diagnostics a user sees for model-level mistakes (names, arity, shapes,
 * losses, literals, labels, training settings). Each `__golden__/NAME.model` is checked and its
 * rendered diagnostics must equal `NAME.txt` byte for byte. After an intended change, rerun with
 * GRADUS_UPDATE_GOLDEN=1 and review the diff of every .txt like code.
 */
const dir = new URL('./__golden__/', import.meta.url);
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.model'))
  .map((f) => f.slice(0, -'.model'.length));

describe('lowering diagnostics (golden)', () => {
  it('has at least 25 distinct cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  for (const name of cases) {
    it(name, () => {
      const text = readFileSync(new URL(`${name}.model`, dir), 'utf8');
      const checked = checkSource({ name: `${name}.model`, text });
      expect(checked.lowered).toBeUndefined();
      expect(checked.diagnostics.length).toBeGreaterThan(0);
      for (const d of checked.diagnostics) {
        expect(d.span).toBeDefined();
        expect(d.span!.start).toBeGreaterThanOrEqual(0);
        expect(d.span!.end).toBeLessThanOrEqual(text.length);
      }
      const rendered = `${renderDiagnostics(checked.diagnostics, { name: `${name}.model`, text })}\n`;
      const golden = new URL(`${name}.txt`, dir);
      if (process.env.GRADUS_UPDATE_GOLDEN) writeFileSync(golden, rendered);
      expect(rendered).toBe(readFileSync(golden, 'utf8'));
    });
  }
});
