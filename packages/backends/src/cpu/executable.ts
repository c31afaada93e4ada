import {
  diagnostic,
  GradusError,
  type Graph,
  type Node,
  normalAt,
  STEP_INPUT,
  type Tensor,
  type TensorLike,
  uniformAt,
} from '@gradus/autodiff';
import { MatmulHelperThread } from '#matmul-threads';
import type { BoundRun, CompileOptions, Executable } from '../backend.js';
import { boundRun, dataInputs } from '../bound-run.js';
import { bindFeeds, copyFeed, type FedVariables, leafName } from '../feeds.js';
import { collectOutputs, programOf } from '../program.js';
import { Specialisations, sizeValue } from '../specialisations.js';
import {
  fedVariables,
  initialVariable,
  readWrite,
  type VariableSlot,
  variableSlot,
  variableSlots,
} from '../variables.js';
import { generate, type Module } from './codegen.js';
import type { ArrayCtor } from './plan.js';

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

interface CpuVariableSlot extends VariableSlot {
  data?: Buffer;
}

export class CpuExecutable implements Executable {
  readonly backend = 'js';
  readonly variables: readonly string[];
  private readonly precision: 'f32' | 'f64';
  private readonly seed: number;
  private readonly outputNames: readonly string[];
  private readonly targets: readonly Node[];
  private readonly updates: readonly (readonly [Node, Node])[];
  private readonly order: readonly Node[];
  private readonly leaves: readonly Node[];
  private readonly slots: Map<string, CpuVariableSlot>;
  private readonly cache = new Specialisations<Specialisation>();
  /** Whether any leaf has a symbolic dim (otherwise there is one specialisation and no binding). */
  private readonly symbolic: boolean;
  private readonly stepLeaf: Node | undefined;
  private readonly fedScratch: [Node, ArrayLike<number>][] = [];
  private readonly fedVariables: FedVariables;
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
    this.slots = variableSlots(g);
    this.fedVariables = fedVariables(this.slots, (name, value, dims) =>
      this.writeVariable(name, value, dims),
    );
    this.stepLeaf = this.leaves.find((n) => n.op === 'Input' && leafName(n) === STEP_INPUT);
  }

  run(feeds: Readonly<Record<string, TensorLike>>): Record<string, Tensor> {
    const fedInputs = this.fedScratch;
    const dims = bindFeeds(feeds, this.leaves, this.symbolic, this.fedVariables, fedInputs);
    const spec = this.symbolic || !this.cache.last ? this.specialise(dims) : this.cache.last;
    if (!this.variablesReady) {
      for (const leaf of this.leaves) {
        if (leaf.op === 'Variable') this.ensureVariable(leaf, dims);
      }
      this.variablesReady = !this.symbolic;
    }
    for (const [leaf, data] of fedInputs) {
      const id = spec.module.bufOf.get(leaf) as number;
      copyFeed(leafName(leaf), leaf.dtype, data, spec.buffers[id]);
    }
    fedInputs.length = 0;
    const step = this.stepLeaf;
    if (step && !Object.hasOwn(feeds, STEP_INPUT)) spec.buffers[spec.module.bufOf.get(step) as number][0] = 0;
    if (spec.attached !== this.storageVersion) this.attachVariables(spec);
    spec.run();
    const out = collectOutputs(this.outputNames, this.targets, spec.module.shapeOf, (_node, k) => {
      const buf = spec.buffers[spec.module.targets[k]];
      const data = new Float64Array(buf.length);
      data.set(buf);
      return data;
    });
    spec.commit();
    return out;
  }

  read(name: string): Tensor {
    const slot = variableSlot(this.slots, name);
    this.ensureVariable(slot.node, {});
    return { shape: [...slot.shape!], dtype: slot.node.dtype, data: Float64Array.from(slot.data!) };
  }

  write(name: string, value: TensorLike): void {
    this.writeVariable(name, value, {});
  }

  private writeVariable(name: string, value: TensorLike, dims: Record<string, number>): void {
    const slot = variableSlot(this.slots, name);
    const written = readWrite(slot, name, value, dims);
    if (!slot.data || slot.data.length !== written.data.length) {
      slot.data = allocate(this.ctor(slot.node), written.data.length, this.shared);
      this.storageVersion++;
    }
    slot.shape = written.shape;
    copyFeed(name, slot.node.dtype, written.data, slot.data);
  }

  /** The specialisation of `dims` bound for repeated runs: its inputs are its own typed arrays. */
  bind(dims: Readonly<Record<string, number>>): BoundRun {
    const spec = this.specialise({ ...dims });
    for (const leaf of this.leaves) if (leaf.op === 'Variable') this.ensureVariable(leaf, { ...dims });
    const { module } = spec;
    const inputs: Record<string, Buffer> = Object.create(null);
    for (const leaf of dataInputs(this.leaves))
      inputs[leafName(leaf)] = spec.buffers[module.bufOf.get(leaf) as number];
    const step = this.stepLeaf ? spec.buffers[module.bufOf.get(this.stepLeaf) as number] : undefined;
    const version = this.storageVersion;
    return boundRun({
      dims,
      inputs,
      step,
      outputs: new Map(this.outputNames.map((name, k) => [name, spec.buffers[module.targets[k]]])),
      current: () => this.storageVersion === version,
      run: () => {
        if (spec.attached !== this.storageVersion) this.attachVariables(spec);
        spec.run();
        spec.commit();
      },
    });
  }

  source(dims?: Record<string, number>): string {
    if (dims !== undefined) return this.specialise(dims).module.source;
    if (this.cache.last) return this.cache.last.module.source;
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
  }

  /** How many specialisations (dims bindings) are compiled and cached. */
  get specialisations(): number {
    return this.cache.size;
  }

  // ---- internals ------------------------------------------------------------------------------

  private ctor(n: Node): ArrayCtor {
    if (n.dtype === 'i32') return 'Int32Array';
    if (n.dtype === 'bool') return 'Uint8Array';
    return this.precision === 'f32' ? 'Float32Array' : 'Float64Array';
  }

  private ensureVariable(n: Node, dims: Record<string, number>): void {
    const slot = this.slots.get(leafName(n))!;
    if (slot.data) return;
    const { shape, init } = initialVariable(n, dims, this.seed);
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
    return this.cache.get(dims, () => {
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
      return spec;
    });
  }
}
