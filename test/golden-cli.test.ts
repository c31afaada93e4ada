import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

/**
 * Golden diagnostics of the command line: errors that only show when a command runs (a batch a
 * reshape cannot divide) or that concern its flags. Each `__golden__/NAME.model` has a
 * `NAME.args` (one argument per line; `MODEL` is the model's path) and the expected standard
 * error in `NAME.txt`. After an intended change, rerun with GRADUS_UPDATE_GOLDEN=1 and review
 * the diff of every .txt like code.
 */
const dir = 'test/__golden__/';
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.model'))
  .map((f) => f.slice(0, -'.model'.length));

describe('command-line diagnostics (golden)', () => {
  for (const name of cases) {
    it(name, () => {
      const model = `${dir}${name}.model`;
      const args = readFileSync(`${dir}${name}.args`, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => (l === 'MODEL' ? model : l));
      const r = cli(...args);
      expect(r.code).toBe(1);
      const golden = `${dir}${name}.txt`;
      if (process.env.GRADUS_UPDATE_GOLDEN) writeFileSync(golden, r.err);
      expect(r.err).toBe(readFileSync(golden, 'utf8'));
    });
  }
});
