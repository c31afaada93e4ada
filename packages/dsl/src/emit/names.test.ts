import { graph, init } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import { commentText, isIdentifier, member, Namer, objectKey, propName, str } from './names.js';
import { loadModule } from './test-helpers.js';
import { emitTypeScript } from './ts.js';

describe('names in generated code', () => {
  it.each([
    ['W1', true],
    ['_x', true],
    ['1W', false],
    ['a.b', false],
    ['a b', false],
    ['', false],
    ['ü', false],
    ['a$b', false],
  ])('isIdentifier(%j) is %s', (name, ok) => {
    expect(isIdentifier(name)).toBe(ok);
  });

  it('quotes what is not an identifier, JSON-escaped', () => {
    expect(propName('W1')).toBe('W1');
    expect(propName('a.b')).toBe('"a.b"');
    expect(str('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
    expect(member('params', 'W1')).toBe('params.W1');
    expect(member('state', 'bn.mean')).toBe('state["bn.mean"]');
    // A quoted "__proto__" key would still set the prototype; a computed one defines a property.
    expect(objectKey('__proto__')).toBe('["__proto__"]');
  });

  it('keeps comments on one line and closed', () => {
    expect(commentText('a\nb */ c\r\nd')).toBe('a b * / c d');
  });

  it('mangles dims to distinct identifiers under a prefix', () => {
    const namer = new Namer('dim_');
    const ids = ['N', 'N M', 'N_M', 'N*/', 'class', 'N M'].map((n) => namer.get(n));
    expect(ids[0]).toBe('dim_N');
    expect(ids[4]).toBe('dim_class');
    expect(ids[5]).toBe(ids[1]);
    expect(new Set(ids).size).toBe(5);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z_$][A-Za-z0-9_$]*$/);
  });

  it('emits a working module for a param named __proto__', () => {
    const g = graph();
    const p = g.param('__proto__', [2], init.literal([3, -1]));
    g.output('loss', p.mul(p).sum(), 'loss');
    const mod = loadModule(emitTypeScript(g, { name: 'Proto' }));
    const params = Object.defineProperty({}, '__proto__', {
      value: Float64Array.of(3, -1),
      enumerable: true,
    });
    const result = mod.lossAndGrad?.(params, {});
    expect(result?.loss).toBe(10);
    expect(Object.hasOwn(result?.grads ?? {}, '__proto__')).toBe(true);
    expect(Array.from(Object.getOwnPropertyDescriptor(result?.grads, '__proto__')?.value)).toEqual([6, -2]);
  });
});
