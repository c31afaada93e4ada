import { diagnostic, GradusError } from '@gradus/autodiff';

/**
 * Reads an IDX file (the MNIST container): a magic number whose third byte is the element type
 * (0x08 = unsigned byte) and fourth the rank, then the big-endian u32 dims, then the data.
 */
export function readIdx(bytes: Uint8Array, source: string): { shape: number[]; data: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string) => new GradusError(diagnostic('E0608', `${source} is not an IDX file: ${why}`));
  if (bytes.byteLength < 4 || view.getUint16(0) !== 0) throw bad('bad magic number');
  if (view.getUint8(2) !== 0x08)
    throw bad(`element type 0x${view.getUint8(2).toString(16)} is not unsigned byte`);
  const rank = view.getUint8(3);
  const header = 4 + 4 * rank;
  if (bytes.byteLength < header) throw bad('truncated header');
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const size = shape.reduce((a, b) => a * b, 1);
  if (bytes.byteLength !== header + size)
    throw bad(`expected ${header + size} bytes, found ${bytes.byteLength}`);
  return { shape, data: bytes.subarray(header) };
}
