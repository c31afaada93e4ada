/**
 * Makes `sparse_coding.json`, the data of `../sparse_coding.model`: N signals of D numbers, each
 * the sum of two of K hidden atoms with normal coefficients, plus a little noise. The atoms are
 * unit vectors drawn from a normal distribution; every number comes from Gradus's counter-based
 * generator, so the file is the same on every machine, and a test checks that the committed file
 * is exactly what this makes.
 *
 *   pnpm tsx models/data/sparse-coding.ts
 */
import { writeFileSync } from 'node:fs';
import { normalAt, streamOf, uniformAt } from '@gradus/autodiff';

export interface SparseCoding {
  /** [N, D]: one signal per row. */
  readonly X: number[][];
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;

export function sparseCoding(n = 40, d = 8, k = 6, seed = 3): SparseCoding {
  const atomStream = streamOf('sparse-coding:atoms');
  const pick = streamOf('sparse-coding:pick');
  const coef = streamOf('sparse-coding:coefficients');
  const noise = streamOf('sparse-coding:noise');
  const atoms = Array.from({ length: k }, (_, a) => {
    const v = Array.from({ length: d }, (_, j) => normalAt(seed, atomStream, 0, a * d + j));
    const norm = Math.hypot(...v);
    return v.map((e) => e / norm);
  });
  const X: number[][] = [];
  for (let i = 0; i < n; i++) {
    const first = Math.floor(uniformAt(seed, pick, 0, 2 * i) * k);
    const second = (first + 1 + Math.floor(uniformAt(seed, pick, 0, 2 * i + 1) * (k - 1))) % k;
    const c1 = normalAt(seed, coef, 0, 2 * i);
    const c2 = normalAt(seed, coef, 0, 2 * i + 1);
    X.push(
      Array.from({ length: d }, (_, j) =>
        round(c1 * atoms[first][j] + c2 * atoms[second][j] + 0.01 * normalAt(seed, noise, 0, i * d + j)),
      ),
    );
  }
  return { X };
}

/** The file's text: one signal per line. */
export function sparseCodingJson(data: SparseCoding = sparseCoding()): string {
  const rows = data.X.map((r) => `    ${JSON.stringify(r)}`).join(',\n');
  return `{\n  "X": [\n${rows}\n  ]\n}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(new URL('./sparse_coding.json', import.meta.url), sparseCodingJson());
}
