/** Code generators over a lowered model: a standalone TypeScript module, Graphviz DOT and ONNX. */
export { type EmitDotOptions, emitDot } from './dot.js';
export {
  defaultOnnxOutputs,
  type EmitOnnxOptions,
  emitOnnx,
  ONNX_IR_VERSION,
  ONNX_OPSET,
} from './onnx/emit-onnx.js';
export { type EmitTsOptions, emitTypeScript } from './ts.js';
