import type { Graph } from '@gradus/autodiff';
import type { Backend } from '../backend.js';
import { type CpuCompileOptions, CpuExecutable } from './executable.js';

export { type CpuCompileOptions, CpuExecutable } from './executable.js';

export interface CpuBackend extends Backend {
  compile(g: Graph, opts?: CpuCompileOptions): CpuExecutable;
}

/** The CPU backend: graphs compiled to generated JavaScript over typed arrays. */
export const cpu: CpuBackend = {
  name: 'cpu',
  compile: (g, opts) => new CpuExecutable(g, opts),
};
