/**
 * Devices, FIFOs and symlinks to them given as a model, a data file or a params file are refused
 * at once with a clear error (not read forever, not waited on), and a file larger than its limit
 * is refused after reading at most the limit + 1 bytes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRegularFile, UnreadableFile } from '@gradus/optim';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

let tmp: string;
let fifo: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'gradus-special-'));
  fifo = join(tmp, 'pipe.model');
  execFileSync('mkfifo', [fifo]);
  symlinkSync('/dev/zero', join(tmp, 'zero.model'));
  symlinkSync('/dev/zero', join(tmp, 'zero.json'));
  symlinkSync(fifo, join(tmp, 'pipe.json'));
});

const MODEL =
  'model M {\n  dim N\n  input x: float[N, 2]\n  param w: [2]\n  loss = sum(x @ w)\n' +
  '  train {\n    optimizer = sgd(lr = 0.1)\n    steps = 1\n  }\n}\n';

describe('files that are not regular files', () => {
  it.each(['/dev/zero', 'zero.model', 'pipe.model'])('%s as a model is refused by check', (name) => {
    const path = name.startsWith('/') ? name : join(tmp, name);
    const r = cli('check', path);
    expect(r.code).toBe(1);
    expect(r.err).toContain('is not a regular file (a device, pipe or socket), not a .model file');
  });

  it.each(['zero.json', 'pipe.json'])('%s as data or params is refused', (name) => {
    const model = join(tmp, 'm.model');
    writeFileSync(model, MODEL);
    const train = cli('train', model, '--data', join(tmp, name));
    expect(train.code).toBe(1);
    expect(train.err).toMatch(/error\[E0602\]: .* is not a regular file/);
    const grad = cli('grad', model, '--params', join(tmp, name));
    expect(grad.code).toBe(1);
    expect(grad.err).toContain('not a params file');
  });

  it('a directory and a missing file say so', () => {
    expect(cli('check', tmp).err).toContain('is a directory, not a .model file');
    expect(cli('check', join(tmp, 'nope.model')).err).toContain('no such file');
  });

  it('reads at most limit + 1 bytes, and refuses a file over the limit', () => {
    const path = join(tmp, 'big.txt');
    writeFileSync(path, 'x'.repeat(101));
    expect(() => readRegularFile(path, 100, 'a test file')).toThrow(UnreadableFile);
    expect(() => readRegularFile(path, 100, 'a test file')).toThrow(/larger than 100 bytes/);
    expect(readRegularFile(path, 101, 'a test file').length).toBe(101);
    expect(() => readRegularFile('/dev/zero', 100, 'a test file')).toThrow(/not a regular file/);
  });
});

describe('compile -o', () => {
  it('refuses to write over the model it compiles, also through a symlink, and leaves it intact', () => {
    const model = join(tmp, 'c.model');
    writeFileSync(model, 'model C {\n  param w: [2]\n  loss = sum(w^2)\n}\n');
    symlinkSync(model, join(tmp, 'alias.model'));
    for (const out of [model, join(tmp, 'alias.model'), join(tmp, '.', 'c.model')]) {
      const r = cli('compile', model, '-o', out);
      expect(r.code).toBe(1);
      expect(r.err).toContain('it is the model being compiled');
    }
    expect(cli('check', model).code).toBe(0);
  });

  it('writes another file in full, with no temporary file left', () => {
    const model = join(tmp, 'd.model');
    writeFileSync(model, 'model D {\n  param w: [2]\n  loss = sum(w^2)\n}\n');
    const out = join(tmp, 'd.txt');
    expect(cli('compile', model, '-o', out).code).toBe(0);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(readFileSync(out, 'utf8')).toContain('loss loss =');
  });
});
