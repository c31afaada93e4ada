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
  type GpuBackend,
  type GpuCompileOptions,
  GpuExecutable,
  type GpuModule,
  generateGpu,
  gpu,
  gpuKernelSource,
  gpuProblem,
} from './gpu/index.js';
export {
  relaxedSimd,
  type WasmBackend,
  type WasmCompileOptions,
  WasmExecutable,
  wasm,
} from './wasm/index.js';
