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
import type { IKernelRunShortcut, Texture } from 'gpu.js';
import type { BoundRun, CompileOptions, Executable } from '../backend.js';
import { bindByRun } from '../bound-run.js';
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
import { type GpuModule, generateGpu } from './codegen.js';
import { sharedGpu } from './context.js';

/** gpu-only compile options. */
export interface GpuCompileOptions extends CompileOptions {
  /** Fuse elementwise chains and reductions into one kernel (default true). */
  readonly fuse?: boolean;
}

interface Specialisation {
  readonly module: GpuModule;
  /** Kernels by step index (undefined for aliases and host-generated random steps). */
  readonly kernels: readonly (IKernelRunShortcut | undefined)[];
  /** Combining kernels of two-stage reductions, by step index. */
  readonly combines: readonly (IKernelRunShortcut | undefined)[];
  /** Textures of constants and sizes (uploaded once, owned by the specialisation). */
  readonly constants: Map<Node, Texture>;
}

interface GpuVariableSlot extends VariableSlot {
  texture?: Texture;
}

/** Kernels by output size and source, shared by every executable on the process's context. */
const kernelCache = new Map<string, IKernelRunShortcut>();

const UPLOAD = 'function (a) {\n  return a[this.thread.x];\n}';

function refuse(message: string): GradusError {
  return new GradusError(diagnostic('E0430', message));
}

/**
 * A graph compiled to gpu.js kernels on headless WebGL, in single precision. Every tensor lives
 * in a texture: variables (params, optimiser state, running statistics) stay there between runs,
 * intermediates are deleted as soon as their last reader has run, and only the requested outputs
 * and `read()` come back to the host.
 */
export class GpuExecutable implements Executable {
  readonly backend = 'gpu';
  readonly variables: readonly string[];
  private readonly gpu = sharedGpu();
  private readonly seed: number;
  private readonly outputNames: readonly string[];
  private readonly targets: readonly Node[];
  private readonly updates: readonly (readonly [Node, Node])[];
  private readonly order: readonly Node[];
  private readonly leaves: readonly Node[];
  private readonly slots: Map<string, GpuVariableSlot>;
  private readonly cache = new Specialisations<Specialisation>();
  private readonly symbolic: boolean;
  private readonly fedVariables: FedVariables;
  private readonly held = new Set<Texture>();

  constructor(
    readonly g: Graph,
    private readonly opts: GpuCompileOptions = {},
  ) {
    if (opts.dtype === 'f64') {
      throw refuse(
        'the gpu backend computes in single precision: compile with dtype f32 (`--dtype f32`), or use the cpu backend for f64',
      );
    }
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
  }

  /** Textures this executable holds (variables, constants, and none in between runs besides). */
  get liveTextures(): number {
    return this.held.size;
  }

  /** GL textures alive on the shared context (every executable and kernel), for leak tests. */
  static glTextures(): number {
    const { counter } = sharedGpu();
    return counter.created - counter.deleted;
  }

  run(feeds: Readonly<Record<string, TensorLike>>): Record<string, Tensor> {
    const fed: [Node, ArrayLike<number>][] = [];
    const dims = bindFeeds(feeds, this.leaves, this.symbolic, this.fedVariables, fed);
    const fedStep = fed.find(([leaf]) => leafName(leaf) === STEP_INPUT);
    const step = fedStep ? Number(fedStep[1][0]) : 0;
    const spec = this.symbolic || !this.cache.last ? this.specialise(dims) : this.cache.last;
    for (const leaf of this.leaves) if (leaf.op === 'Variable') this.ensureVariable(leaf, dims);
    const { module } = spec;
    const env = new Map<Node, Texture>();
    const owned = new Set<Texture>();
    const drop = (t: Texture | undefined) => {
      if (t && owned.delete(t)) this.release(t);
    };
    for (const [leaf, data] of fed) {
      if (!module.leaves.includes(leaf)) continue;
      const buf = new Float32Array(data.length);
      copyFeed(leafName(leaf), leaf.dtype, data, buf);
      const t = this.upload(buf);
      env.set(leaf, t);
      owned.add(t);
    }
    for (const leaf of module.leaves) {
      if (leaf.op === 'Variable') env.set(leaf, this.slots.get(leafName(leaf))!.texture!);
      else if (leaf.op === 'Input' && !env.has(leaf)) {
        // `$step` defaults to 0 when not fed.
        const t = this.upload(new Float32Array(1));
        env.set(leaf, t);
        owned.add(t);
      } else if (leaf.op !== 'Input') env.set(leaf, spec.constants.get(leaf)!);
    }
    module.steps.forEach((s, k) => {
      if (s.kind === 'alias') env.set(s.node, env.get(module.root(s.node))!);
      else if (s.kind === 'random') {
        const fn = s.node.op === 'RandomNormal' ? normalAt : uniformAt;
        const { seed, stream } = s.node.attrs as { seed: number; stream: number };
        const data = new Float32Array(s.size);
        for (let i = 0; i < s.size; i++) data[i] = fn(seed, stream, step, i);
        const t = this.upload(data);
        env.set(s.node, t);
        owned.add(t);
      } else {
        let t = this.track(spec.kernels[k]!(...s.args.map((a) => env.get(a)!)) as Texture);
        const combine = spec.combines[k];
        if (combine) {
          const partials = t;
          t = this.track(combine(partials) as Texture);
          this.release(partials);
        }
        env.set(s.node, t);
        owned.add(t);
      }
      for (const dead of module.releaseAfter[k]) drop(env.get(dead));
    });
    const out = collectOutputs(this.outputNames, this.targets, module.shapeOf, (node) =>
      Float64Array.from((env.get(node) as Texture).toArray() as Float32Array),
    );
    // Commit: every update reads old values (all computed above), then variables take the new textures.
    const next = this.updates.map(([v, src]) => [this.slots.get(leafName(v))!, env.get(src)!] as const);
    const old = new Set(next.map(([slot]) => slot.texture!));
    for (const [slot, t] of next) {
      slot.texture = t;
      owned.delete(t);
    }
    const kept = new Set([...this.slots.values()].map((s) => s.texture));
    for (const t of old) if (!kept.has(t)) this.release(t);
    for (const t of owned) if (!kept.has(t)) this.release(t);
    return out;
  }

  read(name: string): Tensor {
    const slot = variableSlot(this.slots, name);
    this.ensureVariable(slot.node, {});
    const data = Float64Array.from(slot.texture!.toArray() as Float32Array);
    return { shape: [...slot.shape!], dtype: slot.node.dtype, data };
  }

  write(name: string, value: TensorLike): void {
    this.writeVariable(name, value, {});
  }

  /** A bound run over `run()`: the gpu backend uploads its inputs at every run anyway. */
  bind(dims: Readonly<Record<string, number>>): BoundRun {
    this.specialise({ ...dims });
    return bindByRun(this, this.leaves, dims, 'f32');
  }

  source(dims?: Record<string, number>): string {
    if (dims !== undefined) return this.specialise(dims).module.source;
    if (this.cache.last) return this.cache.last.module.source;
    return this.specialise({}).module.source;
  }

  /** Deletes every texture this executable holds; it must not be run afterwards. */
  dispose(): void {
    for (const t of [...this.held]) this.release(t);
    for (const slot of this.slots.values()) slot.texture = undefined;
    this.cache.clear();
  }

  // ---- internals ------------------------------------------------------------------------------

  private track(t: Texture): Texture {
    this.held.add(t);
    return t;
  }

  private release(t: Texture): void {
    if (this.held.delete(t)) t.delete();
  }

  private kernel(source: string, size: number): IKernelRunShortcut {
    const key = `${size}\n${source}`;
    let k = kernelCache.get(key);
    if (!k) {
      k = this.gpu.gpu.createKernel(source, {
        output: [size],
        precision: 'single',
        tactic: 'precision',
        pipeline: true,
        immutable: true,
        // One compiled kernel serves every tensor with the same source and output size, whatever
        // the size of the textures it reads; without this gpu.js bakes in the first call's sizes.
        dynamicArguments: true,
      });
      kernelCache.set(key, k);
    }
    return k;
  }

  private upload(data: Float32Array): Texture {
    return this.track(this.kernel(UPLOAD, data.length)(data) as Texture);
  }

  private writeVariable(name: string, value: TensorLike, dims: Record<string, number>): void {
    const slot = variableSlot(this.slots, name);
    const written = readWrite(slot, name, value, dims);
    const buf = new Float32Array(written.data.length);
    copyFeed(name, slot.node.dtype, written.data, buf);
    if (buf.length === 0)
      throw refuse(`variable '${name}' is empty; the gpu backend cannot hold empty tensors`);
    const t = this.upload(buf);
    const prev = slot.texture;
    slot.texture = t;
    slot.shape = written.shape;
    if (prev && ![...this.slots.values()].some((s) => s.texture === prev)) this.release(prev);
  }

  private ensureVariable(n: Node, dims: Record<string, number>): void {
    const slot = this.slots.get(leafName(n))!;
    if (slot.texture) return;
    const { shape, init } = initialVariable(n, dims, this.seed);
    slot.texture = this.upload(Float32Array.from(init));
    slot.shape = shape;
  }

  private specialise(dims: Record<string, number>): Specialisation {
    return this.cache.get(dims, () => {
      const { maxTextureSize } = this.gpu;
      const module = generateGpu(this.order, this.targets, this.updates, dims, {
        maxElements: maxTextureSize * maxTextureSize,
        fuse: this.opts.fuse,
      });
      const kernels = module.steps.map((s) =>
        s.kind === 'kernel' ? this.kernel(s.source, s.combine ? s.combine.partialSize : s.size) : undefined,
      );
      const combines = module.steps.map((s) =>
        s.combine ? this.kernel(s.combine.source, s.size) : undefined,
      );
      const constants = new Map<Node, Texture>();
      for (const leaf of module.leaves) {
        if (leaf.op === 'Const')
          constants.set(leaf, this.upload(Float32Array.from(leaf.attrs.value as number[])));
        else if (leaf.op === 'Size') constants.set(leaf, this.upload(Float32Array.of(sizeValue(leaf, dims))));
      }
      return { module, kernels, combines, constants };
    });
  }
}
