import { type Graph, topoSort } from '@gradus/autodiff';
import { generateGpu } from './codegen.js';

/**
 * The gpu.js kernels a graph compiles to under `dims` (for `gradus compile --emit gpu` and
 * snapshots). Generation needs no GPU context: it is the same code `gpu.compile` runs.
 */
export function gpuKernelSource(
  g: Graph,
  opts: {
    readonly outputs?: readonly string[];
    readonly dims?: Record<string, number>;
    readonly fuse?: boolean;
  } = {},
): string {
  const names = opts.outputs ?? [...g.outputs.keys()];
  const targets = names.map((n) => {
    const o = g.outputs.get(n);
    if (!o) throw new Error(`no output named '${n}'`);
    return o.node;
  });
  const updates = [...g.updates].map(([name, v]) => [g.variables.get(name)!, v] as const);
  const order = topoSort([...targets, ...updates.flat()]);
  return generateGpu(order, targets, updates, opts.dims ?? {}, { fuse: opts.fuse }).source;
}
