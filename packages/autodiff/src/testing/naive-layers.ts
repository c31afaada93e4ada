/**
 * Naive references for the window and row ops and the layers built on them: direct formulas
 * over coordinates (the convolution sum written out, pooling window by window, col2im by searching
 * every patch that lands on a pixel), sharing no code with `ops/patches.ts` or `layers/`.
 */
import { at, coordsOf, type Plain, plain, total } from './naive.js';

/** Window geometry as the ops take it: kernel, stride, dilation per axis, pads [top, bottom, left, right]. */
export interface Window {
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly pads: readonly number[];
}

function grid(h: number, w: number, win: Window): [number, number] {
  const count = (n: number, k: number, s: number, d: number, padding: number) =>
    Math.floor((n + padding - d * (k - 1) - 1) / s) + 1;
  return [
    count(h, win.kernel[0], win.stride[0], win.dilation[0], win.pads[0] + win.pads[1]),
    count(w, win.kernel[1], win.stride[1], win.dilation[1], win.pads[2] + win.pads[3]),
  ];
}

/** The input pixel tap (i, j) of output position (y, x) reads, which may lie outside. */
function tap(win: Window, i: number, j: number, y: number, x: number): [number, number] {
  return [
    y * win.stride[0] - win.pads[0] + i * win.dilation[0],
    x * win.stride[1] - win.pads[2] + j * win.dilation[1],
  ];
}

export function im2col(x: Plain, win: Window, fill: number): Plain {
  const r = x.shape.length;
  const [h, w] = x.shape.slice(r - 2);
  const [oh, ow] = grid(h, w, win);
  const shape = [...x.shape.slice(0, r - 2), win.kernel[0], win.kernel[1], oh, ow];
  return plain(
    shape,
    coordsOf(shape).map((c) => {
      const lead = c.slice(0, r - 2);
      const [i, j, y, xx] = c.slice(r - 2);
      const [py, px] = tap(win, i, j, y, xx);
      return py >= 0 && py < h && px >= 0 && px < w ? at(x, [...lead, py, px]) : fill;
    }),
  );
}

/** Each pixel: the sum of every patch element whose tap lands on it (a search, not a scatter). */
export function col2im(p: Plain, win: Window, size: readonly number[]): Plain {
  const r = p.shape.length;
  const [h, w] = size;
  const [oh, ow] = p.shape.slice(r - 2);
  const shape = [...p.shape.slice(0, r - 4), h, w];
  return plain(
    shape,
    coordsOf(shape).map((c) => {
      const lead = c.slice(0, r - 4);
      const [py, px] = c.slice(r - 4);
      const terms: number[] = [];
      for (const [i, j, y, x] of coordsOf([win.kernel[0], win.kernel[1], oh, ow])) {
        const [ty, tx] = tap(win, i, j, y, x);
        if (ty === py && tx === px) terms.push(at(p, [...lead, i, j, y, x]));
      }
      return total(terms);
    }),
  );
}

/** out[n, o, y, x] = b[o] + Σ_{c, i, j} x[n, g·C/G + c, tap] · W[o, c, i, j], g = o's group. */
export function conv2d(x: Plain, wt: Plain, win: Window, groups: number, bias?: Plain): Plain {
  const [n, , h, w] = x.shape;
  const [o, perGroup, kh, kw] = wt.shape;
  const [oh, ow] = grid(h, w, win);
  const shape = [n, o, oh, ow];
  return plain(
    shape,
    coordsOf(shape).map(([b, oc, y, xx]) => {
      const g = Math.floor(oc / (o / groups));
      let s = bias ? at(bias, [oc]) : 0;
      for (let c = 0; c < perGroup; c++) {
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            const [py, px] = tap(win, i, j, y, xx);
            if (py < 0 || py >= h || px < 0 || px >= w) continue;
            s += at(x, [b, g * perGroup + c, py, px]) * at(wt, [oc, c, i, j]);
          }
        }
      }
      return s;
    }),
  );
}

/** Per window of the last two axes: `f` of the in-bounds values and the window's size. */
function pool(x: Plain, win: Window, f: (values: number[], size: number) => number): Plain {
  const r = x.shape.length;
  const [h, w] = x.shape.slice(r - 2);
  const [oh, ow] = grid(h, w, win);
  const shape = [...x.shape.slice(0, r - 2), oh, ow];
  return plain(
    shape,
    coordsOf(shape).map((c) => {
      const lead = c.slice(0, r - 2);
      const [y, xx] = c.slice(r - 2);
      const values: number[] = [];
      for (const [i, j] of coordsOf(win.kernel)) {
        const [py, px] = tap(win, i, j, y, xx);
        if (py >= 0 && py < h && px >= 0 && px < w) values.push(at(x, [...lead, py, px]));
      }
      return f(values, win.kernel[0] * win.kernel[1]);
    }),
  );
}

export const maxPool = (x: Plain, win: Window): Plain => pool(x, win, (vs) => Math.max(...vs));

/** Padded zeros count in the divisor (PyTorch's `count_include_pad = True`). */
export const avgPool = (x: Plain, win: Window): Plain => pool(x, win, (vs, size) => total(vs) / size);

/** Rows of a table by index: [...ids, ...table.shape[1:]]. */
export function take(table: Plain, ids: Plain): Plain {
  const rest = table.shape.slice(1);
  const shape = [...ids.shape, ...rest];
  return plain(
    shape,
    coordsOf(shape).map((c) => {
      const k = at(ids, c.slice(0, ids.shape.length));
      return k >= 0 && k < table.shape[0] ? at(table, [k, ...c.slice(ids.shape.length)]) : Number.NaN;
    }),
  );
}

/** Each table row: the sum of the source rows whose index names it. */
export function scatterAdd(src: Plain, ids: Plain, rows: number): Plain {
  const rest = src.shape.slice(ids.shape.length);
  const shape = [rows, ...rest];
  return plain(
    shape,
    coordsOf(shape).map(([k, ...r]) =>
      total(
        coordsOf(ids.shape)
          .filter((c) => at(ids, c) === k)
          .map((c) => at(src, [...c, ...r])),
      ),
    ),
  );
}

/** Normalises over the trailing axes from `first`: (x − μ)/√(σ² + eps)·γ + β, γ and β of those axes' shape. */
export function layernorm(x: Plain, gamma: Plain, beta: Plain, first: number, eps: number): Plain {
  const lead = x.shape.slice(0, first);
  const tail = x.shape.slice(first);
  const out = new Array<number>(x.data.length).fill(0);
  for (const l of coordsOf(lead)) {
    const cs = coordsOf(tail).map((t) => [...l, ...t]);
    const vs = cs.map((c) => at(x, c));
    const mu = total(vs) / vs.length;
    const variance = total(vs.map((v) => (v - mu) ** 2)) / vs.length;
    coordsOf(tail).forEach((t, k) => {
      const c = cs[k];
      let flat = 0;
      for (let d = 0; d < c.length; d++) flat = flat * x.shape[d] + c[d];
      out[flat] = ((vs[k] - mu) / Math.sqrt(variance + eps)) * at(gamma, t) + at(beta, t);
    });
  }
  return plain(x.shape, out);
}

/** Per (example, channel): normalised over the spatial axes, then γ[c]·x̂ + β[c]. */
export function instancenorm(x: Plain, gamma: Plain, beta: Plain, eps: number): Plain {
  const [n, c] = x.shape;
  const space = x.shape.slice(2);
  const out: number[] = new Array(x.data.length).fill(0);
  const per = space.reduce((p, d) => p * d, 1);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const vs = coordsOf(space).map((s) => at(x, [b, ch, ...s]));
      const mu = total(vs) / vs.length;
      const variance = total(vs.map((v) => (v - mu) ** 2)) / vs.length;
      vs.forEach((v, k) => {
        out[(b * c + ch) * per + k] =
          ((v - mu) / Math.sqrt(variance + eps)) * at(gamma, [ch]) + at(beta, [ch]);
      });
    }
  }
  return plain(x.shape, out);
}
