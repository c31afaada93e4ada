export * from './builtins.js';
export * from './errors.js';
export * from './flags.js';
export * from './init-spec.js';
export * from './lower.js';
export * from './train.js';
export * from './values.js';
