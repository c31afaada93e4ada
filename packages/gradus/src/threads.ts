/**
 * How to start one of Gradus's worker threads (`trial-worker`: a search's trials; `train-worker`:
 * `gradus train` itself, so that its main thread can handle Ctrl-C). Built, a worker is its own
 * file beside the bundle (`dist/<name>.js`). Run from the sources (tests, `pnpm gradus`), it is
 * TypeScript: the thread starts from a few lines that register tsx's loader (with the
 * repository's tsconfig, for the workspace's path aliases, whatever the working directory is)
 * and then import it.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export function workerSpec(name: 'trial-worker' | 'train-worker'): { script: string | URL; eval: boolean } {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { script: new URL(`./${name}.js`, here), eval: false };
  const worker = new URL(`./${name}.ts`, here).href;
  const repo = join(dirname(fileURLToPath(here)), '..', '..', '..');
  const api = pathToFileURL(
    createRequire(here)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const script = `(async () => {
    const { register } = await import(${JSON.stringify(api)});
    register({ tsconfig: ${JSON.stringify(join(repo, 'tsconfig.json'))} });
    await import(${JSON.stringify(worker)});
  })();`;
  return { script, eval: true };
}
