/**
 * The browser entry point of `@gradus/backends` (the `browser` export condition): the js and
 * wasm backends without Node's worker threads (the wasm backend runs single-threaded, see
 * `wasm/pool-browser.ts`), and no gpu backend (gpu.js runs on headless WebGL in Node here).
 */
export type { Backend, CompileOptions, Executable } from './backend.js';
export { type JsBackend, type JsCompileOptions, JsExecutable, js } from './cpu/index.js';
export {
  type CpuBackend,
  type CpuCompileOptions,
  cpu,
  cpuChoice,
  cpuFallingBack,
  TINY_ELEMENTS,
  wasmLacks,
} from './cpu-backend.js';
export {
  type ElementwiseOp,
  type ExprContext,
  type ExprTable,
  type ExprTemplate,
  exprTable,
  isElementwiseOp,
} from './expr-table.js';
export { bindFeed, copyFeed, readFeed } from './feeds.js';
export {
  relaxedSimd,
  type WasmBackend,
  type WasmCompileOptions,
  WasmExecutable,
  wasm,
} from './wasm/index.js';
