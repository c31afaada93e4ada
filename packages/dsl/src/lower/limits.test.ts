/**
 * Inputs that are legal but large or deep lower without exhausting the stack, and inputs built
 * to make lowering explode (exponential inlining, thousands of errors) end in a located
 * diagnostic and bounded work.
 */
import { interpret } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import { MAX_SHOWN_DIAGNOSTICS, renderDiagnostics } from '../diagnostics/index.js';
import { checkSource } from '../model-file.js';
import { MAX_OPERATOR_CHAIN } from '../syntax/lexical.js';
import { MAX_INLINED_EXPRESSIONS, MAX_PARAM_NUMBERS } from './lower.js';

const check = (text: string) => checkSource({ name: 'm.model', text });
const lossOf = (text: string): number => {
  const { lowered, diagnostics } = check(text);
  expect(diagnostics).toEqual([]);
  const g = lowered!.graph;
  return interpret([g.loss()!], { initSeed: 0 })[0].data[0];
};
const codes = (text: string) => check(text).diagnostics.map((d) => d.code);

describe('deep and long inputs', () => {
  it('a flat sum of 7,000 terms, each a param', () => {
    const n = 7000;
    const params = Array.from({ length: n }, (_, i) => `  param p${i}: float init ${i % 5}\n`).join('');
    const sum = Array.from({ length: n }, (_, i) => `p${i}`).join(' + ');
    expect(lossOf(`model M {\n${params}  loss = ${sum}\n}\n`)).toBe((n / 5) * (0 + 1 + 2 + 3 + 4));
  });

  it('a product and a difference of thousands of factors', () => {
    const prod = Array.from({ length: 3000 }, () => 'w').join(' * ');
    const diff = Array.from({ length: 3000 }, () => 'sum(w)').join(' - ');
    expect(lossOf(`model M {\n  param w: float init 1\n  loss = ${prod} + ${diff}\n}\n`)).toBe(1 - 2998);
  });

  it('2,000 chained indices, and 20,000 lets', () => {
    expect(lossOf(`model M {\n  param w: [2] init [3, 4]\n  loss = sum(w${'[:]'.repeat(2000)})\n}\n`)).toBe(
      7,
    );
    const lets = Array.from({ length: 20_000 }, (_, i) => `  let l${i + 1} = l${i} + 1\n`).join('');
    expect(lossOf(`model M {\n  param w: float init 0\n  let l0 = w\n${lets}  loss = l20000\n}\n`)).toBe(
      20_000,
    );
  });

  it('constant arithmetic of 50,000 terms in a train setting', () => {
    const steps = Array.from({ length: 50_000 }, () => '1').join(' + ');
    const { lowered, diagnostics } = check(
      `model M {\n  param w: float\n  loss = w^2\n  train { steps = ${steps} }\n}\n`,
    );
    expect(diagnostics).toEqual([]);
    expect(lowered!.model.train.steps).toBe(50_000);
  });

  it(`chains of signs and powers up to ${MAX_OPERATOR_CHAIN} deep; deeper is E0014 at the link too many`, () => {
    const n = MAX_OPERATOR_CHAIN;
    expect(lossOf(`model M {\n  param w: float init 3\n  loss = ${'- '.repeat(n)}w\n}\n`)).toBe(3);
    expect(lossOf(`model M {\n  param w: float init 3\n  loss = w${'^1'.repeat(n)}\n}\n`)).toBe(3);
    const deep = `model M {\n  param w: float\n  loss = ${'- '.repeat(n + 1)}w\n}\n`;
    const [d] = check(deep).diagnostics;
    expect(d.code).toBe('E0014');
    expect(d.span!.start).toBe(deep.indexOf('loss = ') + 'loss = '.length + 2 * n);
    // Brackets count towards the same depth.
    expect(
      codes(`model M {\n  param w: float\n  loss = ${'-(- '.repeat(130)}w${')'.repeat(130)}\n}\n`),
    ).toEqual(['E0014']);
  });
});

describe('bounded work', () => {
  it('exponential inlining stops at a located E0124', () => {
    const fns = Array.from({ length: 30 }, (_, i) => `fn f${i + 1}(x) = f${i}(f${i}(x))`).join('\n');
    const text = `fn f0(x) = x + 1\n${fns}\nmodel M {\n  param w: [2]\n  loss = sum(f30(w))\n}\n`;
    const [d, ...rest] = check(text).diagnostics;
    expect(rest).toEqual([]);
    expect(d.code).toBe('E0124');
    expect(text.slice(d.span!.start, d.span!.end)).toBe('f30(w)');
    expect(d.message).toContain(MAX_INLINED_EXPRESSIONS.toLocaleString('en-US'));
  });

  it('a function that doubles a few times is fine', () => {
    const fns = Array.from({ length: 10 }, (_, i) => `fn f${i + 1}(x) = f${i}(f${i}(x))`).join('\n');
    expect(lossOf(`fn f0(x) = x + 1\n${fns}\nmodel M {\n  param w: float\n  loss = f10(w)\n}\n`)).toBe(1024);
  });

  it('20,000 errors: all counted, the first ones hinted and rendered, the rest summarised', () => {
    const lets = Array.from({ length: 20_000 }, (_, i) => `  let a${i} = ww + ${i}\n`).join('');
    const text = `model M {\n  param w: [2]\n${lets}  loss = sum(w)\n}\n`;
    const { diagnostics } = check(text);
    expect(diagnostics).toHaveLength(20_000);
    expect(diagnostics.every((d) => d.code === 'E0101')).toBe(true);
    expect(diagnostics[0].hint).toBe('did you mean w?');
    expect(diagnostics.at(-1)!.hint).toBeUndefined();
    const rendered = renderDiagnostics(diagnostics, { name: 'm.model', text });
    expect(rendered.match(/error\[E0101\]/g)).toHaveLength(MAX_SHOWN_DIAGNOSTICS);
    expect(rendered).toContain(
      `… and ${(20_000 - MAX_SHOWN_DIAGNOSTICS).toLocaleString('en-US')} more not shown`,
    );
    expect(rendered.endsWith('20,000 errors')).toBe(true);
  });
});

describe('self-reference and constant comparisons', () => {
  it('a let, output or metric that uses its own name is E0107, and later statements are checked', () => {
    const text = `model M {
  param w: [2]
  let h = h + w
  output o = o * 2
  metric m = mean(m)
  loss = sum(w) + nope
}
`;
    expect(codes(text)).toEqual(['E0107', 'E0107', 'E0107', 'E0101']);
  });

  it('a comparison of two constants folds to a constant bool', () => {
    const text = (cmp: string) =>
      `model M {\n  dim D = 3\n  param w: [2] init [1, 2]\n  loss = sum(w^2) * (${cmp})\n}\n`;
    for (const [cmp, want] of [
      ['1 > 0', 5],
      ['D > 1', 5],
      ['D < 1', 0],
      ['2 == 2', 5],
      ['2 != 2', 0],
      ['D >= 3', 5],
      ['D <= 2', 0],
    ] as const) {
      expect(lossOf(text(cmp)), cmp).toBe(want);
    }
    expect(lossOf('model M {\n  param w: [2] init [1, 2]\n  loss = sum(where(1 < 2, w, -w))\n}\n')).toBe(3);
  });

  it('@ of two numbers is a located rank error', () => {
    expect(codes('model M {\n  param w: float\n  loss = w + 2 @ 3\n}\n')).toEqual(['E0301']);
  });
});

describe('sizes', () => {
  /** The first diagnostic's `file:line:col: error[code]` head. */
  const head = (text: string) =>
    renderDiagnostics(check(text).diagnostics, { name: 'm.model', text })
      .split('\n')[0]
      .split(': ')
      .slice(0, 2)
      .join(': ');
  const message = (text: string) => check(text).diagnostics.map((d) => d.message);

  it('a dim past the 32-bit range is E0160 at its value, however it is written', () => {
    const cases = [
      ['dim D = 1e12', 'param w: [D]', 'sum(w^2)', 'm.model:2:11'],
      ['dim D = 2147483648', 'param w: [D]', 'sum(w^2)', 'm.model:2:11'],
      ['dim D = 100000', 'param w: [D * D * D]', 'sum(w^2)', 'm.model:3:13'],
      ['dim N', 'input x: float[N, 3000000000]', 'N', 'm.model:3:21'],
    ] as const;
    for (const [decl, use, loss, at] of cases) {
      const text = `model M {\n  ${decl}\n  ${use}\n  loss = ${loss}\n}\n`;
      expect(head(text), text).toBe(`${at}: error[E0160]`);
      expect(message(text)[0]).toContain('more than the largest size, 2,147,483,647');
    }
  });

  it('the largest dim is accepted', () => {
    expect(codes('model M {\n  dim D = 2147483647\n  param w: float\n  loss = w^2 + D\n}\n')).toEqual([]);
  });

  it("the params' total is capped, at the param that passes it", () => {
    const text =
      'model M {\n  dim D = 100000, H = 100000\n  param b: [D]\n  param w: [D, H]\n  loss = sum(w^2) + sum(b)\n}\n';
    expect(head(text)).toBe('m.model:4:12: error[E0113]');
    expect(message(text)).toEqual([
      `param 'w' has shape [D, H] = [100000, 100000]: the model's params would hold 10,000,100,000 numbers, more than ${MAX_PARAM_NUMBERS.toLocaleString('en-US')}`,
    ]);
    // Exactly at the cap is fine.
    expect(codes(`model M {\n  param w: [${MAX_PARAM_NUMBERS}] init zeros\n  loss = w[0]\n}\n`)).toEqual([]);
  });
});
