import { type Graph, graph, init } from '@gradus/autodiff';
import { cpu } from '@gradus/backends';
import type { TrainSpec } from '../session.js';

/**
 * For the callbacks' tests: f(x) = Σ λ x² / 2 with λ = (2, 100), from (4, 0.5), the lectures'
 * ravine, as a graph (fresh each call), and a spec that trains it with plain SGD.
 */
export function ravine(mode: 'train' | 'eval'): Graph {
  const g = graph({ mode });
  const x = g.param('x', [2], init.literal([4, 0.5]));
  g.output(
    'loss',
    x
      .square()
      .mul(g.constant([1, 50]))
      .sum(),
    'loss',
  );
  return g;
}

export function ravineSpec(lr: number, steps: number, extra: Partial<TrainSpec> = {}): TrainSpec {
  return {
    modelName: 'ravine',
    graph: ravine('train'),
    evalGraph: ravine('eval'),
    inputNames: [],
    optimizer: { name: 'sgd', args: { lr } },
    steps,
    evalEvery: 1,
    seed: 0,
    backend: cpu,
    dtype: 'f64',
    ...extra,
  };
}
