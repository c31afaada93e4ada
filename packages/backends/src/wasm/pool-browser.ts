/**
 * The wasm backend's pool in a browser (the `browser` condition of `#wasm-pool`): no helper
 * threads, so every kernel runs whole on the calling thread (a Web Worker, in the playground).
 * The results are those of the pool, which splits kernels along their outputs only.
 */
import type { WasmMemory, WasmModule } from './wasm-api.js';

export interface PoolProgram {
  readonly module: WasmModule;
  readonly lib: WasmModule;
  readonly memory: WasmMemory;
}

export function autoThreads(): number {
  return 1;
}

export function ensureHelpers(_threads: number): void {}

export function registerProgram(_p: PoolProgram): number {
  return 0;
}

export function dropProgram(_id: number): void {}

export function runParts(
  _id: number,
  task: number,
  total: number,
  _align: number,
  _threads: number,
  local: (task: number, lo: number, hi: number, part: number) => void,
): void {
  local(task, 0, total, 0);
}

export async function helpersReady(): Promise<void> {}

export function stopHelpers(): void {}
