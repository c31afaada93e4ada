/**
 * A growable byte buffer with the encodings of the WebAssembly binary format: LEB128 integers,
 * little-endian IEEE floats, length-prefixed vectors and names.
 */

const scratch = new DataView(new ArrayBuffer(16));

export class ByteWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  get length(): number {
    return this.len;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b & 0xff;
  }

  bytes(bs: ArrayLike<number>): void {
    this.reserve(bs.length);
    for (let i = 0; i < bs.length; i++) this.buf[this.len++] = bs[i] & 0xff;
  }

  /** Unsigned LEB128 of an integer in [0, 2³²). */
  u32(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`u32 out of range: ${v}`);
    do {
      let b = v % 128;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
  }

  /** Signed LEB128 of an integer in [-2³¹, 2³²) (values ≥ 2³¹ are their two's-complement i32). */
  s32(v: number): void {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
      throw new RangeError(`i32 out of range: ${v}`);
    }
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }

  /** Signed LEB128 of a 64-bit integer. */
  s64(v: bigint): void {
    let x = BigInt.asIntN(64, v);
    for (;;) {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      if ((x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }

  f32(v: number): void {
    scratch.setFloat32(0, v, true);
    for (let i = 0; i < 4; i++) this.byte(scratch.getUint8(i));
  }

  f64(v: number): void {
    scratch.setFloat64(0, v, true);
    for (let i = 0; i < 8; i++) this.byte(scratch.getUint8(i));
  }

  /** A UTF-8 name, length-prefixed. */
  name(s: string): void {
    const utf8 = new TextEncoder().encode(s);
    this.u32(utf8.length);
    this.bytes(utf8);
  }

  /** Appends another writer's bytes, prefixed by their length (a section or a function body). */
  sized(inner: ByteWriter): void {
    this.u32(inner.length);
    this.reserve(inner.length);
    this.buf.set(inner.buf.subarray(0, inner.len), this.len);
    this.len += inner.len;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
