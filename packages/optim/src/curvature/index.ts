export * from './hessian-spectrum.js';
export * from './lanczos.js';
export * from './symmetric-eigen.js';
export * from './tridiagonal-eigen.js';
