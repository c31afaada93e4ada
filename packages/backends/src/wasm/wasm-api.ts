/**
 * The part of the JavaScript WebAssembly API the backend uses, typed here because the project
 * compiles against ES2022 without the DOM library (which is where TypeScript declares it).
 */

export interface WasmModule {
  readonly __module: unique symbol;
}

export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}

export type WasmExports = Record<string, unknown>;

export interface WasmInstance {
  readonly exports: WasmExports;
}

export type WasmImports = Record<string, Record<string, unknown>>;

interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
  readonly Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
}

export const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
