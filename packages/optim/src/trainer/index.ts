export * from './batches.js';
export * from './callback.js';
export * from './callbacks/index.js';
export * from './checkpoint.js';
export * from './loop.js';
export * from './plot.js';
export * from './session.js';
export * from './trainer.js';
