export * from './catalogue.js';
export * from './data/load.js';
export * from './data/spiral.js';
