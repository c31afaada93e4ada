/**
 * The browser entry point of `@gradus/dsl` (the `browser` export condition): everything of the
 * main entry that needs no Node module. Models are checked and lowered from their text
 * (`checkSource`), not read from files; the TypeScript emitter (ts-morph) and the language
 * server's stdio transport stay Node-only.
 */
export * from './check.js';
export * from './diagnostics/index.js';
export * from './editor/index.js';
export { type EmitDotOptions, emitDot } from './emit/dot.js';
export {
  defaultOnnxOutputs,
  type EmitOnnxOptions,
  emitOnnx,
  ONNX_IR_VERSION,
  ONNX_OPSET,
} from './emit/onnx/emit-onnx.js';
export * from './feeds.js';
export * from './lower/index.js';
export * from './syntax/index.js';
