/**
 * The few ONNX messages an exported model needs (`onnx/onnx.proto`, IR version 8), as plain
 * TypeScript values, and their encoding. Field numbers are those of `onnx.proto`.
 */
import { ProtoWriter } from './protobuf.js';

/** `TensorProto.DataType`: the element types Gradus exports. */
export const ElemType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;
export type ElemType = (typeof ElemType)[keyof typeof ElemType];

export interface TensorProto {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: ElemType;
  /** Row-major elements, little-endian, as `raw_data`. */
  readonly raw: Uint8Array;
}

/** A dim of a value's type: a size, or a name (`dim_param`) for a size known when data arrives. */
export type TypeDim = number | string;

export interface ValueInfoProto {
  readonly name: string;
  readonly elemType: ElemType;
  readonly shape: readonly TypeDim[];
  readonly doc?: string;
}

export type AttributeValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'tensor'; readonly value: TensorProto };

export interface NodeProto {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name: string;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly doc?: string;
}

export interface GraphProto {
  readonly name: string;
  readonly nodes: readonly NodeProto[];
  readonly initializers: readonly TensorProto[];
  readonly inputs: readonly ValueInfoProto[];
  readonly outputs: readonly ValueInfoProto[];
  readonly doc?: string;
}

export interface ModelProto {
  readonly irVersion: number;
  readonly opset: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly graph: GraphProto;
  readonly doc?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** `AttributeProto.AttributeType`. */
const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

function tensor(t: TensorProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  w.bytes(9, t.raw);
  return w;
}

function attribute(name: string, a: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'tensor':
      w.message(5, tensor(a.value));
      break;
    case 'floats':
      for (const v of a.value) w.float(7, v);
      break;
    case 'ints':
      for (const v of a.value) w.int(8, v);
      break;
  }
  return w.int(20, ATTR_TYPE[a.kind]);
}

function node(n: NodeProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [k, a] of Object.entries(n.attributes)) w.message(5, attribute(k, a));
  if (n.doc) w.string(6, n.doc);
  return w;
}

function valueInfo(v: ValueInfoProto): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape)
    shape.message(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
  const tensorType = new ProtoWriter().int(1, v.elemType).message(2, shape);
  const w = new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
  if (v.doc) w.string(3, v.doc);
  return w;
}

function graph(g: GraphProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, node(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, tensor(t));
  if (g.doc) w.string(10, g.doc);
  for (const v of g.inputs) w.message(11, valueInfo(v));
  for (const v of g.outputs) w.message(12, valueInfo(v));
  return w;
}

/** The bytes of a `.onnx` file. */
export function encodeModel(m: ModelProto): Uint8Array {
  const w = new ProtoWriter().int(1, m.irVersion).string(2, m.producerName).string(3, m.producerVersion);
  if (m.doc) w.string(6, m.doc);
  w.message(7, graph(m.graph));
  w.message(8, new ProtoWriter().string(1, '').int(2, m.opset));
  for (const [k, v] of Object.entries(m.metadata ?? {}))
    w.message(14, new ProtoWriter().string(1, k).string(2, v));
  return w.finish();
}
