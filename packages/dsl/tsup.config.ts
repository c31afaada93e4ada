import { defineConfig } from 'tsup';

export default defineConfig({
  // `lsp` is its own entry: only Node loads the language server's stdio transport.
  entry: { index: 'src/index.ts', lsp: 'src/lsp/index.ts' },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
});
