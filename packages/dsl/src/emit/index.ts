/** Code generators over a lowered model: a standalone TypeScript module and Graphviz DOT. */
export { type EmitDotOptions, emitDot } from './dot.js';
export { type EmitTsOptions, emitTypeScript } from './ts.js';
