import { diagnostic, GradusError, type Tensor, toTensor } from '@gradus/autodiff';
import type { Columns } from './load.js';

/** A file's name without its directory and extension, as `path.basename(p, path.extname(p))` (no Node import: the browser parses CSV too). */
function stem(path: string): string {
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

const fail = (code: string, msg: string): never => {
  throw new GradusError(diagnostic(code, msg));
};

/** Parses `{ name: nested array }` JSON into columns, with errors that name the file and the column. */
export function parseJsonColumns(text: string, source: string): Columns {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail('E0604', `${source} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fail('E0605', `${source} must hold a JSON object mapping names to arrays`);
  }
  const out: Record<string, Tensor> = Object.create(null);
  for (const [name, value] of Object.entries(json)) {
    try {
      out[name] = toTensor(value as number[], 'f64');
    } catch (e) {
      fail('E0606', `${source}: '${name}' is not a rectangular array of numbers (${(e as Error).message})`);
    }
    if (out[name].data.some((v) => Number.isNaN(v)))
      fail('E0607', `${source}: '${name}' contains a value that is not a number`);
  }
  return out;
}

/**
 * CSV with a header row. A column `y` becomes a vector; columns `x[0], x[1], …` (or `x.0, x.1`)
 * become one matrix `x` [rows, features], in index order.
 */
export function parseCsvColumns(text: string, source: string): Columns {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) return fail('E0609', `${source}: a CSV needs a header row and at least one data row`);
  const header = lines[0].split(',').map((h) => h.trim());
  const groups = new Map<string, { index: number; col: number }[]>();
  header.forEach((h, col) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\]|\.(\d+))?$/.exec(h);
    if (!m) fail('E0609', `${source}: column header '${h}' is not a name like y, x[0] or x.0`);
    const name = (m as RegExpExecArray)[1];
    const idx = (m as RegExpExecArray)[2] ?? (m as RegExpExecArray)[3];
    const list = groups.get(name) ?? [];
    list.push({ index: idx === undefined ? -1 : Number(idx), col });
    groups.set(name, list);
  });
  const rows = lines.slice(1).map((l, r) => {
    const cells = l.split(',');
    if (cells.length !== header.length)
      fail(
        'E0609',
        `${source}:${r + 2}: ${cells.length} values, but the header has ${header.length} columns`,
      );
    return cells.map((c, k) => {
      const v = Number(c.trim());
      if (c.trim() === '' || Number.isNaN(v))
        fail('E0607', `${source}:${r + 2}: '${c.trim()}' in column ${header[k]} is not a number`);
      return v;
    });
  });
  const out: Record<string, Tensor> = Object.create(null);
  for (const [name, cols] of groups) {
    const vector = cols.length === 1 && cols[0].index < 0;
    if (!vector && cols.some((c) => c.index < 0))
      fail('E0609', `${source}: '${name}' is both a column and an indexed group`);
    const ordered = [...cols].sort((a, b) => a.index - b.index);
    const data = Float64Array.from(rows.flatMap((row) => ordered.map((c) => row[c.col])));
    out[name] = { shape: vector ? [rows.length] : [rows.length, ordered.length], dtype: 'f64', data };
  }
  return out;
}

const NPY_DTYPES: Readonly<
  Record<string, { bytes: number; read: (v: DataView, o: number, le: boolean) => number }>
> = {
  f8: { bytes: 8, read: (v, o, le) => v.getFloat64(o, le) },
  f4: { bytes: 4, read: (v, o, le) => v.getFloat32(o, le) },
  i8: { bytes: 8, read: (v, o, le) => Number(v.getBigInt64(o, le)) },
  i4: { bytes: 4, read: (v, o, le) => v.getInt32(o, le) },
  i2: { bytes: 2, read: (v, o, le) => v.getInt16(o, le) },
  i1: { bytes: 1, read: (v, o) => v.getInt8(o) },
  u1: { bytes: 1, read: (v, o) => v.getUint8(o) },
  u2: { bytes: 2, read: (v, o, le) => v.getUint16(o, le) },
  u4: { bytes: 4, read: (v, o, le) => v.getUint32(o, le) },
  b1: { bytes: 1, read: (v, o) => v.getUint8(o) },
};

/** A NumPy `.npy` file (format 1.0–3.0, C order) as one column named after the file. */
export function parseNpy(bytes: Uint8Array, source: string): Columns {
  const bad = (why: string) => fail('E0610', `${source} is not a readable .npy file: ${why}`);
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) bad('bad magic string');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([<>|=])([a-z])(\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeM = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeM) return bad('cannot read its header');
  if (fortran[1] === 'True') bad('Fortran-ordered arrays are not supported; save with C order');
  const kind = `${descr[2]}${descr[3]}`;
  const dt = NPY_DTYPES[kind];
  if (!dt) return bad(`element type ${kind} is not supported`);
  const shape = shapeM[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  if (bytes.length < offset + n * dt.bytes) bad(`expected ${n} elements, the file is too short`);
  const le = descr[1] !== '>';
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = dt.read(view, offset + i * dt.bytes, le);
  if (data.some((v) => Number.isNaN(v))) fail('E0607', `${source} contains NaN`);
  return { [stem(source)]: { shape, dtype: 'f64', data } };
}
