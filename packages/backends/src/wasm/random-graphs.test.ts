import { describeRandomParity } from '../testing/parity.js';
import { wasm } from './index.js';

describeRandomParity(
  wasm,
  { f64: 1e-12, f32: 1e-5, f32Atol: 1e-6 },
  [
    { label: '', extra: { fuse: true } },
    { label: ', unfused', extra: { fuse: false } },
  ],
  { threads: 1 },
);
