import {
  diagnostic,
  GradusError,
  type Graph,
  type Node,
  normalAt,
  STEP_INPUT,
  type Tensor,
  type TensorLike,
} from '@gradus/autodiff';
import { autoThreads, dropProgram, ensureHelpers, registerProgram, runParts } from '#wasm-pool';
import type { BoundRun, CompileOptions, Executable } from '../backend.js';
import { boundRun, dataInputs } from '../bound-run.js';
import type { ArrayCtor } from '../cpu/plan.js';
import { bindFeeds, copyFeed, type FedVariables, leafName } from '../feeds.js';
import { collectOutputs, type Program, programOf } from '../program.js';
import { Specialisations, sizeValue } from '../specialisations.js';
import {
  fedVariables,
  initialVariable,
  readWrite,
  type VariableSlot,
  variableSlot,
  variableSlots,
} from '../variables.js';
import { Arena } from './arena.js';
import { elementBytes, generateWasm, paddedBytes, unsupportedOp, type WasmProgram } from './codegen.js';
import { gemmScratchBytes, type Precision } from './gemm.js';
import { libraryModule } from './library.js';
import { WA, type WasmExports, type WasmInstance } from './wasm-api.js';

/** Options of the wasm backend (compatible extensions of `CompileOptions`). */
export interface WasmCompileOptions extends CompileOptions {
  /** Fuse elementwise chains and reductions (default true). */
  readonly fuse?: boolean;
  /** Reuse intermediate buffers by liveness (default true). */
  readonly pool?: boolean;
  /**
   * Threads that share large kernels (split along their outputs, so results do not depend on
   * it): 1, 2, … or `'auto'` (default): the machine's cores. Small kernels always run on one.
   */
  readonly threads?: number | 'auto';
  /** Estimated nanoseconds of work from which a kernel is split (default 40,000). */
  readonly parallelMin?: number;
}

type View = Float32Array | Float64Array | Int32Array;

function viewOf(buffer: ArrayBufferLike, ctor: ArrayCtor, at: number, length: number): View {
  if (ctor === 'Float32Array') return new Float32Array(buffer, at, length);
  if (ctor === 'Float64Array') return new Float64Array(buffer, at, length);
  return new Int32Array(buffer, at, length);
}

interface WasmSpec {
  readonly program: WasmProgram;
  readonly run: () => void;
  readonly commit: () => void;
  readonly poolId?: number;
  views: View[];
  viewsOver?: ArrayBufferLike;
}

interface WasmVariableSlot extends VariableSlot {
  addr?: number;
  length?: number;
  ctor?: ArrayCtor;
}

/** Pool registrations of executables dropped without `dispose()` are removed when collected. */
const reaper = new FinalizationRegistry<number[]>((ids) => {
  for (const id of ids) dropProgram(id);
});

export class WasmExecutable implements Executable {
  readonly backend = 'wasm';
  readonly variables: readonly string[];
  readonly threads: number;
  private readonly precision: Precision;
  private readonly seed: number;
  private readonly prog: Program;
  private readonly slots: Map<string, WasmVariableSlot>;
  private readonly cache = new Specialisations<WasmSpec>();
  private readonly arena = new Arena();
  private readonly lib: WasmInstance;
  private readonly stepLeaf: Node | undefined;
  private readonly fedScratch: [Node, ArrayLike<number>][] = [];
  private readonly fedVariables: FedVariables;
  private readonly poolIds: number[] = [];
  private gemmScratch?: { base: number; stride: number };
  private variablesReady = false;
  /** Bumped when a variable's storage moves (bound runs over the old programs refuse to run). */
  private storageVersion = 0;

  constructor(
    readonly g: Graph,
    private readonly opts: WasmCompileOptions = {},
  ) {
    this.precision = opts.dtype ?? g.floatDtype;
    this.seed = opts.seed ?? g.seed;
    const t = opts.threads ?? 'auto';
    this.threads = t === 'auto' ? autoThreads() : Math.max(1, Math.floor(t));
    this.prog = programOf(g, opts.outputs);
    this.variables = this.prog.variables;
    const missing = unsupportedOp(this.prog.order);
    if (missing) {
      throw new GradusError(
        diagnostic('E0440', `the wasm backend has no kernel for ${missing.op}: ${missing.why}`, {
          hint: 'use --backend js, or --backend auto to fall back to it',
        }),
      );
    }
    this.slots = variableSlots(g);
    this.fedVariables = fedVariables(this.slots, (name, value, dims) =>
      this.writeVariable(name, value, dims),
    );
    this.stepLeaf = this.prog.leaves.find((n) => n.op === 'Input' && leafName(n) === STEP_INPUT);
    this.lib = new WA.Instance(libraryModule(this.precision), { env: { memory: this.arena.memory } });
    if (this.threads > 1) ensureHelpers(this.threads);
    reaper.register(this, this.poolIds, this);
  }

  run(feeds: Readonly<Record<string, TensorLike>>): Record<string, Tensor> {
    const fed = this.fedScratch;
    const dims = bindFeeds(feeds, this.prog.leaves, this.prog.symbolic, this.fedVariables, fed);
    const spec = this.prog.symbolic || !this.cache.last ? this.specialise(dims) : this.cache.last;
    if (!this.variablesReady) {
      for (const leaf of this.prog.leaves) if (leaf.op === 'Variable') this.ensureVariable(leaf, dims);
      this.variablesReady = !this.prog.symbolic;
    }
    const views = this.viewsOf(spec);
    const { program } = spec;
    for (const [leaf, data] of fed)
      copyFeed(leafName(leaf), leaf.dtype, data, views[program.bufOf.get(leaf) as number]);
    fed.length = 0;
    const step = this.stepLeaf;
    if (step && !Object.hasOwn(feeds, STEP_INPUT)) views[program.bufOf.get(step) as number][0] = 0;
    spec.run();
    const out = collectOutputs(this.prog.outputNames, this.prog.targets, program.shapeOf, (_n, k) =>
      Float64Array.from(views[program.targets[k]]),
    );
    spec.commit();
    return out;
  }

  read(name: string): Tensor {
    const slot = variableSlot(this.slots, name);
    this.ensureVariable(slot.node, {});
    return {
      shape: [...slot.shape!],
      dtype: slot.node.dtype,
      data: Float64Array.from(this.variableView(slot)),
    };
  }

  write(name: string, value: TensorLike): void {
    this.writeVariable(name, value, {});
  }

  /**
   * The specialisation of `dims` bound for repeated runs: its inputs are views of the arena, so a
   * minibatch written there is what the next run reads (no copy, no conversion, no allocation).
   */
  bind(dims: Readonly<Record<string, number>>): BoundRun {
    const spec = this.specialise({ ...dims });
    for (const leaf of this.prog.leaves) if (leaf.op === 'Variable') this.ensureVariable(leaf, { ...dims });
    const views = this.viewsOf(spec);
    const { program } = spec;
    const inputs: Record<string, View> = Object.create(null);
    for (const leaf of dataInputs(this.prog.leaves))
      inputs[leafName(leaf)] = views[program.bufOf.get(leaf) as number];
    const step = this.stepLeaf ? views[program.bufOf.get(this.stepLeaf) as number] : undefined;
    const version = this.storageVersion;
    return boundRun({
      dims,
      inputs,
      step,
      outputs: new Map(this.prog.outputNames.map((name, k) => [name, views[program.targets[k]]])),
      current: () => this.storageVersion === version,
      run: () => {
        spec.run();
        spec.commit();
      },
    });
  }

  /** The kernel listing of the specialisation of `dims` (compiled if needed), or of the latest one. */
  source(dims?: Record<string, number>): string {
    if (dims !== undefined) return this.specialise(dims).program.listing;
    if (this.cache.last) return this.cache.last.program.listing;
    return this.specialise({}).program.listing;
  }

  /** How many specialisations (dims bindings) are compiled and cached. */
  get specialisations(): number {
    return this.cache.size;
  }

  /** Bytes of the arena in use (variables, buffers and scratch of every specialisation). */
  get arenaBytes(): number {
    return this.arena.used;
  }

  /** Forgets the worker threads' copies of this executable's programs. */
  dispose(): void {
    for (const id of this.poolIds.splice(0)) dropProgram(id);
    reaper.unregister(this);
    this.cache.clear();
  }

  // ---- internals ------------------------------------------------------------------------------

  private ctor(n: Node): ArrayCtor {
    if (n.dtype === 'i32' || n.dtype === 'bool') return 'Int32Array';
    return this.precision === 'f32' ? 'Float32Array' : 'Float64Array';
  }

  private variableView(slot: WasmVariableSlot): View {
    return viewOf(this.arena.memory.buffer, slot.ctor!, slot.addr!, slot.length!);
  }

  private writeVariable(name: string, value: TensorLike, dims: Record<string, number>): void {
    const slot = variableSlot(this.slots, name);
    const written = readWrite(slot, name, value, dims);
    this.place(slot, written.data.length);
    slot.shape = written.shape;
    copyFeed(name, slot.node.dtype, written.data, this.variableView(slot));
  }

  /** Gives a variable storage of `length` elements (new storage invalidates every specialisation). */
  private place(slot: WasmVariableSlot, length: number): void {
    if (slot.addr !== undefined && slot.length === length) return;
    const moved = slot.addr !== undefined;
    const ctor = this.ctor(slot.node);
    slot.ctor = ctor;
    slot.length = length;
    slot.addr = this.arena.alloc(paddedBytes({ ctor, length }), `variable '${leafName(slot.node)}'`);
    if (moved) {
      // Addresses are constants in the generated code: programs over the old storage are rebuilt.
      this.storageVersion++;
      for (const id of this.poolIds.splice(0)) dropProgram(id);
      this.cache.clear();
    }
  }

  private ensureVariable(n: Node, dims: Record<string, number>): void {
    const slot = this.slots.get(leafName(n))!;
    if (slot.addr !== undefined) return;
    const { shape, init } = initialVariable(n, dims, this.seed);
    this.place(slot, init.length);
    this.variableView(slot).set(init);
    slot.shape = shape;
  }

  private viewsOf(spec: WasmSpec): View[] {
    const buffer = this.arena.memory.buffer;
    if (spec.viewsOver !== buffer) {
      spec.views = spec.program.buffers.map((b, i) => viewOf(buffer, b.ctor, spec.program.addr[i], b.length));
      spec.viewsOver = buffer;
    }
    return spec.views;
  }

  private specialise(dims: Record<string, number>): WasmSpec {
    return this.cache.get(dims, () => {
      for (const leaf of this.prog.leaves) if (leaf.op === 'Variable') this.ensureVariable(leaf, dims);
      const program = generateWasm(this.prog.order, this.prog.targets, this.prog.updates, dims, {
        precision: this.precision,
        fuse: this.opts.fuse,
        pool: this.opts.pool,
        threads: this.threads,
        parallelMin: this.opts.parallelMin ?? 40_000,
        arena: this.arena,
        variableAddress: (leaf) => this.slots.get(leafName(leaf))!.addr!,
        gemmScratch: () => this.gemmScratchRegion(),
      });
      const buffer = this.arena.memory.buffer;
      program.buffers.forEach((b, i) => {
        const leaf = b.leaf;
        if (b.kind !== 'const' || !leaf) return;
        const view = viewOf(buffer, b.ctor, program.addr[i], b.length);
        if (leaf.op === 'Const') view.set(leaf.attrs.value as number[]);
        else view[0] = program.shapeOf(leaf).length === 0 ? sizeValue(leaf, dims) : 0;
      });
      const module = new WA.Module(program.bytes);
      const memory = this.arena.memory;
      let exports: WasmExports = {};
      let poolId = 0;
      const local = (task: number, lo: number, hi: number, part: number) =>
        (exports.task as (t: number, lo: number, hi: number, p: number) => void)(task, lo, hi, part);
      const instance = new WA.Instance(module, {
        env: { memory },
        lib: { gemm: this.lib.exports.gemm },
        host: {
          sin: Math.sin,
          cos: Math.cos,
          pow: Math.pow,
          log: Math.log,
          tanh: Math.tanh,
          normal: (seed: number, stream: number, step: number, i: number) =>
            normalAt(seed >>> 0, stream >>> 0, step, i),
          par: (task: number, total: number) =>
            runParts(poolId, task, total, program.tasks[task].align, this.threads, local),
        },
      });
      exports = instance.exports;
      if (program.tasks.length > 0) {
        poolId = registerProgram({ module, lib: libraryModule(this.precision), memory });
        this.poolIds.push(poolId);
      }
      const spec: WasmSpec = {
        program,
        run: exports.run as () => void,
        commit: exports.commit as () => void,
        poolId,
        views: [],
      };
      // A fresh function's first call runs on V8's baseline tier; one call here starts its
      // optimisation before the first step. Updates computed in place write variables, so their
      // bytes are put back afterwards.
      const saved = program.buffers
        .map((b, i) => ({ b, at: program.addr[i] }))
        .filter(({ b }) => b.kind === 'variable')
        .map(({ b, at }) => ({ at, bytes: new Uint8Array(buffer, at, b.length * elementBytes(b)).slice() }));
      spec.run();
      const after = this.arena.memory.buffer;
      for (const { at, bytes } of saved) new Uint8Array(after, at, bytes.length).set(bytes);
      return spec;
    });
  }

  private gemmScratchRegion(): { base: number; stride: number } {
    if (!this.gemmScratch) {
      const stride = Math.ceil(gemmScratchBytes(this.precision) / 64) * 64;
      this.gemmScratch = { base: this.arena.alloc(stride * this.threads, 'matrix-product scratch'), stride };
    }
    return this.gemmScratch;
  }
}
