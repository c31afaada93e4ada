import type { Graph } from '@gradus/autodiff';
import type { Backend } from '../backend.js';
import { type WasmCompileOptions, WasmExecutable } from './executable.js';

export { type WasmCompileOptions, WasmExecutable } from './executable.js';
export { relaxedSimd } from './features.js';

export interface WasmBackend extends Backend {
  compile(g: Graph, opts?: WasmCompileOptions): WasmExecutable;
}

/**
 * The WebAssembly backend: each specialisation of a graph compiled to one SIMD module over an
 * arena that keeps params and optimiser state between runs, with large kernels split across a
 * persistent pool of worker threads.
 */
export const wasm: WasmBackend = {
  name: 'wasm',
  compile: (g, opts) => new WasmExecutable(g, opts),
};
