import type { Graph } from '@gradus/autodiff';
import type { Backend } from '../backend.js';
import { type CpuCompileOptions, CpuExecutable } from './executable.js';

export { type CpuCompileOptions as JsCompileOptions, CpuExecutable as JsExecutable } from './executable.js';

export interface JsBackend extends Backend {
  compile(g: Graph, opts?: CpuCompileOptions): CpuExecutable;
}

/** The JavaScript backend: graphs compiled to generated JavaScript over typed arrays. */
export const js: JsBackend = {
  name: 'js',
  compile: (g, opts) => new CpuExecutable(g, opts),
};
