/**
 * Counter-based random numbers: every value is a pure function of (seed, stream, counter, index),
 * so dropout masks, shuffles and initialisations are identical on every backend, in any order of
 * evaluation, and on a resumed run. The mixer is the 32-bit finaliser of "lowbias32" (a
 * well-tested integer hash), applied in a chain; only `Math.imul` and shifts, so it is exact in JS.
 */

/** The mixer: lowbias32's finaliser of a 32-bit value (backends that generate code mirror it). */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32 random bits for element `index` of stream `stream` at step `counter` under `seed`. */
export function randomBits(seed: number, stream: number, counter: number, index: number): number {
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  h = mix32(h ^ (stream >>> 0));
  h = mix32((h + (counter >>> 0)) >>> 0);
  h = mix32(h ^ (index >>> 0));
  // The index's high bits (beyond 2^32) are not needed: tensors hold fewer than 2^32 elements.
  return mix32((h + 0x6a09e667) >>> 0);
}

const TWO_POW_M24 = 2 ** -24;

/** Uniform in [0, 1) with 24 random bits, so the value is exact in f32 too. */
export function uniformAt(seed: number, stream: number, counter: number, index: number): number {
  return (randomBits(seed, stream, counter, index) >>> 8) * TWO_POW_M24;
}

/** Standard normal by Box–Muller from two uniforms; `(u + 0.5)` keeps the logarithm finite. */
export function normalAt(seed: number, stream: number, counter: number, index: number): number {
  const u1 = ((randomBits(seed, stream, counter, 2 * index) >>> 8) + 0.5) * TWO_POW_M24;
  const u2 = (randomBits(seed, stream, counter, 2 * index + 1) >>> 8) * TWO_POW_M24;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** A stable 32-bit stream id for a name (FNV-1a), so a param's init does not depend on declaration order. */
export function streamOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A seeded permutation of 0..n-1 (Fisher–Yates driven by the counter-based stream). */
export function permutation(n: number, seed: number, stream: number, counter: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniformAt(seed, stream, counter, i) * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
