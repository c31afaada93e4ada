import { defineConfig } from 'tsup';

/**
 * The browser entry point, built for the browser platform after the Node build (`tsup && tsup
 * --config tsup.browser.config.ts`, so that the first build's clean does not remove it): the
 * `browser` conditions of `#wasm-pool` and `#matmul-threads` put in their thread-free variants.
 */
export default defineConfig({
  entry: { browser: 'src/browser.ts' },
  format: ['esm'],
  platform: 'browser',
  dts: true,
  clean: false,
  splitting: false,
  sourcemap: true,
});
