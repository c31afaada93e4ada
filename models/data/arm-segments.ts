/**
 * Makes `arm_segments.json`, the data of `../arm_segments.model`: short walks along the arms of
 * the lectures' three-armed spiral, each labelled with its arm. A walk of T points starts at a
 * seeded radius s in [0.1, 0.6] and steps outward by 0.05: r_k = s + 0.05k,
 * t_k = 4(j + r_k) + 0.15·normal(), point k = (r_k sin t_k, r_k cos t_k). Every number comes
 * from Gradus's counter-based generator, so the file is the same on every machine; a test checks
 * that the committed file is exactly what this makes.
 *
 *   pnpm tsx models/data/arm-segments.ts
 */
import { writeFileSync } from 'node:fs';
import { normalAt, streamOf, uniformAt } from '@gradus/autodiff';

export interface ArmSegments {
  /** [walks, steps, 2] */
  readonly x: number[][][];
  /** [walks]: the arm, 0 to classes − 1 */
  readonly y: number[];
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;

export function armSegments(classes = 3, walks = 40, steps = 8, seed = 5): ArmSegments {
  const x: number[][][] = [];
  const y: number[] = [];
  const start = streamOf('arm-segments:start');
  const noise = streamOf('arm-segments:noise');
  for (let j = 0; j < classes; j++) {
    for (let w = 0; w < walks; w++) {
      const id = j * walks + w;
      const s = 0.1 + 0.5 * uniformAt(seed, start, 0, id);
      const walk: number[][] = [];
      for (let k = 0; k < steps; k++) {
        const r = s + 0.05 * k;
        const t = 4 * (j + r) + 0.15 * normalAt(seed, noise, 0, id * steps + k);
        walk.push([round(r * Math.sin(t)), round(r * Math.cos(t))]);
      }
      x.push(walk);
      y.push(j);
    }
  }
  return { x, y };
}

/** The file's text: one walk per line, so that it reads (and diffs) as data. */
export function armSegmentsJson(data: ArmSegments = armSegments()): string {
  const walks = data.x.map((w) => `    ${JSON.stringify(w)}`).join(',\n');
  return `{\n  "x": [\n${walks}\n  ],\n  "y": ${JSON.stringify(data.y)}\n}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(new URL('./arm_segments.json', import.meta.url), armSegmentsJson());
}
