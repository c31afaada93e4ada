/**
 * The persistent worker pool of the wasm backend: worker threads that instantiate the same modules
 * over the same shared memory and run parts of large kernels. A worker takes ~50 ms to start, so
 * the pool is started once per process (lazily, in the background) and kept; until a worker says
 * it is ready the calling thread runs every part itself, which gives the same results, since
 * kernels are split along their outputs only and each output is computed by the same code
 * whichever thread runs it.
 *
 * Hand-off is a per-worker control block in a SharedArrayBuffer with `Atomics.wait`/`notify`: a
 * few microseconds, so only kernels worth tens of microseconds are split. Modules and memories
 * reach a worker through a MessagePort that it drains (`receiveMessageOnPort`) before each job.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { diagnostic, GradusError } from '@gradus/autodiff';
import type { WasmMemory, WasmModule } from './wasm-api.js';

/** Control block (Int32): [job seq, done seq, failed, program, task, lo, hi, part, ready, spinning]. */
const CTL = 10;
const SEQ = 0;
const DONE = 1;
const FAILED = 2;
const READY = 8;

const WORKER = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { ctl, port } = workerData;
const programs = new Map();
const unavailable = () => { throw new Error('not available on a worker'); };
let seen = 0;
Atomics.store(ctl, 8, 1);
for (;;) {
  // Spin briefly before sleeping: the next part of a step usually follows within microseconds.
  let spins = 0;
  while (Atomics.load(ctl, 0) === seen && spins++ < 2000) {}
  Atomics.wait(ctl, 0, seen);
  const s = Atomics.load(ctl, 0);
  if (s < 0) break;
  seen = s;
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    const msg = m.message;
    if (msg.drop !== undefined) { programs.delete(msg.drop); continue; }
    const env = { memory: msg.memory };
    const lib = new WebAssembly.Instance(msg.lib, { env });
    const host = { sin: Math.sin, cos: Math.cos, pow: Math.pow, log: Math.log, tanh: Math.tanh, normal: unavailable, par: unavailable };
    const inst = new WebAssembly.Instance(msg.module, { env, lib: { gemm: lib.exports.gemm }, host });
    programs.set(msg.id, inst.exports.task);
  }
  try {
    programs.get(ctl[3])(ctl[4], ctl[5], ctl[6], ctl[7]);
  } catch (e) {
    Atomics.store(ctl, 2, 1);
  }
  Atomics.store(ctl, 1, s);
  Atomics.notify(ctl, 1);
}
`;

class Helper {
  readonly ctl = new Int32Array(new SharedArrayBuffer(CTL * 4));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private seq = 0;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { ctl: this.ctl, port: port2 },
      transferList: [port2],
    });
    this.worker.unref();
    this.port.unref();
  }

  get ready(): boolean {
    return Atomics.load(this.ctl, READY) === 1;
  }

  post(message: object): void {
    this.port.postMessage(message);
  }

  start(program: number, task: number, lo: number, hi: number, part: number): void {
    const c = this.ctl;
    c[3] = program;
    c[4] = task;
    c[5] = lo;
    c[6] = hi;
    c[7] = part;
    Atomics.store(c, SEQ, ++this.seq);
    Atomics.notify(c, SEQ);
  }

  wait(): void {
    const c = this.ctl;
    for (;;) {
      const done = Atomics.load(c, DONE);
      if (done === this.seq) break;
      if (Atomics.wait(c, DONE, done, 30_000) === 'timed-out') {
        throw new GradusError(diagnostic('E0442', 'internal: a wasm worker thread did not answer'));
      }
    }
    if (c[FAILED] !== 0) {
      c[FAILED] = 0;
      throw new GradusError(diagnostic('E0442', 'internal: a kernel failed on a wasm worker thread'));
    }
  }
}

/** What a program registers with the pool to be run in parts. */
export interface PoolProgram {
  readonly module: WasmModule;
  readonly lib: WasmModule;
  readonly memory: WasmMemory;
}

let helpers: Helper[] = [];
let nextId = 1;

/** The number of threads `'auto'` means here: the machine's cores (at most 8). */
export function autoThreads(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

/** Starts (in the background) enough helpers for `threads` threads in all. */
export function ensureHelpers(threads: number): void {
  while (helpers.length < threads - 1) helpers.push(new Helper());
}

/** Registers a program with every helper; its id for `runParts`. */
export function registerProgram(p: PoolProgram): number {
  const id = nextId++;
  for (const h of helpers) h.post({ id, module: p.module, lib: p.lib, memory: p.memory });
  return id;
}

export function dropProgram(id: number): void {
  for (const h of helpers) h.post({ drop: id });
}

/**
 * Runs task `task` of program `id` over [0, total) in up to `threads` parts (boundaries multiples
 * of `align`): part 0 on this thread through `local`, the others on ready helpers.
 */
export function runParts(
  id: number,
  task: number,
  total: number,
  align: number,
  threads: number,
  local: (task: number, lo: number, hi: number, part: number) => void,
): void {
  const ready: Helper[] = [];
  for (let k = 0; k < helpers.length && ready.length < threads - 1; k++)
    if (helpers[k].ready) ready.push(helpers[k]);
  const units = Math.ceil(total / align);
  const parts = Math.min(ready.length + 1, units);
  if (parts <= 1) {
    local(task, 0, total, 0);
    return;
  }
  const at = (p: number) => Math.min(total, Math.round((units * p) / parts) * align);
  for (let p = 1; p < parts; p++) ready[p - 1].start(id, task, at(p), at(p + 1), p);
  try {
    local(task, 0, at(1), 0);
  } finally {
    for (let p = 1; p < parts; p++) ready[p - 1].wait();
  }
}

/** Resolves once every helper started so far can take work (tests wait for it; runs never do). */
export async function helpersReady(timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!helpers.every((h) => h.ready)) {
    if (Date.now() - start > timeoutMs) throw new Error('wasm worker threads did not start');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Stops every helper (tests; the pool is otherwise kept for the life of the process). */
export function stopHelpers(): void {
  for (const h of helpers) {
    Atomics.store(h.ctl, SEQ, -1);
    Atomics.notify(h.ctl, SEQ);
  }
  helpers = [];
}
