/**
 * The default CPU backend: the WebAssembly backend, except for tiny graphs (every shape known and
 * small, no matrix product), where the generated-JavaScript backend's single function with no
 * call into WebAssembly is faster per run (a scalar optimisation step: ~0.3 µs). The executable
 * says which it is (`backend`: 'wasm' or 'js'), and so does `gradus compile --emit`.
 */
import type { Graph } from '@gradus/autodiff';
import type { Backend, CompileOptions, Executable } from './backend.js';
import { js } from './cpu/index.js';
import { programOf } from './program.js';
import { unsupportedOp } from './wasm/codegen.js';
import { wasm } from './wasm/index.js';

export interface CpuCompileOptions extends CompileOptions {
  /** Fuse elementwise chains and reductions (default true). */
  readonly fuse?: boolean;
  /** Reuse intermediate buffers by liveness (default true). */
  readonly pool?: boolean;
  /** Threads of the wasm backend (default `'auto'`: the machine's cores). */
  readonly threads?: number | 'auto';
}

export interface CpuBackend extends Backend {
  compile(g: Graph, opts?: CpuCompileOptions): Executable;
}

/** Graphs up to this many elements over all their values (with no matrix product) run as JavaScript. */
export const TINY_ELEMENTS = 256;

/** Which backend the default CPU backend compiles `g` with, and why. */
export function cpuChoice(
  g: Graph,
  outputs?: readonly string[],
): { readonly backend: 'wasm' | 'js'; readonly why: string } {
  const { order, symbolic } = programOf(g, outputs);
  if (symbolic) return { backend: 'wasm', why: 'its shapes depend on the data' };
  if (order.some((n) => n.op === 'MatMul')) return { backend: 'wasm', why: 'it has matrix products' };
  const elements = order.reduce((s, n) => s + (n.shape as number[]).reduce((p, d) => p * d, 1), 0);
  return elements <= TINY_ELEMENTS
    ? {
        backend: 'js',
        why: `it is tiny (${elements} elements in all): one JavaScript function beats a call into WebAssembly`,
      }
    : { backend: 'wasm', why: `it holds ${elements} elements` };
}

export const cpu: CpuBackend = {
  name: 'cpu',
  compile: (g, opts = {}) => {
    if (cpuChoice(g, opts.outputs).backend === 'js') {
      const { threads: _t, ...rest } = opts;
      return js.compile(g, rest);
    }
    return wasm.compile(g, opts);
  },
};

/** The op of `g` the wasm backend has no kernel for, if any. */
export function wasmLacks(g: Graph, outputs?: readonly string[]): string | undefined {
  return unsupportedOp(programOf(g, outputs).order)?.op;
}

/**
 * The default CPU backend that, for a graph with an op the wasm backend lacks, runs the
 * JavaScript backend instead and says so through `say` (`--backend auto`); `cpu` itself refuses
 * such a graph (E0440) rather than switching silently.
 */
export function cpuFallingBack(
  say: (message: string) => void,
  lacks: (g: Graph, outputs?: readonly string[]) => string | undefined = wasmLacks,
): CpuBackend {
  return {
    name: 'cpu',
    compile: (g, opts = {}) => {
      const op = lacks(g, opts.outputs);
      if (op === undefined) return cpu.compile(g, opts);
      say(`the wasm backend has no kernel for ${op}: running this graph on the js backend`);
      const { threads: _t, ...rest } = opts;
      return js.compile(g, rest);
    },
  };
}
