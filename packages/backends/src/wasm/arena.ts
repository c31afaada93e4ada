/**
 * An executable's arena: one shared `WebAssembly.Memory` where params, optimiser state, inputs,
 * activations and gradients live at fixed addresses (the liveness planner decides which
 * intermediates share one). Regions are handed out by a bump allocator and never moved; the memory
 * grows as specialisations are added. wasm32 addresses stop at 4 GiB: a graph that would need
 * more is refused (E0441) before anything is allocated for it.
 */
import { diagnostic, GradusError } from '@gradus/autodiff';
import type { ArenaAllocator } from './codegen.js';
import { WA, type WasmMemory } from './wasm-api.js';

const PAGE = 65536;
/** wasm32's limit: 65,536 pages of 64 KiB. */
export const MAX_BYTES = 65536 * PAGE;

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

export class Arena implements ArenaAllocator {
  readonly memory: WasmMemory = new WA.Memory({ initial: 1, maximum: 65536, shared: true });
  private top = 64;

  /** Bytes handed out so far. */
  get used(): number {
    return this.top;
  }

  /** Refuses (E0441) a need of `bytes` more than the arena can ever hold. */
  check(bytes: number, what: string): void {
    const end = Math.ceil(this.top / 16) * 16 + bytes;
    if (end > MAX_BYTES) {
      throw new GradusError(
        diagnostic(
          'E0441',
          `${what} needs ${gib(bytes)} of memory (${gib(end)} with what this executable already holds), but WebAssembly memory is limited to 4 GiB`,
          { hint: 'use a smaller batch, or --backend js' },
        ),
      );
    }
  }

  alloc(bytes: number, what: string): number {
    this.check(bytes, what);
    const at = Math.ceil(this.top / 16) * 16;
    this.top = at + bytes;
    const pages = Math.ceil(this.top / PAGE);
    const have = this.memory.buffer.byteLength / PAGE;
    if (pages > have) {
      try {
        this.memory.grow(pages - have);
      } catch (e) {
        throw new GradusError(
          diagnostic(
            'E0441',
            `could not grow WebAssembly memory to ${gib(pages * PAGE)} for ${what}: ${(e as Error).message}`,
          ),
        );
      }
    }
    return at;
  }
}
