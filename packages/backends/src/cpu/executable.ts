import {
  type ConcreteShape,
  diagnostic,
  GradusError,
  type Graph,
  type InitSpec,
  initialValue,
  type Node,
  normalAt,
  STEP_INPUT,
  suggest,
  type Tensor,
  type TensorLike,
  uniformAt,
} from '@gradus/autodiff';
import type { CompileOptions, Executable } from '../backend.js';
import { bindFeed, copyFeed, leafName, readFeed } from '../feeds.js';
import { programOf } from '../program.js';
import { concreteShape, generate, type Module } from './codegen.js';
import type { ArrayCtor } from './plan.js';
import { MatmulHelperThread } from './threads.js';

/** CPU-only compile options (compatible extensions of `CompileOptions`). */
export interface CpuCompileOptions extends CompileOptions {
  /** Fuse elementwise chains and reductions (default true). */
  readonly fuse?: boolean;
  /** Reuse intermediate buffers by liveness (default true). */
  readonly pool?: boolean;
  /**
   * 2: split large matrix products (≥ `parallelMin` multiply-adds, default 2²⁰) between this
   * thread and a helper thread over SharedArrayBuffers; results do not depend on the split.
   * Default 1 (no helper thread).
   */
  readonly threads?: 1 | 2;
  readonly parallelMin?: number;
}

type Buffer = Float32Array | Float64Array | Int32Array | Uint8Array;

const CTORS: Record<ArrayCtor, new (n: number) => Buffer> = {
  Float32Array,
  Float64Array,
  Int32Array,
  Uint8Array,
};

const BYTES: Record<ArrayCtor, number> = { Float32Array: 4, Float64Array: 8, Int32Array: 4, Uint8Array: 1 };

/** Helper threads of executables that were dropped without `dispose()` stop when collected. */
const reaper = new FinalizationRegistry<MatmulHelperThread>((t) => t.stop());

/** A typed array, on a SharedArrayBuffer when a helper thread must see it. */
function allocate(ctor: ArrayCtor, n: number, shared: boolean): Buffer {
  if (!shared) return new CTORS[ctor](n);
  const C = CTORS[ctor] as unknown as new (b: SharedArrayBuffer) => Buffer;
  return new C(new SharedArrayBuffer(Math.max(1, n) * BYTES[ctor]));
}

interface Specialisation {
  readonly module: Module;
  /** The variable-storage version its closures were built against. */
  attached: number;
  readonly buffers: Buffer[];
  readonly run: () => void;
  readonly commit: () => void;
  thread?: MatmulHelperThread;
}

const NO_DIMS: Record<string, number> = Object.freeze({}) as Record<string, number>;
const EMPTY_FEED: [Node, ArrayLike<number>] = [undefined as unknown as Node, []];

interface VariableSlot {
  readonly node: Node;
  data?: Buffer;
  shape?: ConcreteShape;
}

export class CpuExecutable implements Executable {
  readonly backend = 'cpu';
  readonly variables: readonly string[];
  private readonly precision: 'f32' | 'f64';
  private readonly seed: number;
  private readonly outputNames: readonly string[];
  private readonly targets: readonly Node[];
  private readonly updates: readonly (readonly [Node, Node])[];
  private readonly order: readonly Node[];
  private readonly leaves: readonly Node[];
  private readonly slots = new Map<string, VariableSlot>();
  private readonly cache = new Map<string, Specialisation>();
  private last: Specialisation | undefined;
  /** Whether any leaf has a symbolic dim (otherwise there is one specialisation and no binding). */
  private readonly symbolic: boolean;
  private readonly stepLeaf: Node | undefined;
  private readonly fedScratch: [Node, ArrayLike<number>][] = [];
  private variablesReady = false;
  /** Bumped when a variable's storage array is replaced, so closures get rebuilt. */
  private storageVersion = 0;
  /** Buffers live on SharedArrayBuffers (a helper thread computes part of large products). */
  private readonly shared: boolean;

  constructor(
    readonly g: Graph,
    private readonly opts: CpuCompileOptions = {},
  ) {
    this.precision = opts.dtype ?? g.floatDtype;
    this.shared = (opts.threads ?? 1) > 1;
    this.seed = opts.seed ?? g.seed;
    ({
      outputNames: this.outputNames,
      targets: this.targets,
      updates: this.updates,
      order: this.order,
      leaves: this.leaves,
      variables: this.variables,
      symbolic: this.symbolic,
    } = programOf(g, opts.outputs));
    for (const [name, node] of g.variables) this.slots.set(name, { node });
    this.stepLeaf = this.leaves.find((n) => n.op === 'Input' && leafName(n) === STEP_INPUT);
  }

  run(feeds: Readonly<Record<string, TensorLike>>): Record<string, Tensor> {
    if (feeds === null || typeof feeds !== 'object') {
      throw new GradusError(diagnostic('E0403', 'run() needs an object of feeds, by input name'));
    }
    const dims: Record<string, number> = this.symbolic ? {} : NO_DIMS;
    const fedInputs = this.fedScratch;
    let fedCount = 0;
    for (const leaf of this.leaves) {
      const name = leafName(leaf);
      const value = Object.hasOwn(feeds, name) ? feeds[name] : undefined;
      if (leaf.op === 'Variable') {
        if (value !== undefined) this.writeVariable(name, value, dims);
        else if (this.symbolic) this.bindVariable(leaf, dims);
        continue;
      }
      if (value === undefined) {
        if (name === STEP_INPUT) continue;
        throw new GradusError(diagnostic('E0403', `no value given for input '${name}'`));
      }
      const fed = readFeed(name, value);
      bindFeed(name, leaf.shape, fed, dims);
      fedInputs[fedCount++] = [leaf, fed.data];
    }
    const spec = this.symbolic || !this.last ? this.specialise(dims) : this.last;
    if (!this.variablesReady) {
      for (const leaf of this.leaves) {
        if (leaf.op === 'Variable') this.ensureVariable(leaf, dims);
      }
      this.variablesReady = !this.symbolic;
    }
    for (let i = 0; i < fedCount; i++) {
      const [leaf, data] = fedInputs[i];
      const id = spec.module.bufOf.get(leaf) as number;
      copyFeed(leafName(leaf), leaf.dtype, data, spec.buffers[id]);
      fedInputs[i] = EMPTY_FEED;
    }
    const step = this.stepLeaf;
    if (step && !Object.hasOwn(feeds, STEP_INPUT)) spec.buffers[spec.module.bufOf.get(step) as number][0] = 0;
    if (spec.attached !== this.storageVersion) this.attachVariables(spec);
    spec.run();
    const out: Record<string, Tensor> = Object.create(null);
    for (let k = 0; k < this.outputNames.length; k++) {
      const node = this.targets[k];
      const buf = spec.buffers[spec.module.targets[k]];
      const data = new Float64Array(buf.length);
      data.set(buf);
      out[this.outputNames[k]] = { shape: spec.module.shapeOf(node), dtype: node.dtype, data };
    }
    spec.commit();
    return out;
  }

  read(name: string): Tensor {
    const slot = this.slot(name);
    this.ensureVariable(slot.node, {});
    return { shape: [...slot.shape!], dtype: slot.node.dtype, data: Float64Array.from(slot.data!) };
  }

  write(name: string, value: TensorLike): void {
    this.writeVariable(name, value, {});
  }

  private writeVariable(name: string, value: TensorLike, dims: Record<string, number>): void {
    const slot = this.slot(name);
    const fed = readFeed(name, value);
    const shape = bindFeed(name, slot.node.shape, fed, dims);
    if (!slot.data || slot.data.length !== fed.data.length) {
      slot.data = allocate(this.ctor(slot.node), fed.data.length, this.shared);
      this.storageVersion++;
    }
    slot.shape = [...shape];
    copyFeed(name, slot.node.dtype, fed.data, slot.data);
  }

  source(dims?: Record<string, number>): string {
    if (dims !== undefined) return this.specialise(dims).module.source;
    if (this.last) return this.last.module.source;
    return this.specialise({}).module.source;
  }

  /** Stops the helper threads of every specialisation (only `threads: 2` starts any). */
  dispose(): void {
    for (const spec of this.cache.values()) {
      if (!spec.thread) continue;
      reaper.unregister(spec.thread);
      spec.thread.stop();
      spec.thread = undefined;
    }
    this.cache.clear();
    this.last = undefined;
  }

  /** How many specialisations (dims bindings) are compiled and cached. */
  get specialisations(): number {
    return this.cache.size;
  }

  // ---- internals ------------------------------------------------------------------------------

  private slot(name: string): VariableSlot {
    const slot = this.slots.get(name);
    if (!slot) {
      const close = suggest(name, this.slots.keys());
      throw new GradusError(
        diagnostic('E0406', `no variable named '${name}'${close ? ` (did you mean '${close}'?)` : ''}`),
      );
    }
    return slot;
  }

  private ctor(n: Node): ArrayCtor {
    if (n.dtype === 'i32') return 'Int32Array';
    if (n.dtype === 'bool') return 'Uint8Array';
    return this.precision === 'f32' ? 'Float32Array' : 'Float64Array';
  }

  /** A stored variable's shape binds its symbolic dims like a feed would. */
  private bindVariable(n: Node, dims: Record<string, number>): void {
    const slot = this.slots.get(leafName(n))!;
    if (slot.shape) bindFeed(leafName(n), n.shape, { shape: slot.shape, data: slot.data! }, dims);
  }

  private ensureVariable(n: Node, dims: Record<string, number>): void {
    const slot = this.slots.get(leafName(n))!;
    if (slot.data) return;
    const shape = concreteShape(n.shape, dims, leafName(n));
    const init = initialValue(n.attrs.init as InitSpec, shape, this.seed, leafName(n));
    slot.data = allocate(this.ctor(n), init.length, this.shared);
    slot.data.set(init);
    slot.shape = shape;
  }

  /** Rebuilds a specialisation's closures over the current variable storage. */
  private attachVariables(spec: Specialisation): void {
    for (const b of spec.module.buffers) {
      if (b.kind !== 'variable' || !b.leaf) continue;
      const slot = this.slots.get(leafName(b.leaf))!;
      if (slot.data!.length !== b.length) {
        throw new GradusError(
          diagnostic(
            'E0401',
            `variable '${leafName(b.leaf)}' holds ${slot.data!.length} values, expected ${b.length}`,
          ),
        );
      }
    }
    this.rebuild(spec);
  }

  private rebuild(spec: Specialisation): void {
    const { module } = spec;
    for (const b of module.buffers) {
      if (b.kind === 'variable' && b.leaf) spec.buffers[b.id] = this.slots.get(leafName(b.leaf))!.data!;
    }
    const factory = new Function('B', 'R', module.source) as (
      B: Buffer[],
      R: Record<string, unknown>,
    ) => { run: () => void; commit: () => void };
    if (spec.thread) {
      reaper.unregister(spec.thread);
      spec.thread.stop();
    }
    const thread = module.parallel ? new MatmulHelperThread(spec.buffers) : undefined;
    if (thread) reaper.register(this, thread, thread);
    spec.thread = thread;
    const fns = factory(spec.buffers, {
      uniformAt,
      normalAt,
      mmStart: (...a: number[]) =>
        (thread as MatmulHelperThread).start(...(a as Parameters<MatmulHelperThread['start']>)),
      mmWait: () => (thread as MatmulHelperThread).wait(),
    });
    (spec as { run: () => void }).run = fns.run;
    (spec as { commit: () => void }).commit = fns.commit;
    spec.attached = this.storageVersion;
  }

  private specialise(dims: Record<string, number>): Specialisation {
    const key = JSON.stringify(
      Object.keys(dims)
        .sort()
        .map((k) => [k, dims[k]]),
    );
    const hit = this.cache.get(key);
    if (hit) {
      this.last = hit;
      return hit;
    }
    const module = generate(this.order, this.targets, this.updates, dims, {
      precision: this.precision,
      fuse: this.opts.fuse,
      pool: this.opts.pool,
      parallelMin: this.shared ? (this.opts.parallelMin ?? 1 << 20) : 0,
    });
    const buffers = module.buffers.map((b) => {
      const buf = allocate(b.ctor, b.length, module.parallel);
      const leaf = b.leaf;
      if (b.kind === 'const' && leaf) {
        if (leaf.op === 'Const') buf.set(leaf.attrs.value as number[]);
        else buf[0] = module.shapeOf(leaf).length === 0 ? sizeValue(leaf, dims) : 0;
      }
      return buf;
    });
    const spec: Specialisation = { module, buffers, attached: -1, run: () => {}, commit: () => {} };
    for (const leaf of this.leaves) if (leaf.op === 'Variable') this.ensureVariable(leaf, dims);
    this.rebuild(spec);
    this.cache.set(key, spec);
    this.last = spec;
    return spec;
  }
}

function sizeValue(n: Node, dims: Readonly<Record<string, number>>): number {
  return concreteShape(n.attrs.dims as (number | string)[], dims, 'Size').reduce((p, d) => p * d, 1);
}
