/**
 * A metric named like a field of the training log (`step`, `lr`, …) would overwrite that field
 * or vanish from the log, so the name is refused at the metric statement; other names, and the
 * same names for lets and outputs, are fine.
 */
import { RESERVED_METRIC_NAMES } from '@gradus/optim';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../model-file.js';

const model = (stmt: string) =>
  `model M {\n  param w: [2]\n  ${stmt}\n  loss = sum(w^2)\n  train { steps = 3 }\n}\n`;

describe('reserved metric names', () => {
  it.each([...RESERVED_METRIC_NAMES].filter((n) => n !== 'loss'))(
    'metric %s is E0125 at its name',
    (name) => {
      const text = model(`metric ${name} = sum(w)`);
      const { diagnostics } = checkSource({ name: 'm.model', text });
      expect(diagnostics.map((d) => d.code)).toEqual(['E0125']);
      expect(text.slice(diagnostics[0].span!.start, diagnostics[0].span!.end)).toBe(name);
      expect(diagnostics[0].message).toContain(`cannot be named '${name}'`);
    },
  );

  it('the log fields cover what a log line writes', () => {
    for (const field of ['step', 'epoch', 'eval', 'lr', 'grad_norm', 'plateau_scale', 'end_of_run'])
      expect(RESERVED_METRIC_NAMES.has(field)).toBe(true);
  });

  it('other names, and these names for a let or an output, are accepted', () => {
    for (const stmt of ['metric steps = sum(w)', 'metric lr2 = sum(w)', 'let step = w', 'output lr = w'])
      expect(checkSource({ name: 'm.model', text: model(stmt) }).diagnostics).toEqual([]);
  });
});
