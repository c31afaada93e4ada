import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const pkg = (p: string) => fileURLToPath(new URL(`../../packages/${p}`, import.meta.url));

/**
 * The playground imports the packages' browser entry points from their sources (no build of the
 * packages first); `#wasm-pool` and `#matmul-threads` resolve to their browser variants through
 * the `browser` condition of @gradus/backends' `imports`. The headers make the page
 * cross-origin isolated, which the wasm backend's shared memory needs; without them (a host that
 * cannot set headers) the worker trains on the js backend and says so.
 */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  base: './',
  resolve: {
    alias: [
      { find: /^@gradus\/autodiff$/, replacement: pkg('autodiff/src/index.ts') },
      { find: /^@gradus\/backends$/, replacement: pkg('backends/src/browser.ts') },
      { find: /^@gradus\/optim$/, replacement: pkg('optim/src/browser.ts') },
      { find: /^@gradus\/dsl$/, replacement: pkg('dsl/src/browser.ts') },
    ],
  },
  worker: { format: 'es' },
  server: { headers: isolation, fs: { allow: ['../..'] } },
  preview: { headers: isolation },
  build: { outDir: 'dist', target: 'es2022', chunkSizeWarningLimit: 2000 },
});
