export * from './bfgs.js';
export * from './host-driver.js';
export * from './lbfgs.js';
export * from './line-search.js';
export * from './newton.js';
