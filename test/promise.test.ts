import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { describePromises } from './promises.js';

/**
 * The promise suite on the models beside the repository (`../shared/models`, or the folder named
 * by GRADUS_PROMISE_MODELS), unchanged. A clone with nothing beside it has no such folder: the
 * suite is then skipped with a note, unless GRADUS_REQUIRE_PROMISE=1 (set by CI whenever the
 * folder exists) makes the absence a failure.
 */
const dir = resolve(
  process.env.GRADUS_PROMISE_MODELS ?? fileURLToPath(new URL('../../shared/models/', import.meta.url)),
);

if (existsSync(dir)) describePromises(dir, `the promise models (${dir})`);
else if (process.env.GRADUS_REQUIRE_PROMISE === '1')
  describe('the promise models', () => {
    it('are there', () => {
      throw new Error(`GRADUS_REQUIRE_PROMISE=1 but ${dir} does not exist`);
    });
  });
else {
  console.warn(
    `note: no promise models at ${dir}; the promise suite is skipped (the repository's own copies in models/ are tested)`,
  );
  describe.skip('the promise models (folder absent)', () => {
    it('check, gradient-check and train as their comments say', () => {});
  });
}
