/**
 * The public API of Gradus in one place: the builder API and autodiff, the backends, optimisers,
 * schedules, data and the trainer, the `.model` language, and the CLI itself. The scoped packages
 * (`@gradus/autodiff`, `@gradus/backends`, `@gradus/optim`, `@gradus/dsl`) stay available for
 * programs that want only a part.
 */
export * from '@gradus/autodiff';
export * from '@gradus/backends';
export * from '@gradus/dsl';
export * from '@gradus/optim';
export { buildCli, runCli, runCliAsync, VERSION } from './cli/main.js';
export * from './doctor/index.js';
export { type ExportOnnxOptions, exportOnnx, type OnnxExport, writeOnnx } from './export-onnx.js';
export {
  applySettings,
  type BackendChoice,
  type FitModel,
  type FitResult,
  type FitSettings,
  fit,
  type GraphFactory,
} from './fit.js';
export {
  type ColumnsLike,
  type InMemoryData,
  type InputDecl,
  type PrepareDataOptions,
  type PreparedData,
  prepareData,
} from './prepare-data.js';
export { SCHEDULE_LENGTH_TOLERANCE, scheduleLength, scheduleLengthWarning } from './run-length.js';
