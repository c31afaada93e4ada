/**
 * `cst.ts` is generated from the grammar; this test fails when the two drift apart. To
 * regenerate: `UPDATE_CST=1 npx vitest run packages/dsl/src/syntax/cst.test.ts`, then
 * `npx biome format --write packages/dsl/src/syntax/cst.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { generateCstDts } from 'chevrotain';
import { expect, it } from 'vitest';
import { parser } from './parser.js';

const file = new URL('./cst.ts', import.meta.url);

/** Formatting-insensitive form: no comments, imports, quotes, parentheses, separators or spaces. */
function normalise(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^import .*$/gm, '')
    .replace(/["'();,\s]/g, '');
}

it('cst.ts matches the grammar', () => {
  const generated = generateCstDts(parser.getGAstProductions(), { includeVisitorInterface: false });
  const current = readFileSync(file, 'utf8');
  if (process.env.UPDATE_CST) {
    const header = current.slice(0, current.indexOf('import '));
    const body = generated.replace(
      'import type { CstNode, ICstVisitor, IToken } from "chevrotain";',
      "import type { CstNode, IToken } from 'chevrotain';",
    );
    writeFileSync(file, header + body);
    return;
  }
  expect(normalise(current)).toBe(normalise(generated));
});
