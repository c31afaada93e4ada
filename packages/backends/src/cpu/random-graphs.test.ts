import { js as cpu } from '../index.js';
import { describeRandomParity } from '../testing/parity.js';

describeRandomParity(cpu, { f64: 1e-12, f32: 1e-5 }, [
  { label: '', extra: { fuse: true } },
  { label: ', unfused', extra: { fuse: false } },
]);
