export * from './arbitraries.js';
export * from './gradcheck.js';
export * as naive from './naive.js';
export * from './op-table.js';
