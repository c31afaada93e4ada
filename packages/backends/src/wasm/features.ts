/**
 * What this engine's WebAssembly supports beyond SIMD128: relaxed SIMD (fused multiply-add) is on
 * by default from Node 22 and off in Node 20, so it is probed by validating a tiny module.
 */
import { f32x4, v128 } from './encoder/instructions.js';
import { ModuleBuilder } from './encoder/module.js';
import { WA } from './wasm-api.js';

let relaxed: boolean | undefined;

/** Whether `f32x4.relaxed_madd` validates here. */
export function relaxedSimd(): boolean {
  if (relaxed === undefined) {
    const mb = new ModuleBuilder();
    const zero = () => v128.const(new Uint8Array(16));
    mb.func('probe', [] as const, 'v128', () => f32x4.relaxed_madd(zero(), zero(), zero()));
    relaxed = WA.validate(mb.encode());
  }
  return relaxed as boolean;
}

/** Whether SIMD128 validates here (it does on every Node ≥ 16.4). */
export function simd128(): boolean {
  const mb = new ModuleBuilder();
  mb.func('probe', [] as const, 'v128', () => v128.const(new Uint8Array(16)));
  return WA.validate(mb.encode());
}
