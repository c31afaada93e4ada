export * from './diagnostics/index.js';
export * from './editor/index.js';
export * from './emit/index.js';
export * from './feeds.js';
export * from './lower/index.js';
export * from './model-file.js';
export * from './syntax/index.js';
