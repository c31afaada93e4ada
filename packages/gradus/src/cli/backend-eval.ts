import type { Tensor, TensorLike, Value } from '@gradus/autodiff';
import { cpu } from '@gradus/backends';

export const EVALUATORS = ['cpu', 'interpreter'] as const;
export type Evaluator = (typeof EVALUATORS)[number];

/**
 * Evaluates values of one graph on the CPU backend: they become the graph's outputs under
 * private names, the graph is compiled, and the feeds (inputs and every variable) are run once.
 */
export function evaluateOnCpu(
  values: readonly Value[],
  feeds: Readonly<Record<string, TensorLike>>,
  dtype: 'f32' | 'f64',
): Tensor[] {
  if (values.length === 0) return [];
  const g = values[0].g;
  const names = values.map((_, i) => `$eval${i}`);
  values.forEach((v, i) => {
    g.output(names[i], v);
  });
  try {
    const exe = cpu.compile(g, { dtype, outputs: names });
    const out = exe.run(feeds);
    return names.map((n) => out[n]);
  } finally {
    for (const n of names) g.outputs.delete(n);
  }
}
