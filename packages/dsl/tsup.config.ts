import { defineConfig } from 'tsup';

export default defineConfig({
  // `lsp` is its own entry: only Node loads the language server's stdio transport. `browser` is the
  // entry point of the `browser` export condition (no Node modules).
  entry: { index: 'src/index.ts', lsp: 'src/lsp/index.ts', browser: 'src/browser.ts' },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
});
