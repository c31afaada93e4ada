import type { Graph } from '@gradus/autodiff';
import type { Backend } from '../backend.js';
import { type GpuCompileOptions, GpuExecutable } from './executable.js';

export { type GpuModule, generateGpu } from './codegen.js';
export { gpuProblem } from './context.js';
export { type GpuCompileOptions, GpuExecutable } from './executable.js';
export { gpuKernelSource } from './source.js';

export interface GpuBackend extends Backend {
  compile(g: Graph, opts?: GpuCompileOptions): GpuExecutable;
}

/**
 * The GPU backend: graphs compiled to gpu.js kernels on WebGL, single precision, tensors kept in
 * textures across runs. `compile` fails with a message naming what is missing when no GPU context
 * can be made; it never runs on the CPU instead.
 */
export const gpu: GpuBackend = {
  name: 'gpu',
  compile: (g, opts) => new GpuExecutable(g, opts),
};
