/**
 * The live pictures, drawn on canvases: curves over steps (several runs overlaid), the decision
 * regions of a 2-D classifier with its training points, and the optimiser's path over the loss
 * surface of a two-parameter model.
 */
import type { Grid } from './protocol.js';

export interface Series {
  readonly color: string;
  /** Lines: (step, value) in order. */
  readonly line: readonly (readonly [number, number])[];
  /** Dots (evaluations). */
  readonly dots: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
}

const PAD = { left: 52, right: 10, top: 10, bottom: 24 };

function niceNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0);
  return Number(v.toPrecision(2)).toString();
}

/** Curves over steps; `log` puts the values on a log scale (losses). */
export function drawCurves(
  canvas: HTMLCanvasElement,
  series: readonly Series[],
  log: boolean,
  empty: string,
): void {
  const ctx = canvas.getContext('2d')!;
  const { width: w, height: h } = canvas;
  ctx.clearRect(0, 0, w, h);
  ctx.font = '11px system-ui, sans-serif';
  const f = (v: number) => (log ? Math.log10(Math.max(v, 1e-12)) : v);
  let xMax = 1;
  let yMin = Number.POSITIVE_INFINITY;
  let yMax = Number.NEGATIVE_INFINITY;
  for (const s of series)
    for (const [x, y] of [...s.line, ...s.dots]) {
      if (!Number.isFinite(y)) continue;
      xMax = Math.max(xMax, x);
      yMin = Math.min(yMin, f(y));
      yMax = Math.max(yMax, f(y));
    }
  if (!Number.isFinite(yMin)) {
    ctx.fillStyle = '#888';
    ctx.fillText(empty, PAD.left, h / 2);
    return;
  }
  if (yMax - yMin < 1e-9) {
    yMax += 0.5;
    yMin -= 0.5;
  }
  const pw = w - PAD.left - PAD.right;
  const ph = h - PAD.top - PAD.bottom;
  const X = (x: number) => PAD.left + (x / xMax) * pw;
  const Y = (y: number) => PAD.top + (1 - (f(y) - yMin) / (yMax - yMin)) * ph;
  ctx.strokeStyle = '#ddd';
  ctx.fillStyle = '#555';
  ctx.lineWidth = 1;
  for (let k = 0; k <= 4; k++) {
    const fy = yMin + ((yMax - yMin) * k) / 4;
    const py = PAD.top + (1 - k / 4) * ph;
    ctx.beginPath();
    ctx.moveTo(PAD.left, py);
    ctx.lineTo(w - PAD.right, py);
    ctx.stroke();
    ctx.fillText(niceNumber(log ? 10 ** fy : fy), 4, py + 4);
  }
  ctx.fillText('0', PAD.left, h - 6);
  ctx.fillText(`step ${xMax}`, w - PAD.right - 60, h - 6);
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.setLineDash(s.dashed ? [4, 3] : []);
    ctx.beginPath();
    let pen = false;
    for (const [x, y] of s.line) {
      if (!Number.isFinite(y)) {
        pen = false;
        continue;
      }
      if (pen) ctx.lineTo(X(x), Y(y));
      else ctx.moveTo(X(x), Y(y));
      pen = true;
    }
    ctx.stroke();
    // Many evaluations (one per epoch) draw as a dashed line, a few as dots.
    if (s.dots.length > 40) {
      ctx.setLineDash([5, 4]);
      ctx.globalAlpha = 0.8;
      ctx.beginPath();
      s.dots.forEach(([x, y], i) => {
        if (i === 0) ctx.moveTo(X(x), Y(y));
        else ctx.lineTo(X(x), Y(y));
      });
      ctx.stroke();
      ctx.globalAlpha = 1;
    }
    ctx.setLineDash([]);
    ctx.fillStyle = s.color;
    for (const [x, y] of s.dots.length > 40 ? [] : s.dots) {
      if (!Number.isFinite(y)) continue;
      ctx.beginPath();
      ctx.arc(X(x), Y(y), 2.5, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}

/** Colours of classes (light for regions, full for points). */
export const CLASS_COLORS: readonly (readonly [number, number, number])[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
];

/** Each cell in its predicted class's colour, paler where the model is less sure; then the points. */
export function drawRegions(
  canvas: HTMLCanvasElement,
  grid: Grid,
  points: { readonly x: Float64Array; readonly y: Float64Array },
): void {
  const ctx = canvas.getContext('2d')!;
  const { width: w, height: h } = canvas;
  const img = ctx.createImageData(grid.width, grid.height);
  for (let k = 0; k < grid.values.length; k++) {
    const v = grid.values[k];
    const cls = Math.floor(v);
    const sure = v - cls;
    const [r, g, b] = CLASS_COLORS[cls % CLASS_COLORS.length];
    const a = 0.2 + 0.55 * sure;
    img.data[4 * k] = Math.round(255 - a * (255 - r));
    img.data[4 * k + 1] = Math.round(255 - a * (255 - g));
    img.data[4 * k + 2] = Math.round(255 - a * (255 - b));
    img.data[4 * k + 3] = 255;
  }
  const off = new OffscreenCanvas(grid.width, grid.height);
  off.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.clearRect(0, 0, w, h);
  ctx.drawImage(off, 0, 0, w, h);
  const X = (x: number) => ((x - grid.x0) / (grid.x1 - grid.x0)) * w;
  const Y = (y: number) => ((grid.y1 - y) / (grid.y1 - grid.y0)) * h;
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 0.8;
  for (let i = 0; i < points.y.length; i++) {
    const [r, g, b] = CLASS_COLORS[points.y[i] % CLASS_COLORS.length];
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.beginPath();
    ctx.arc(X(points.x[2 * i]), Y(points.x[2 * i + 1]), 3, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }
}

/**
 * The loss surface as bands of log-loss (each band edge is a contour), and each run's path over
 * it: a line from its start (ring) to where it is (dot).
 */
export function drawSurface(
  canvas: HTMLCanvasElement,
  grid: Grid,
  paths: readonly { readonly color: string; readonly points: readonly (readonly [number, number])[] }[],
  names: readonly string[],
): void {
  const ctx = canvas.getContext('2d')!;
  const { width: w, height: h } = canvas;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of grid.values)
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  const g = (v: number) => Math.log(Math.max(v - lo, 0) + 1e-3 * (hi - lo || 1));
  const gLo = g(lo);
  const gHi = g(hi);
  const bands = 14;
  const img = ctx.createImageData(grid.width, grid.height);
  for (let k = 0; k < grid.values.length; k++) {
    const v = grid.values[k];
    const t = Number.isFinite(v) ? (g(v) - gLo) / (gHi - gLo || 1) : 1;
    const band = Math.min(bands - 1, Math.floor(t * bands)) / (bands - 1);
    // Dark blue (low) to pale yellow (high).
    img.data[4 * k] = Math.round(30 + 220 * band);
    img.data[4 * k + 1] = Math.round(60 + 170 * band);
    img.data[4 * k + 2] = Math.round(140 - 40 * band);
    img.data[4 * k + 3] = 255;
  }
  const off = new OffscreenCanvas(grid.width, grid.height);
  off.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, w, h);
  ctx.drawImage(off, 0, 0, w, h);
  const X = (x: number) => ((x - grid.x0) / (grid.x1 - grid.x0)) * w;
  const Y = (y: number) => ((grid.y1 - y) / (grid.y1 - grid.y0)) * h;
  for (const p of paths) {
    if (p.points.length === 0) continue;
    ctx.strokeStyle = p.color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    p.points.forEach(([x, y], i) => {
      if (i === 0) ctx.moveTo(X(x), Y(y));
      else ctx.lineTo(X(x), Y(y));
    });
    ctx.stroke();
    const [sx, sy] = p.points[0];
    const [ex, ey] = p.points[p.points.length - 1];
    ctx.beginPath();
    ctx.arc(X(sx), Y(sy), 4, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.fillStyle = p.color;
    ctx.beginPath();
    ctx.arc(X(ex), Y(ey), 3.5, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.fillStyle = '#fff';
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillText(`${names[0]} ∈ [${niceNumber(grid.x0)}, ${niceNumber(grid.x1)}]`, 6, h - 6);
  ctx.fillText(`${names[1]} ∈ [${niceNumber(grid.y0)}, ${niceNumber(grid.y1)}]`, 6, 14);
}
