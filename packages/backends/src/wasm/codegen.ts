/**
 * Generates the WebAssembly module of one specialisation (one binding of the symbolic dims). The
 * schedule (which nodes fuse) and the buffer plan (which intermediates share memory) are the
 * JavaScript backend's own; here every buffer gets a fixed address in the executable's arena, each
 * scheduled step becomes a function `k(lo, hi, part)`, and `run()` calls them in order (large ones
 * through the host's `par`, which runs them in parts on the worker pool). `commit()` copies the
 * updates into the variables; `task(id, lo, hi, part)` is the workers' entry point.
 */
import { type ConcreteShape, isFloat, type Node } from '@gradus/autodiff';
import { broadcastStrides } from '../cpu/emit.js';
import type { BufferSpec } from '../cpu/plan.js';
import { isElementwiseOp } from '../expr-table.js';
import { commitCopies, literalValue, lowerProgram } from '../lowering.js';
import { type HostMath, kindOf, wasmExprTable } from './elementwise-table.js';
import { type Expr, i32, memory, type ValType } from './encoder/instructions.js';
import { call, type FuncRef, ModuleBuilder } from './encoder/module.js';
import type { GemmRef, Precision } from './gemm.js';
import {
  elementwiseLoop,
  type KernelCode,
  type Unsupported,
  type WasmGroup,
  type WasmKernel,
  type WasmKernelContext,
  wasmKernels,
} from './kernels.js';
import type { Layout } from './layout.js';

/** Where buffers live: a bump allocator over the executable's memory. */
export interface ArenaAllocator {
  /** A fresh 16-byte-aligned region of `bytes`; its address. */
  alloc(bytes: number, what: string): number;
  /** Refuses (E0441) a need that the arena could never hold, before anything is allocated. */
  check(bytes: number, what: string): void;
}

export interface WasmCodegenOptions {
  readonly precision: Precision;
  readonly fuse?: boolean;
  readonly pool?: boolean;
  /** Threads that may share a kernel (1: none). */
  readonly threads: number;
  /** Estimated nanoseconds of work from which a kernel is split across the threads. */
  readonly parallelMin: number;
  readonly arena: ArenaAllocator;
  /** The address of a variable's storage (the executable's; it outlives specialisations). */
  readonly variableAddress: (leaf: Node) => number;
  /** Base of the per-thread GEMM scratch regions, and the bytes between two of them (made on first use). */
  readonly gemmScratch: () => { readonly base: number; readonly stride: number };
}

export interface WasmProgram {
  readonly bytes: Uint8Array;
  readonly buffers: readonly BufferSpec[];
  /** Byte address of each buffer, by id. */
  readonly addr: readonly number[];
  readonly bufOf: ReadonlyMap<Node, number>;
  readonly targets: readonly number[];
  readonly shapeOf: (n: Node) => ConcreteShape;
  /** The kernels `run()` hands to `par` (split across threads), by task id: their alignment. */
  readonly tasks: readonly { readonly align: number }[];
  /** A readable listing of the kernels and buffers (`gradus compile --emit wasm`, snapshots). */
  readonly listing: string;
}

/** Bytes one element of a buffer takes in the arena (bools are stored as i32). */
export function elementBytes(b: Pick<BufferSpec, 'ctor'>): number {
  return b.ctor === 'Float64Array' ? 8 : 4;
}

/** A buffer's bytes in the arena: whole 16-byte vectors, so SIMD loops may run into the padding. */
export function paddedBytes(b: Pick<BufferSpec, 'ctor' | 'length'>): number {
  return Math.max(16, Math.ceil((b.length * elementBytes(b)) / 16) * 16);
}

/** The first op of `order` that the wasm backend has no kernel for, with the reason. */
export function unsupportedOp(order: readonly Node[]): { op: string; why: string } | undefined {
  for (const n of order) {
    const k = wasmKernels[n.op] as WasmKernel<typeof n.op> | Unsupported | undefined;
    if (k === undefined) return { op: n.op, why: 'not implemented in the wasm backend' };
    if (typeof k !== 'function') return { op: n.op, why: k.unsupported };
  }
  return undefined;
}

const TRANSCENDENTAL = new Set(['Exp', 'Log', 'Tanh', 'Sin', 'Cos', 'Pow']);

export function generateWasm(
  order: readonly Node[],
  targets: readonly Node[],
  updates: readonly (readonly [Node, Node])[],
  dims: Readonly<Record<string, number>>,
  opts: WasmCodegenOptions,
): WasmProgram {
  const precision = opts.precision;
  const { shapeOf, dimsOf, sched, plan, loops } = lowerProgram(order, targets, updates, dims, {
    ...opts,
    inPlace: true,
    loops: opts.fuse ?? true,
  });
  const buffers: BufferSpec[] = [...plan.buffers];
  const bufId = (n: Node) => plan.bufOf.get(n) as number;
  const { stage, assign } = commitCopies(updates, plan.bufOf, buffers);

  const own = buffers.filter((b) => b.kind !== 'variable');
  const dimsText =
    Object.keys(dims).length > 0
      ? ` with ${Object.entries(dims)
          .map(([k, v]) => `${k} = ${v}`)
          .join(', ')}`
      : '';
  opts.arena.check(
    own.reduce((s, b) => s + paddedBytes(b), 0),
    `this graph${dimsText} (its inputs, intermediates and outputs)`,
  );
  const addr = buffers.map((b) =>
    b.kind === 'variable' && b.leaf
      ? opts.variableAddress(b.leaf)
      : opts.arena.alloc(paddedBytes(b), `buffer ${b.id}`),
  );
  const addrOf = (n: Node) => addr[bufId(n)];

  const mb = new ModuleBuilder();
  mb.importMemory('env', 'memory', { initial: 1, maximum: 65536, shared: true });
  const gemm: GemmRef = mb.importFunction(
    'lib',
    'gemm',
    ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'] as const,
    'void',
  );
  const host: HostMath = {
    sin: mb.importFunction('host', 'sin', ['f64'] as const, 'f64'),
    cos: mb.importFunction('host', 'cos', ['f64'] as const, 'f64'),
    pow: mb.importFunction('host', 'pow', ['f64', 'f64'] as const, 'f64'),
    log: mb.importFunction('host', 'log', ['f64'] as const, 'f64'),
    tanh: mb.importFunction('host', 'tanh', ['f64'] as const, 'f64'),
  };
  const normal = mb.importFunction('host', 'normal', ['i32', 'i32', 'i32', 'i32'] as const, 'f64');
  const par = mb.importFunction('host', 'par', ['i32', 'i32'] as const, 'void');

  // Scalar constants and sizes are inlined.
  const literal = (n: Node) => literalValue(n, dimsOf);
  const literalIn = (n: Node, L: Layout): Expr<ValType> => {
    const v = literal(n) as number;
    return isFloat(n.dtype) ? L.f(v) : L.i(v);
  };

  const groupOf = (members: readonly Node[]): WasmGroup => {
    const root = members[members.length - 1];
    const set = new Set(members);
    const reads: Node[] = [];
    for (const m of members) {
      for (const i of m.inputs)
        if (!set.has(i) && literal(i) === undefined && !reads.includes(i)) reads.push(i);
    }
    const rootShape = shapeOf(root);
    const cost = members.reduce((s, m) => s + (TRANSCENDENTAL.has(m.op) ? 4 : 0.5), 0);
    return {
      reads,
      strides: reads.map((x) => broadcastStrides(shapeOf(x), rootShape)),
      cost: Math.max(cost, 0.5),
      label: members.map((m) => m.op).join('∘'),
      emit: (f, L, value) => {
        const names = new Map<Node, Expr<ValType>>();
        reads.forEach((x, k) => {
          names.set(x, L.bind(f, value(k)));
        });
        for (const m of members) {
          const args = m.inputs.map((i) => names.get(i) ?? literalIn(i, L));
          let e: Expr<ValType>;
          if (m.op === 'BroadcastTo') e = args[0];
          else if (isElementwiseOp(m.op)) {
            const template = wasmExprTable[m.op] as (a: readonly Expr<ValType>[], c: object) => Expr<ValType>;
            e = template(args, {
              attrs: m.attrs,
              inKinds: m.inputs.map((i) => kindOf(i.dtype)),
              outKind: kindOf(m.dtype),
              L,
              f,
              host,
            });
          } else throw new Error(`internal: ${m.op} cannot be fused`);
          names.set(m, L.bind(f, e));
        }
        return names.get(root) as Expr<ValType>;
      },
    };
  };
  const plainOf = (n: Node): WasmGroup => {
    if (literal(n) !== undefined) {
      return { reads: [], strides: [], cost: 0.5, label: '', emit: (_f, L) => literalIn(n, L) };
    }
    return {
      reads: [n],
      strides: [broadcastStrides(shapeOf(n), shapeOf(n))],
      cost: 0.5,
      label: '',
      emit: (_f, _L, v) => v(0),
    };
  };

  const kernelRefs: {
    ref: FuncRef<readonly ['i32', 'i32', 'i32'], 'void'>;
    code: KernelCode;
    steps: readonly Node[];
  }[] = [];
  const contextOf = (step: Node): WasmKernelContext => {
    const members = sched.members.get(step);
    return {
      precision,
      shape: shapeOf,
      dims: dimsOf,
      addr: addrOf,
      out: addrOf(step),
      source: (i) => {
        const x = step.inputs[i];
        return members && members[members.length - 1] === x ? groupOf(members) : plainOf(x);
      },
      group: () => groupOf(members ?? [step]),
      scratch: (bytes) => opts.arena.alloc(Math.max(16, Math.ceil(bytes / 16) * 16), `scratch of ${step.op}`),
      parts: opts.threads,
      gemm,
      gemmScratch: (part) => {
        const { base, stride } = opts.gemmScratch();
        return i32.add(i32.const(base), i32.mul(part, i32.const(stride)));
      },
      normal,
    };
  };
  for (const steps of loops) {
    let code: KernelCode | null;
    if (steps.length > 1) code = elementwiseLoop(steps, contextOf(steps[0]), (n) => contextOf(n).group());
    else {
      const kernel = wasmKernels[steps[0].op] as WasmKernel<(typeof steps)[0]['op']>;
      code = kernel(steps[0] as never, contextOf(steps[0]));
    }
    if (!code) continue;
    const emit = code.emit;
    const ref = mb.func(`k${kernelRefs.length}`, ['i32', 'i32', 'i32'] as const, 'void', (f) => {
      const [lo, hi, part] = f.params;
      emit(f, lo.get(), hi.get(), part.get());
    });
    kernelRefs.push({ ref, code, steps });
  }

  const parallel = kernelRefs.map(
    ({ code }) =>
      opts.threads > 1 &&
      code.split !== undefined &&
      code.split.total > 1 &&
      code.split.cost >= opts.parallelMin,
  );
  const taskOf = new Map<number, number>();
  parallel.forEach((p, k) => {
    if (p) taskOf.set(k, taskOf.size);
  });
  const run = mb.func('run', [] as const, 'void', (f) => {
    kernelRefs.forEach(({ ref, code }, k) => {
      const total = i32.const(code.split?.total ?? 0);
      const task = taskOf.get(k);
      if (task !== undefined) f.emit(call(par, i32.const(task), total));
      else f.emit(call(ref, i32.const(0), total, i32.const(0)));
    });
  });
  const commit = mb.func('commit', [] as const, 'void', (f) => {
    for (const [to, from] of [...stage, ...assign]) {
      const bytes = buffers[to].length * elementBytes(buffers[to]);
      if (bytes > 0) f.emit(memory.copy(i32.const(addr[to]), i32.const(addr[from]), i32.const(bytes)));
    }
  });
  const task = mb.func('task', ['i32', 'i32', 'i32', 'i32'] as const, 'void', (f) => {
    const [id, lo, hi, part] = f.params;
    for (const [k, t] of taskOf) {
      f.if(i32.eq(id.get(), i32.const(t)), () =>
        f.emit(call(kernelRefs[k].ref, lo.get(), hi.get(), part.get())),
      );
    }
  });
  mb.export('run', run);
  mb.export('commit', commit);
  mb.export('task', task);
  const bytes = mb.encode();

  const listing = [
    `wasm module: ${bytes.length} bytes, ${precision}, ${kernelRefs.length} kernels` +
      (taskOf.size > 0 ? ` (${taskOf.size} split across ${opts.threads} threads)` : ''),
    ...kernelRefs.map(
      ({ code, steps }, k) =>
        `  k${k}: ${steps.map((n) => n.op).join(' + ')} → ${steps.map((n) => `b${bufId(n)}`).join(', ')} ` +
        `[${shapeOf(steps[0]).join(', ')}] ${code.note}${taskOf.has(k) ? ' (split)' : ''}`,
    ),
    'buffers:',
    ...buffers.map((b, i) => `  b${i} ${b.kind} ${b.ctor.replace('Array', '')}[${b.length}] @${addr[i]}`),
    ...(stage.length + assign.length > 0
      ? ['commit:', ...[...stage, ...assign].map(([to, from]) => `  b${to} ← b${from}`)]
      : []),
  ].join('\n');
  return {
    bytes,
    buffers,
    addr,
    bufOf: plan.bufOf,
    targets: targets.map(bufId),
    shapeOf,
    tasks: [...taskOf.keys()].map((k) => ({ align: kernelRefs[k].code.split?.align ?? 1 })),
    listing,
  };
}
