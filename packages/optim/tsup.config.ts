import { defineConfig } from 'tsup';

export default defineConfig({
  // `browser` is the entry point of the `browser` export condition (no Node modules).
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts', browser: 'src/browser.ts' },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
});
