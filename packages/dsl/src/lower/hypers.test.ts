import { run } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../model-file.js';
import { readHyperFlags } from './hyper-flags.js';
import type { LowerOptions } from './lower.js';

const MODEL = `model Reg {
  hyper lambda = 1e-3 in [0, 1]
  hyper keep = 0.9 in (0, 1]
  hyper H: int = 4 in [1, 64] log
  dim N, D = 2
  input x: float[N, D]
  param W: [D, H] init ones
  output kept = dropout(x @ W, keep = keep)
  loss = lambda * l2(W)
}
`;

function check(opts: LowerOptions = {}, text = MODEL) {
  return checkSource({ name: 'reg.model', text }, opts);
}

describe('hyper-parameters', () => {
  it('are declared with types, defaults, ranges and scales, and used like constants', () => {
    const l = check().lowered!;
    expect(l.model.hypers.map(({ span, nameSpan, ...h }) => h)).toEqual([
      {
        name: 'lambda',
        type: 'float',
        default: 1e-3,
        value: 1e-3,
        range: { lo: 0, hi: 1, loOpen: false, hiOpen: false, scale: 'linear' },
      },
      {
        name: 'keep',
        type: 'float',
        default: 0.9,
        value: 0.9,
        range: { lo: 0, hi: 1, loOpen: true, hiOpen: false, scale: 'linear' },
      },
      {
        name: 'H',
        type: 'int',
        default: 4,
        value: 4,
        range: { lo: 1, hi: 64, loOpen: false, hiOpen: false, scale: 'log' },
      },
    ]);
    expect(l.model.params[0].shape).toEqual([2, 4]);
    expect(l.model.params[0].shapeText).toBe('[D, H] = [2, 4]');
    // loss = lambda * Σ W² with W all ones: 1e-3 * 8.
    const feeds = {
      x: [[1, 2]],
      W: { shape: [2, 4], dtype: 'f64' as const, data: new Float64Array(8).fill(1) },
    };
    expect(run(l.graph, { feeds }).outputs.loss.data[0]).toBeCloseTo(8e-3, 15);
  });

  it('take overrides, a dim hyper changing the shapes it sizes', () => {
    const l = check({ hypers: { lambda: 0.5, H: 8 } }).lowered!;
    expect(l.model.hypers.map((h) => [h.name, h.default, h.value])).toEqual([
      ['lambda', 1e-3, 0.5],
      ['keep', 0.9, 0.9],
      ['H', 4, 8],
    ]);
    expect(l.model.params[0].shape).toEqual([2, 8]);
    const feeds = {
      x: [[1, 2]],
      W: { shape: [2, 8], dtype: 'f64' as const, data: new Float64Array(16).fill(1) },
    };
    expect(run(l.graph, { feeds }).outputs.loss.data[0]).toBe(8);
  });

  it('refuse overrides that name no hyper, or break its type or range', () => {
    const codes = (hypers: Record<string, number>) =>
      check({ hypers }).diagnostics.map((d) => `${d.code}: ${d.message}${d.hint ? ` (${d.hint})` : ''}`);
    expect(codes({ lamda: 1 })).toEqual([
      "E0173: the model has no hyper-parameter 'lamda' (in the values given for this lowering) (did you mean lambda?)",
    ]);
    expect(codes({ H: 2.5 })).toEqual(["E0174: the value given for hyper-parameter 'H' is an int, got 2.5"]);
    expect(codes({ keep: 0 })).toEqual([
      "E0174: the value given for hyper-parameter 'keep' must be in (0, 1], got 0",
    ]);
    expect(codes({ H: 128 })).toEqual([
      "E0174: the value given for hyper-parameter 'H' must be in [1, 64] log, got 128",
    ]);
  });

  it('read --hyper flags, locating what is wrong in the flag itself', () => {
    const hypers = check().lowered!.model.hypers;
    expect(readHyperFlags(['lambda=1e-2', ' H = 16'], hypers)).toEqual({ hypers: { lambda: 1e-2, H: 16 } });
    const bad = (text: string) => {
      const r = readHyperFlags([text], hypers);
      if ('hypers' in r) throw new Error('accepted');
      const d = r.diagnostics[0];
      return [d.code, d.message, text.slice(d.span!.start, d.span!.end), d.hint];
    };
    expect(bad('lamda=1')).toEqual([
      'E0173',
      "the model has no hyper-parameter 'lamda'",
      'lamda',
      'did you mean lambda?',
    ]);
    expect(bad('keep=1.5')).toEqual([
      'E0174',
      "hyper-parameter 'keep' must be in (0, 1], got 1.5",
      '1.5',
      undefined,
    ]);
    expect(bad('H=0.5')).toEqual(['E0174', "hyper-parameter 'H' is an int, got 0.5", '0.5', undefined]);
    expect(bad('lambda=big')).toEqual([
      'E0175',
      "--hyper lambda: expected a number, got 'big'",
      'big',
      undefined,
    ]);
    expect(bad('lambda')[0]).toBe('E0175');
    const twice = readHyperFlags(['H=2', 'H=3'], hypers);
    expect('hypers' in twice ? undefined : twice.diagnostics[0].message).toBe('--hyper H is given twice');
  });

  it('as dims must be ints, checked before any shape', () => {
    const text = MODEL.replace('hyper H: int = 4 in [1, 64] log', 'hyper H = 4');
    expect(check({}, text).diagnostics.map((d) => `${d.code}: ${d.message}`)).toEqual([
      "E0172: hyper-parameter 'H' is a float, so it cannot be a dimension",
    ]);
  });
});
