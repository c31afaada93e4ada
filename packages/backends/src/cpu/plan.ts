/**
 * Memory planning: every materialised node gets a buffer. Inputs, variables and constants have
 * their own; intermediates share a pool by liveness (a buffer is reused once its last reader has
 * run), so a steady-state run allocates nothing. `Reshape` (and an unfused `StopGradient`) is free:
 * it aliases its input's buffer.
 */
import { type DType, isFloat, type Node } from '@gradus/autodiff';
import { isLeaf, type Schedule } from './schedule.js';

export type ArrayCtor = 'Float32Array' | 'Float64Array' | 'Int32Array' | 'Uint8Array';

export type BufferKind = 'input' | 'variable' | 'const' | 'temp' | 'stage';

export interface BufferSpec {
  readonly id: number;
  readonly kind: BufferKind;
  readonly ctor: ArrayCtor;
  readonly length: number;
  /** The leaf that owns an input, variable or const buffer (host side only; never in the source). */
  readonly leaf?: Node;
}

export interface Plan {
  readonly buffers: readonly BufferSpec[];
  readonly bufOf: ReadonlyMap<Node, number>;
}

export function ctorOf(dtype: DType, precision: 'f32' | 'f64'): ArrayCtor {
  if (isFloat(dtype)) return precision === 'f32' ? 'Float32Array' : 'Float64Array';
  return dtype === 'i32' ? 'Int32Array' : 'Uint8Array';
}

/** The nodes whose buffers a step reads (the external inputs of its inline members). */
export function readsOf(step: Node, s: Schedule): Node[] {
  const inl = s.members.get(step);
  if (!inl) return [...step.inputs];
  const set = new Set(inl);
  const reads = new Set<Node>();
  for (const m of inl) for (const i of m.inputs) if (!set.has(i)) reads.add(i);
  if (!set.has(step)) for (const i of step.inputs) if (!set.has(i)) reads.add(i);
  return [...reads];
}

/**
 * `inPlace` maps update values to the variables they become: such a value is computed straight
 * into its variable's buffer (see `inPlaceUpdates` for when that is safe), so committing it
 * copies nothing.
 */
export function planBuffers(
  s: Schedule,
  results: ReadonlySet<Node>,
  sizeOf: (n: Node) => number,
  precision: 'f32' | 'f64',
  pool = true,
  inPlace?: ReadonlyMap<Node, Node>,
): Plan {
  const buffers: BufferSpec[] = [];
  const bufOf = new Map<Node, number>();
  const add = (spec: Omit<BufferSpec, 'id'>): number => {
    buffers.push({ ...spec, id: buffers.length });
    return buffers.length - 1;
  };
  for (const n of s.order) {
    if (!isLeaf(n)) continue;
    const kind: BufferKind = n.op === 'Input' ? 'input' : n.op === 'Variable' ? 'variable' : 'const';
    bufOf.set(n, add({ kind, ctor: ctorOf(n.dtype, precision), length: sizeOf(n), leaf: n }));
  }
  // Liveness: the last step reading each node (through aliases); results live to the end.
  const root = (n: Node): Node => (s.aliases.has(n) ? root(n.inputs[0]) : n);
  const lastUse = new Map<Node, number>();
  s.steps.forEach((step, k) => {
    for (const r of readsOf(step, s)) lastUse.set(root(r), k);
  });
  for (const r of results) lastUse.set(root(r), Number.POSITIVE_INFINITY);
  const free = new Map<string, number[]>();
  const releaseAt = new Map<number, number[]>();
  s.steps.forEach((step, k) => {
    for (const id of releaseAt.get(k) ?? []) {
      const b = buffers[id];
      const key = `${b.ctor}:${b.length}`;
      const list = free.get(key);
      if (list) list.push(id);
      else free.set(key, [id]);
    }
    if (s.aliases.has(step)) {
      bufOf.set(step, bufOf.get(root(step)) as number);
      return;
    }
    const into = inPlace?.get(step);
    if (into) {
      bufOf.set(step, bufOf.get(into) as number);
      return;
    }
    const ctor = ctorOf(step.dtype, precision);
    const length = sizeOf(step);
    const reuse = pool ? free.get(`${ctor}:${length}`)?.pop() : undefined;
    const id = reuse ?? add({ kind: 'temp', ctor, length });
    bufOf.set(step, id);
    const last = lastUse.get(step) ?? k;
    if (Number.isFinite(last)) {
      const list = releaseAt.get(last + 1);
      if (list) list.push(id);
      else releaseAt.set(last + 1, [id]);
    }
  });
  return { buffers, bufOf };
}
