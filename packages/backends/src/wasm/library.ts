/**
 * The library module every program imports: the GEMM (packing, micro-kernel, blocking) for one
 * precision. It does not depend on shapes, so it is compiled once per process and precision and
 * instantiated once per executable's memory; its code (and V8's optimised tier of it) is shared
 * by every instance, on every thread.
 */
import { ModuleBuilder } from './encoder/module.js';
import { relaxedSimd } from './features.js';
import { defineGemm, type Precision } from './gemm.js';
import { WA, type WasmModule } from './wasm-api.js';

const compiled = new Map<Precision, WasmModule>();

export function libraryModule(p: Precision): WasmModule {
  let m = compiled.get(p);
  if (!m) {
    const mb = new ModuleBuilder();
    mb.importMemory('env', 'memory', { initial: 1, maximum: 65536, shared: true });
    mb.export('gemm', defineGemm(mb, p, relaxedSimd()));
    m = new WA.Module(mb.encode());
    compiled.set(p, m);
  }
  return m as WasmModule;
}
