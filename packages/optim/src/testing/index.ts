/**
 * The research harness: optimisation problems with known answers, fast-check arbitraries over
 * them, and `runOptimizer`, which returns an optimiser's whole trajectory. See docs/research.md.
 */

export * from './arbitraries.js';
export * from './problems.js';
export * from './run-optimizer.js';
