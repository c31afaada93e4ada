/**
 * Test support for users' own property tests: gradcheck, hvpcheck and fast-check arbitraries over
 * ops and graphs, and the research harness (optimisation problems with known answers, their
 * arbitraries and `runOptimizer`; see docs/research.md).
 */
export * from '@gradus/autodiff/testing';
export * from '@gradus/optim/testing';
