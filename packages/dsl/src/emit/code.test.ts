import { describe, expect, it } from 'vitest';
import { flatIndex, loops, num, product, strides, times } from './code.js';

describe('index arithmetic for generated kernels', () => {
  it('folds numeric dims and keeps symbolic ones', () => {
    expect(product([])).toBe('1');
    expect(product(['2', '3'])).toBe('6');
    expect(product(['dim_N', '2', '3'])).toBe('dim_N * 6');
    expect(product(['dim_N', '0'])).toBe('0');
    expect(strides(['dim_N', '4', '5'])).toEqual(['20', '5', '1']);
    expect(strides(['2', 'dim_N'])).toEqual(['dim_N', '1']);
  });

  it('builds flat indices, parenthesising offset coordinates', () => {
    expect(
      flatIndex([
        ['i0', '20'],
        ['i1', '5'],
        ['i2', '1'],
      ]),
    ).toBe('i0 * 20 + i1 * 5 + i2');
    expect(
      flatIndex([
        ['0', '20'],
        ['i1', '0'],
      ]),
    ).toBe('0');
    expect(flatIndex([['i0 + 1', '3']])).toBe('(i0 + 1) * 3');
    expect(times('1', 'dim_N')).toBe('dim_N');
  });

  it('writes number literals that read back exactly', () => {
    for (const v of [0, -0, 1e-7, 0.1, -2.5e300, Number.MIN_VALUE, NaN, Infinity, -Infinity]) {
      expect(Object.is(new Function(`return ${num(v)};`)(), v)).toBe(true);
    }
  });

  it('drops loops of bound 1 and scopes their locals in a block', () => {
    expect(loops([['i', '1']], () => ['const k = 1;'])).toEqual([{ head: '', body: ['const k = 1;'] }]);
    expect(
      loops(
        [
          ['i', '1'],
          ['j', '3'],
        ],
        ([i, j]) => [`x[${i}] = ${j};`],
      ),
    ).toEqual([{ head: 'for (let j = 0; j < 3; j++)', body: ['x[0] = j;'] }]);
  });
});
