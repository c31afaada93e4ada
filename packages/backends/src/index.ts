export type { Backend, CompileOptions, Executable } from './backend.js';
export { type CpuBackend, type CpuCompileOptions, CpuExecutable, cpu } from './cpu/index.js';
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
