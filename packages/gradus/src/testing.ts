/** Test support for users' own property tests: gradcheck, hvpcheck and fast-check arbitraries. */
export * from '@gradus/autodiff/testing';
