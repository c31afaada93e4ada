import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(`./packages/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the sources, so no build is needed first; order matters (longest first).
    alias: [
      { find: '@gradus/autodiff/testing', replacement: src('autodiff/src/testing/index.ts') },
      { find: '@gradus/autodiff', replacement: src('autodiff/src/index.ts') },
      { find: '@gradus/backends', replacement: src('backends/src/index.ts') },
      { find: '@gradus/optim/testing', replacement: src('optim/src/testing/index.ts') },
      { find: '@gradus/optim', replacement: src('optim/src/index.ts') },
      { find: '@gradus/dsl/lsp', replacement: src('dsl/src/lsp/index.ts') },
      { find: '@gradus/dsl', replacement: src('dsl/src/index.ts') },
      { find: /^gradus\/testing$/, replacement: src('gradus/src/testing.ts') },
      { find: /^gradus$/, replacement: src('gradus/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    // Every `gradus train` writes a run directory (runs/<model>/<n>); tests' runs go to a
    // temporary folder instead of the repository's runs/.
    env: { GRADUS_RUNS: process.env.GRADUS_RUNS ?? mkdtempSync(join(tmpdir(), 'gradus-test-runs-')) },
  },
});
