import { realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatGraph, type Graph, grad, optimize, serializeGraph, symbolicDims } from '@gradus/autodiff';
import { cpuChoice, gpuKernelSource, js, wasm } from '@gradus/backends';
import type { Lowered } from '@gradus/dsl';
import { emitDot, emitTypeScript, loadModel, UsageError } from '@gradus/dsl';
import type { Io } from './output.js';

export const EMIT_KINDS = ['ir', 'text', 'dot', 'ts', 'js', 'wasm', 'gpu'] as const;
export type EmitKind = (typeof EMIT_KINDS)[number];

export interface CompileOptions {
  readonly emit: EmitKind;
  /** Values for the model's hyper-parameters (from `--hyper`). */
  readonly hypers?: Readonly<Record<string, number>>;
  readonly output?: string;
  readonly dtype?: 'f32' | 'f64';
  readonly mode?: 'train' | 'eval';
  /** Run the graph passes (simplification, CSE, folding, DCE) first; on by default. */
  readonly optimize?: boolean;
  /** For `--emit js`, `wasm` and `gpu`: the value of every symbolic dim (the batch size); default 32. */
  readonly batch?: number;
}

/** The model's graph with the gradient of the loss wrt every param as outputs `grad.<name>`. */
export function withGradients({ graph }: Lowered): Graph {
  const loss = graph.loss();
  if (loss) {
    const params = graph.params().map((p) => graph.value(p));
    grad(graph.value(loss), params).forEach((gv, i) => {
      graph.output(`grad.${params[i].node.attrs.name as string}`, gv);
    });
  }
  return graph;
}

/** `gradus compile FILE --emit KIND [-o PATH]`. */
export function compileCommand(path: string, opts: CompileOptions, io: Io): number {
  const { lowered } = loadModel(path, {
    floatDtype: opts.dtype ?? 'f64',
    mode: opts.mode ?? 'train',
    hypers: opts.hypers,
  });
  const passes = (g: Graph) => (opts.optimize === false ? g : optimize(g));
  let text: string;
  switch (opts.emit) {
    case 'ir':
      text = serializeGraph(passes(withGradients(lowered)), 2);
      break;
    case 'text':
      text = formatGraph(passes(withGradients(lowered)), { reachableOnly: true });
      break;
    case 'dot':
      text = emitDot(lowered.graph, lowered.model);
      break;
    case 'ts':
      text = emitTypeScript(lowered.graph, lowered.model, { source: path });
      break;
    case 'js':
    case 'wasm': {
      // A CPU backend's code for the forward and gradient graph, with the symbolic dims bound (a
      // specialisation is compiled per batch size): the generated JavaScript function, or the
      // WebAssembly module's kernels. The first line says which one `--backend cpu` runs.
      const g = passes(withGradients(lowered));
      const dims = Object.fromEntries(symbolicDims(g).map((d) => [d, opts.batch ?? 32]));
      const choice = cpuChoice(g);
      const backend = opts.emit === 'js' ? js : wasm;
      const exe = backend.compile(g, { dtype: opts.dtype ?? 'f64' });
      text = `// --backend cpu runs this graph as ${choice.backend}: ${choice.why}\n${exe.source(dims)}`;
      exe.dispose();
      break;
    }
    case 'gpu': {
      // The gpu backend's gpu.js kernels for the forward and gradient graph (generating them needs
      // no GPU context; running them does).
      const g = passes(withGradients(lowered));
      const dims = Object.fromEntries(symbolicDims(g).map((d) => [d, opts.batch ?? 32]));
      text = gpuKernelSource(g, { dims });
      break;
    }
  }
  if (opts.output) {
    if (samePath(opts.output, path))
      throw new UsageError(
        `refusing to write ${opts.output}: it is the model being compiled`,
        'choose another file name',
      );
    // Through a temporary file and a rename: a full disk leaves the old file, not a fragment.
    const tmp = `${opts.output}.tmp-${process.pid}`;
    try {
      writeFileSync(tmp, `${text}\n`);
      renameSync(tmp, opts.output);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new UsageError(`cannot write ${opts.output}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    io.out(`wrote ${opts.output}`);
  } else io.out(text);
  return 0;
}

/** Whether two paths name one file (through symlinks and `..`). */
function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}
