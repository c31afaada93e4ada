/**
 * Data files as a user has them: predict on rows without labels (a CSV without the label column,
 * an .npy of inputs only), and clear errors naming the input an output needs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spiral } from '@gradus/optim';
import { describe, expect, it } from 'vitest';
import { cli, repoModel } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'gradus-datafiles-'));

/** A little-endian f8 .npy file (format 1.0) of `shape`. */
function npy(shape: readonly number[], values: ArrayLike<number>, descr = '<f8'): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64));
  header += '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(Float64Array.from(values).buffer);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}

describe('gradus predict on rows without labels', () => {
  const d = spiral(3, 4, 0);
  const rows = Array.from({ length: d.n }, (_, i) => [d.x[2 * i], d.x[2 * i + 1]]);
  const predict = (data: string) => cli('predict', repoModel('two_layer.model'), '--data', data, '--json');

  it('reads a CSV without the label column and gives the outputs of the labelled rows', () => {
    const labelled = join(tmp, 'labelled.csv');
    writeFileSync(labelled, `x[0],x[1],y\n${rows.map((r, i) => `${r.join(',')},${d.y[i]}`).join('\n')}\n`);
    const unlabelled = join(tmp, 'unlabelled.csv');
    writeFileSync(unlabelled, `x[0],x[1]\n${rows.map((r) => r.join(',')).join('\n')}\n`);
    const a = predict(labelled);
    const b = predict(unlabelled);
    expect(b.err).toBe('');
    expect(b.code).toBe(0);
    const probs = JSON.parse(b.out).probs as number[][];
    expect(probs).toHaveLength(12);
    expect(probs).toEqual(JSON.parse(a.out).probs);
    for (const p of probs) expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
  });

  it('reads an .npy of the inputs alone (the column is named after the file)', () => {
    const file = join(tmp, 'x.npy');
    writeFileSync(file, npy([d.n, 2], d.x));
    const r = predict(file);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).probs).toHaveLength(12);
    const text = cli('predict', repoModel('two_layer.model'), '--data', file, '--rows', '2');
    expect(text.out).toMatch(/… 10 more rows/);
  });

  it('names the input an output needs when the data lacks it', () => {
    const file = join(tmp, 'features.csv');
    writeFileSync(file, 'a,b\n1,2\n3,4\n');
    const r = predict(file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /has no column 'x' for the input x: \[N, D\] = \[N, 2\], which the output probs needs/,
    );
    expect(r.out).toBe('');
  });

  it('eval still needs the labels, and says so', () => {
    const file = join(tmp, 'unlabelled-eval.csv');
    writeFileSync(file, `x[0],x[1]\n${rows.map((r) => r.join(',')).join('\n')}\n`);
    const r = cli('eval', repoModel('two_layer.model'), '--data', file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/has no column 'y' for the input y: \[N\]/);
  });
});
