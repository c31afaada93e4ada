import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GradusError } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import { blobs, iris, mnist, moons } from './builtin-sets.js';
import { parseCsvColumns, parseJsonColumns, parseNpy } from './files.js';
import { readIdx } from './idx.js';
import { loadData } from './load.js';
import { spiral } from './spiral.js';

const tmp = mkdtempSync(join(tmpdir(), 'gradus-data-'));

describe('built-in data sets', () => {
  it('spiral follows the CS231n recipe: radius grows linearly along each arm', () => {
    const d = spiral(3, 50, 0);
    expect(d.n).toBe(150);
    for (let j = 0; j < 3; j++) {
      for (const i of [0, 10, 49]) {
        const k = j * 50 + i;
        expect(Math.hypot(d.x[2 * k], d.x[2 * k + 1])).toBeCloseTo(i / 49, 12);
        expect(d.y[k]).toBe(j);
      }
    }
    expect(spiral(3, 50, 0).x).toEqual(d.x);
    expect(spiral(3, 50, 1).x).not.toEqual(d.x);
  });

  it('moons: without noise, class 0 lies on the unit circle and class 1 on the shifted one', () => {
    const { x, y } = moons(20, 0, 0);
    for (let k = 0; k < 40; k++) {
      const [a, b] = [x.data[2 * k], x.data[2 * k + 1]];
      const r = y.data[k] === 0 ? Math.hypot(a, b) : Math.hypot(a - 1, b - 0.5);
      expect(r).toBeCloseTo(1, 12);
    }
  });

  it('blobs: each class is centred near its own mean', () => {
    const { x, y } = blobs(3, 400, 2);
    const sums = [0, 0, 0].map(() => [0, 0, 0]);
    for (let k = 0; k < 1200; k++) {
      const c = y.data[k];
      sums[c][0] += x.data[2 * k];
      sums[c][1] += x.data[2 * k + 1];
      sums[c][2]++;
    }
    // Sample standard deviation 1, 400 points: each mean is within 0.2 of the centre with room to spare;
    // check against the per-class spread instead of the unknown centres: residual std ≈ 1.
    for (let c = 0; c < 3; c++) {
      const [mx, my, n] = [sums[c][0] / sums[c][2], sums[c][1] / sums[c][2], sums[c][2]];
      let ss = 0;
      for (let k = c * 400; k < (c + 1) * 400; k++)
        ss += (x.data[2 * k] - mx) ** 2 + (x.data[2 * k + 1] - my) ** 2;
      expect(Math.sqrt(ss / (2 * n))).toBeGreaterThan(0.85);
      expect(Math.sqrt(ss / (2 * n))).toBeLessThan(1.15);
    }
  });

  it('iris: 150 flowers, 4 measurements, 50 of each species', () => {
    const { x, y } = iris();
    expect(x.shape).toEqual([150, 4]);
    expect([0, 1, 2].map((c) => y.data.filter((v) => v === c).length)).toEqual([50, 50, 50]);
    expect(Array.from(x.data.slice(0, 4))).toEqual([5.1, 3.5, 1.4, 0.2]);
  });

  it('mnist: train and test splits, pixels in [0, 1], labels 0–9', () => {
    const { train, test } = mnist({ train: 2000, test: 500 });
    expect(train.x.shape).toEqual([2000, 784]);
    expect(test.x.shape).toEqual([500, 784]);
    expect(train.x.data.reduce((a, b) => Math.max(a, b), -Infinity)).toBe(1);
    expect(train.x.data.reduce((a, b) => Math.min(a, b), Infinity)).toBe(0);
    // The well-known first training labels of MNIST.
    expect(Array.from(train.y.data.slice(0, 8))).toEqual([5, 0, 4, 1, 9, 2, 1, 3]);
    expect(Array.from(test.y.data.slice(0, 5))).toEqual([7, 2, 1, 0, 4]);
  });

  it('loadData names unknown sets', () => {
    expect(() => loadData({ name: 'cifar', args: {} })).toThrow(/unknown data set 'cifar'/);
  });
});

describe('data files', () => {
  it('JSON columns', () => {
    const c = parseJsonColumns('{"x": [[1, 2], [3, 4]], "y": [0, 1]}', 'd.json');
    expect(c.x.shape).toEqual([2, 2]);
    expect(() => parseJsonColumns('{"x": [[1, 2], [3]]}', 'd.json')).toThrow(/rectangular/);
    expect(() => parseJsonColumns('[1]', 'd.json')).toThrow(/JSON object/);
  });

  it('CSV with indexed column groups', () => {
    const c = parseCsvColumns('x[1],y,x[0]\n2,0,1\n4,1,3\n', 'd.csv');
    expect(c.x.shape).toEqual([2, 2]);
    expect(Array.from(c.x.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(c.y.data)).toEqual([0, 1]);
    expect(() => parseCsvColumns('x,y\n1,abc\n', 'd.csv')).toThrow(
      /d\.csv:2: 'abc' in column y is not a number/,
    );
    expect(() => parseCsvColumns('x,y\n1\n', 'd.csv')).toThrow(/1 values, but the header has 2 columns/);
  });

  it('.npy in little-endian f8 and i8', () => {
    const npy = (descr: string, shape: string, body: ArrayBuffer) => {
      let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
      while ((10 + header.length + 1) % 64 !== 0) header += ' ';
      header += '\n';
      const head = new Uint8Array(10 + header.length);
      head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      new DataView(head.buffer).setUint16(8, header.length, true);
      head.set(new TextEncoder().encode(header), 10);
      const out = new Uint8Array(head.length + body.byteLength);
      out.set(head);
      out.set(new Uint8Array(body), head.length);
      return out;
    };
    const f = parseNpy(npy('<f8', '(2, 3)', Float64Array.of(1, 2, 3, 4, 5, 6.5).buffer), 'dir/x.npy');
    expect(f.x.shape).toEqual([2, 3]);
    expect(Array.from(f.x.data)).toEqual([1, 2, 3, 4, 5, 6.5]);
    const i = parseNpy(npy('<i8', '(3,)', BigInt64Array.of(7n, -1n, 2n).buffer), 'y.npy');
    expect(Array.from(i.y.data)).toEqual([7, -1, 2]);
    expect(() => parseNpy(new Uint8Array([1, 2, 3]), 'z.npy')).toThrow(GradusError);
  });

  it('IDX headers are validated', () => {
    const ok = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 5, 7]);
    expect(readIdx(ok, 'l').shape).toEqual([2]);
    expect(() => readIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 5]), 'l')).toThrow(/expected 11 bytes/);
  });

  it('loadData reads files by extension and names missing ones', () => {
    const p = join(tmp, 'd.csv');
    writeFileSync(p, 'x[0],x[1],y\n0.5,1,2\n');
    expect(loadData({ path: p }).train.x.shape).toEqual([1, 2]);
    expect(() => loadData({ path: join(tmp, 'none.csv') })).toThrow(/no such data file/);
    expect(() => loadData({ path: join(tmp, 'd.txt') })).toThrow(/\.json, \.csv or \.npy/);
  });
});
