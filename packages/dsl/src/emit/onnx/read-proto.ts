/**
 * A reader for the wire format `ProtoWriter` writes, and the parts of an ONNX model the tests
 * look at (node op types, inputs and outputs with their dims). Not part of the export: it lets a
 * test say which ONNX ops a model became without a protobuf library.
 */

type Field = number | Uint8Array;

/** Fields of one message by number, in order (varints as numbers, length-delimited as bytes). */
export function readMessage(buf: Uint8Array): Map<number, Field[]> {
  const out = new Map<number, Field[]>();
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    let value: Field;
    if (wire === 0) value = Number(BigInt.asIntN(64, varint()));
    else if (wire === 2) {
      const n = Number(varint());
      value = buf.subarray(i, i + n);
      i += n;
    } else if (wire === 5) {
      value = new DataView(buf.buffer, buf.byteOffset + i, 4).getFloat32(0, true);
      i += 4;
    } else throw new Error(`read-proto: wire type ${wire} is not written by ProtoWriter`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

const text = (b: Field | undefined) => (b instanceof Uint8Array ? new TextDecoder().decode(b) : '');
const sub = (b: Field) => readMessage(b as Uint8Array);

export interface OnnxSummary {
  readonly opset: number;
  readonly ops: string[];
  readonly inputs: { name: string; elemType: number; dims: (number | string)[] }[];
  readonly outputs: { name: string; elemType: number; dims: (number | string)[] }[];
  readonly initializers: string[];
  /** Each initialiser's dims, by name. */
  readonly initializerDims: Record<string, number[]>;
  readonly metadata: Record<string, string>;
}

function valueInfo(b: Field) {
  const m = sub(b);
  const tensor = sub(sub(m.get(2)?.[0] as Uint8Array).get(1)?.[0] as Uint8Array);
  const shape = tensor.get(2)?.[0];
  const dims = shape
    ? (sub(shape).get(1) ?? []).map((d) => {
        const dm = sub(d);
        return dm.has(2) ? text(dm.get(2)?.[0]) : (dm.get(1)?.[0] as number);
      })
    : [];
  return { name: text(m.get(1)?.[0]), elemType: tensor.get(1)?.[0] as number, dims };
}

export function summariseOnnx(bytes: Uint8Array): OnnxSummary {
  const model = readMessage(bytes);
  const graph = sub(model.get(7)?.[0] as Uint8Array);
  return {
    opset: sub(model.get(8)?.[0] as Uint8Array).get(2)?.[0] as number,
    ops: (graph.get(1) ?? []).map((n) => text(sub(n).get(4)?.[0])),
    inputs: (graph.get(11) ?? []).map(valueInfo),
    outputs: (graph.get(12) ?? []).map(valueInfo),
    initializers: (graph.get(5) ?? []).map((t) => text(sub(t).get(8)?.[0])),
    initializerDims: Object.fromEntries(
      (graph.get(5) ?? []).map((t) => [text(sub(t).get(8)?.[0]), (sub(t).get(1) ?? []) as number[]]),
    ),
    metadata: Object.fromEntries(
      (model.get(14) ?? []).map((e) => {
        const kv = sub(e);
        return [text(kv.get(1)?.[0]), text(kv.get(2)?.[0])];
      }),
    ),
  };
}
