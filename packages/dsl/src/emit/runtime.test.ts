import { normalAt, uniformAt } from '@gradus/autodiff';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { helperSources } from './runtime.js';

type Draw = (seed: number, stream: number, counter: number, index: number) => number;

/** The emitted helpers, compiled and evaluated on their own. */
function load(): { uniformAt: Draw; normalAt: Draw } {
  const source = `${helperSources(['uniformAt', 'normalAt']).join('\n')}\nreturn { uniformAt, normalAt };`;
  const js = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText;
  return new Function(js)();
}

describe('runtime helpers', () => {
  it('the emitted generator is bit-identical to @gradus/autodiff/random', () => {
    const emitted = load();
    const cases = [
      [0, 0, 0, 0],
      [1, 0, 3, 7],
      [7, 2, 1000, 12345],
      [0xffffffff, 0x80000000, 2 ** 31 - 1, 2 ** 32 - 1],
      [-5, -1, -3, 99],
    ];
    for (let i = 0; i < 200; i++) cases.push([i * 2654435761, i % 7, i * 31, i * 977]);
    for (const [seed, stream, counter, index] of cases) {
      expect(emitted.uniformAt(seed, stream, counter, index)).toBe(uniformAt(seed, stream, counter, index));
      expect(emitted.normalAt(seed, stream, counter, index)).toBe(normalAt(seed, stream, counter, index));
    }
  });

  it('includes each helper once, callees first', () => {
    const sources = helperSources(['normalAt', 'uniformAt', 'randomBits']);
    const names = sources.map((s) => /function (\w+)/.exec(s)?.[1]);
    expect(names).toEqual(['mix32', 'randomBits', 'normalAt', 'uniformAt']);
  });
});
