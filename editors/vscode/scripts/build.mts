/**
 * Builds the extension: the TextMate grammar, generated from the compiler's lexer and built-in
 * tables (so it is never out of date), and the client bundled into one file (VS Code provides
 * `vscode`; nothing else is loaded from node_modules at run time).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { textMateGrammar } from '@gradus/dsl';
import { build } from 'esbuild';

const here = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

mkdirSync(here('syntaxes'), { recursive: true });
writeFileSync(here('syntaxes/gradus.tmLanguage.json'), `${JSON.stringify(textMateGrammar(), null, 2)}\n`);

await build({
  entryPoints: [here('src/extension.ts')],
  outfile: here('dist/extension.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  minify: true,
  logLevel: 'warning',
});
process.stdout.write('built dist/extension.js and syntaxes/gradus.tmLanguage.json\n');
