/**
 * Test support for the emitters: the lecture models (`models/`), a seeded data batch of the declared shapes,
 * an in-process `tsc --strict` over several generated modules at once, and loading a generated
 * module without touching the file system.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type FloatDType,
  type Graph,
  type Mode,
  type Node,
  STEP_INPUT,
  topoSort,
  uniformAt,
} from '@gradus/autodiff';
import ts from 'typescript';
import { type Lowered, lower } from '../lower/index.js';
import { parse } from '../syntax/parse.js';

export const MODELS_DIR = fileURLToPath(new URL('../../../../models/', import.meta.url));

export const MODEL_FILES = readdirSync(MODELS_DIR)
  .filter((f) => f.endsWith('.model'))
  .sort();

export function lowerModel(
  file: string,
  opts: { mode?: Mode; floatDtype?: FloatDType; seed?: number } = {},
): Lowered {
  const { program, diagnostics } = parse(readFileSync(`${MODELS_DIR}${file}`, 'utf8'));
  const lowered = lower(program, {
    mode: opts.mode ?? 'train',
    floatDtype: opts.floatDtype ?? 'f64',
    seed: opts.seed ?? 1,
  });
  if (!lowered.result)
    throw new Error(`${file} does not lower: ${JSON.stringify([...diagnostics, ...lowered.diagnostics])}`);
  return lowered.result;
}

/**
 * How many classes an integer input may take: the smallest depth of a OneHot or Gather that
 * reads it directly (labels index the logits' class axis), else 2.
 */
function labelRange(g: Graph, input: Node): number {
  let range = Infinity;
  for (const n of topoSort(g.roots())) {
    if (n.op === 'OneHot' && n.inputs[0] === input) range = Math.min(range, n.attrs.depth as number);
    if (n.op === 'Gather' && n.inputs[1] === input) {
      range = Math.min(range, n.inputs[0].shape[n.attrs.axis as number] as number);
    }
    if (n.op === 'Take' && n.inputs[1] === input) range = Math.min(range, n.inputs[0].shape[0] as number);
  }
  return Number.isFinite(range) ? range : 2;
}

/** A seeded batch for every data input, symbolic dims set to `dims`; floats in [-1, 1). */
export function makeInputs(
  g: Graph,
  dims: Readonly<Record<string, number>>,
  seed = 42,
): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  let stream = 1000;
  for (const [name, node] of g.inputs) {
    if (name === STEP_INPUT) continue;
    const size = node.shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : (dims[d] ?? NaN)), 1);
    const s = stream++;
    const range = node.dtype === 'i32' ? labelRange(g, node) : 2;
    out[name] = Array.from({ length: size }, (_, i) => {
      const u = uniformAt(seed, s, 0, i);
      return node.dtype === 'i32' || node.dtype === 'bool' ? Math.floor(u * range) : 2 * u - 1;
    });
  }
  return out;
}

const COMPILER_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  noUnusedLocals: true,
  noImplicitReturns: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  lib: ['lib.es2022.d.ts'],
  types: [],
  skipLibCheck: true,
};

/** `tsc --strict --noEmit` over in-memory modules (one program for all): formatted errors, '' if none. */
export function typeCheck(modules: Readonly<Record<string, string>>): string {
  const files = new Map(Object.entries(modules).map(([name, text]) => [`/virtual/${name}.ts`, text]));
  const host = ts.createCompilerHost(COMPILER_OPTIONS);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, lang, ...rest) => {
    const text = files.get(name);
    return text !== undefined
      ? ts.createSourceFile(name, text, lang)
      : getSourceFile.call(host, name, lang, ...rest);
  };
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
  host.readFile = (name) => files.get(name) ?? readFile.call(host, name);
  const program = ts.createProgram([...files.keys()], COMPILER_OPTIONS, host);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => '/virtual',
    getNewLine: () => '\n',
  });
}

type Arrays = Record<string, ArrayLike<number>>;

/** The surface of an emitted module, as the tests use it. */
export interface EmittedModule {
  readonly MODEL_NAME: string;
  readonly PARAM_SHAPES: Record<string, readonly (number | string)[]>;
  readonly INPUT_SHAPES: Record<string, readonly (number | string)[]>;
  initialState(): Arrays;
  forward(
    params: Arrays,
    inputs: Arrays,
    options?: { step?: number; state?: Arrays; dims?: Record<string, number> },
  ): {
    outputs: Record<string, ArrayLike<number> | number>;
    metrics: Record<string, number>;
    loss?: number;
    state: Arrays;
  };
  lossAndGrad?(
    params: Arrays,
    inputs: Arrays,
    options?: { step?: number; state?: Arrays; dims?: Record<string, number> },
  ): { loss: number; grads: Arrays; state: Arrays };
}

/** Transpiles a generated module to CommonJS and evaluates it; it imports nothing, so no loader is needed. */
export function loadModule(source: string): EmittedModule {
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const exports: Record<string, unknown> = {};
  new Function('exports', js)(exports);
  return exports as unknown as EmittedModule;
}

/** The largest relative difference |a − b| / max(|a|, |b|) over two arrays (0 for equal values, NaNs included). */
export function maxRelDiff(a: ArrayLike<number> | number, b: ArrayLike<number> | number): number {
  const xs = typeof a === 'number' ? [a] : Array.from(a);
  const ys = typeof b === 'number' ? [b] : Array.from(b);
  if (xs.length !== ys.length) return Infinity;
  let worst = 0;
  xs.forEach((x, i) => {
    const y = ys[i];
    if (Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))) return;
    const scale = Math.max(Math.abs(x), Math.abs(y));
    worst = Math.max(worst, scale === 0 ? 0 : Math.abs(x - y) / scale);
  });
  return worst;
}
