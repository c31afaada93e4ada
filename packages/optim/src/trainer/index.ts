export * from './batches.js';
export * from './checkpoint.js';
export * from './plot.js';
export * from './trainer.js';
