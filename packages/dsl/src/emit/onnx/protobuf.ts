/**
 * The protocol-buffer wire format, as much of it as ONNX files need: varints (wire type 0),
 * little-endian 32-bit floats (wire type 5) and length-delimited bytes, strings and nested
 * messages (wire type 2). A message is written into a `ProtoWriter`; a nested message is written
 * into its own writer and added whole, so lengths are known before they are written.
 */

const utf8 = new TextEncoder();

export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  /** An unsigned varint; negative int64 values are written as their 64-bit two's complement (10 bytes). */
  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wire: 0 | 2 | 5): void {
    this.varint((field << 3) | wire);
  }

  /** An int32, int64 or enum field (only whole numbers: a fraction here is a bug in the caller). */
  int(field: number, value: number | bigint): this {
    if (typeof value === 'number' && !Number.isSafeInteger(value))
      throw new RangeError(`protobuf: field ${field} needs an integer, got ${value}`);
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  /** A float field (IEEE single precision, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  /** The message's bytes. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}
