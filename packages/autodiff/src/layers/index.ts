export * from './conv.js';
export * from './embedding.js';
export * from './flatten.js';
export * from './maxout.js';
export * from './noise.js';
export * from './norm.js';
export * from './pool.js';
export type { IntOrTuple, Padding } from './window.js';
