import { defineConfig } from 'tsup';

export default defineConfig({
  // `dev.ts` is the repository's `pnpm gradus` launcher and is not shipped.
  entry: ['src/index.ts', 'src/testing.ts', 'src/bin.ts', 'src/trial-worker.ts', 'src/train-worker.ts'],
  format: ['esm'],
  dts: { entry: ['src/index.ts', 'src/testing.ts'] },
  clean: true,
  sourcemap: true,
});
