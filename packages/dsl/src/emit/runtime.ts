/**
 * Helper functions copied into an emitted module when its code calls them, so the module stays
 * dependency-free. The random generator is a transcription of `@gradus/autodiff`'s `random.ts`
 * (pure 32-bit integer math with `Math.imul`, so it is bit-exact in any JS engine); a test checks
 * the copy against the original.
 */

export type Helper =
  | 'mix32'
  | 'randomBits'
  | 'uniformAt'
  | 'normalAt'
  | 'bindDim'
  | 'expectLength'
  | 'missingDim'
  | 'wholeDim'
  | 'roundF32';

interface HelperDef {
  readonly needs: readonly Helper[];
  readonly source: string;
}

const helpers: { readonly [K in Helper]: HelperDef } = {
  mix32: {
    needs: [],
    source: `/** The "lowbias32" 32-bit finaliser (as in @gradus/autodiff's random.ts). */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}`,
  },
  randomBits: {
    needs: ['mix32'],
    source: `/** 32 random bits for element \`index\` of stream \`stream\` at step \`counter\` under \`seed\`. */
function randomBits(seed: number, stream: number, counter: number, index: number): number {
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  h = mix32(h ^ (stream >>> 0));
  h = mix32((h + (counter >>> 0)) >>> 0);
  h = mix32(h ^ (index >>> 0));
  return mix32((h + 0x6a09e667) >>> 0);
}`,
  },
  uniformAt: {
    needs: ['randomBits'],
    source: `/** Uniform in [0, 1) with 24 random bits. */
function uniformAt(seed: number, stream: number, counter: number, index: number): number {
  return (randomBits(seed, stream, counter, index) >>> 8) * 2 ** -24;
}`,
  },
  normalAt: {
    needs: ['randomBits'],
    source: `/** Standard normal by Box-Muller from two uniforms. */
function normalAt(seed: number, stream: number, counter: number, index: number): number {
  const u1 = ((randomBits(seed, stream, counter, 2 * index) >>> 8) + 0.5) * 2 ** -24;
  const u2 = (randomBits(seed, stream, counter, 2 * index + 1) >>> 8) * 2 ** -24;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}`,
  },
  bindDim: {
    needs: [],
    source: `/** The value of a symbolic dim, from an array of \`length\` elements with \`rest\` elements per unit of the dim. */
function bindDim(length: number, rest: number, what: string): number {
  if (rest === 0 || length % rest !== 0) {
    throw new RangeError(\`\${what}: \${length} elements is not a whole number of rows of \${rest}\`);
  }
  return length / rest;
}`,
  },
  expectLength: {
    needs: [],
    source: `function expectLength(what: string, length: number, expected: number): void {
  if (length !== expected) throw new RangeError(\`\${what}: expected \${expected} elements, got \${length}\`);
}`,
  },
  missingDim: {
    needs: [],
    source: `function missingDim(name: string): never {
  throw new RangeError(\`dim \${name} is not determined by any input: pass it in options.dims\`);
}`,
  },
  wholeDim: {
    needs: [],
    source: `/** A compound dim (\`N/2\`) computed from the bound names: it must be a size. */
function wholeDim(value: number, text: string, names: Record<string, number>): number {
  if (!Number.isInteger(value) || value < 0) {
    const binding = Object.entries(names).map(([k, v]) => \`\${k} = \${v}\`).join(', ');
    throw new RangeError(\`with \${binding}, the dim \${text} is \${value}, not a size (a whole number ≥ 0)\`);
  }
  return value;
}`,
  },
  roundF32: {
    needs: [],
    source: `/** Rounds every element to single precision, as an f32 backend stores it. */
function roundF32(t: Float64Array): void {
  for (let i = 0; i < t.length; i++) t[i] = Math.fround(t[i]);
}`,
  },
};

/** Sources of the requested helpers and everything they call, callees first. */
export function helperSources(used: Iterable<Helper>): string[] {
  const order: Helper[] = [];
  const visit = (h: Helper): void => {
    if (order.includes(h)) return;
    for (const dep of helpers[h].needs) visit(dep);
    order.push(h);
  };
  for (const h of used) visit(h);
  return order.map((h) => helpers[h].source);
}
