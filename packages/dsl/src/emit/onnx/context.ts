/**
 * The ONNX graph under construction while a Gradus graph is lowered into it: fresh value names,
 * nodes, initialisers, and symbolic sizes computed at run time from the shapes of the inputs.
 * Lowering rules (primitives and composites) see it as `Lowering`.
 */
import {
  type Dim,
  type DType,
  diagnostic,
  dimSymbols,
  dimTerms,
  GradusError,
  isDimSymbol,
  type Node,
  type Span,
} from '@gradus/autodiff';
import { type AttributeValue, ElemType, type NodeProto, type TensorProto } from './onnx-proto.js';

export const ELEM: Readonly<Record<DType, ElemType>> = {
  f32: ElemType.FLOAT,
  f64: ElemType.DOUBLE,
  i32: ElemType.INT32,
  bool: ElemType.BOOL,
};

/** Attribute constructors, so a rule says which ONNX type each attribute has. */
export const attr = {
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
  ints: (value: readonly number[]): AttributeValue => ({ kind: 'ints', value }),
  tensor: (value: TensorProto): AttributeValue => ({ kind: 'tensor', value }),
};

/** Row-major values as an ONNX tensor's little-endian `raw_data`. */
export function rawData(values: ArrayLike<number>, type: ElemType): Uint8Array {
  const n = values.length;
  const width = type === ElemType.DOUBLE || type === ElemType.INT64 ? 8 : type === ElemType.BOOL ? 1 : 4;
  const out = new Uint8Array(n * width);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (type === ElemType.FLOAT) view.setFloat32(i * 4, v, true);
    else if (type === ElemType.DOUBLE) view.setFloat64(i * 8, v, true);
    else if (type === ElemType.INT32) view.setInt32(i * 4, v, true);
    else if (type === ElemType.INT64) view.setBigInt64(i * 8, BigInt(v), true);
    else out[i] = v ? 1 : 0;
  }
  return out;
}

/** An op of the graph that ONNX (opset 17) cannot express: named, at its `.model` span when it has one. */
export function noOnnxForm(node: Node, why: string): GradusError {
  return new GradusError(
    diagnostic(
      'E0280',
      `ONNX export: ${node.op} has no ONNX form: ${why}`,
      node.span ? { span: node.span } : {},
    ),
  );
}

/** Where a symbolic size can be read at run time: an axis of a graph input. */
export interface DimSource {
  readonly input: string;
  readonly axis: number;
}

export interface Lowering {
  /** The ONNX value holding `node`'s result (lowered on first use). */
  value(node: Node): string;
  /** Adds a node; returns the name of its (first) output. */
  emit(
    opType: string,
    inputs: readonly string[],
    attributes?: Readonly<Record<string, AttributeValue>>,
  ): string;
  /** A constant tensor (an initialiser) of a Gradus dtype, or int64 when `dtype` is 'i64'. */
  constant(values: ArrayLike<number>, dims: readonly number[], dtype: DType | 'i64'): string;
  /** A 1-D int64 tensor of sizes, some of them symbolic (computed from the inputs' shapes). */
  sizes(dims: readonly Dim[]): string;
  /** The ONNX element type of a Gradus dtype. */
  elem(dtype: DType): ElemType;
}

/** Builds the node list; `lowerNode` is the rule dispatch (composites first, then primitives). */
export class OnnxBuilder implements Lowering {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly memo = new Map<Node, string>();
  private readonly dimMemo = new Map<string, string>();
  private counter = 0;

  constructor(
    private readonly lowerNode: (node: Node, cx: Lowering) => string,
    private readonly dimSources: ReadonlyMap<string, DimSource>,
    /** Span of the node being lowered, for dims that cannot be computed. */
    private readonly spanOf: () => Span | undefined,
  ) {}

  fresh(hint: string): string {
    return `#${this.counter++}.${hint}`;
  }

  value(node: Node): string {
    const found = this.memo.get(node);
    if (found !== undefined) return found;
    const name = this.lowerNode(node, this);
    this.memo.set(node, name);
    return name;
  }

  emit(
    opType: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, AttributeValue>> = {},
  ): string {
    const out = this.fresh(opType);
    this.nodes.push({ opType, inputs, outputs: [out], name: out.slice(1), attributes });
    return out;
  }

  constant(values: ArrayLike<number>, dims: readonly number[], dtype: DType | 'i64'): string {
    const type = dtype === 'i64' ? ElemType.INT64 : ELEM[dtype];
    const name = this.fresh('const');
    this.initializers.push({ name, dims, dataType: type, raw: rawData(values, type) });
    return name;
  }

  elem(dtype: DType): ElemType {
    return ELEM[dtype];
  }

  sizes(dims: readonly Dim[]): string {
    if (dims.every((d) => typeof d === 'number'))
      return this.constant(dims as number[], [dims.length], 'i64');
    if (dims.length === 1) return this.dim(dims[0]);
    return this.emit(
      'Concat',
      dims.map((d) => this.dim(d)),
      { axis: attr.int(0) },
    );
  }

  /** One size as an int64 [1] tensor: read off an input's shape, or computed in double from such sizes. */
  private dim(d: Dim): string {
    if (typeof d === 'number') return this.constant([d], [1], 'i64');
    const found = this.dimMemo.get(d);
    if (found) return found;
    let out: string;
    if (isDimSymbol(d)) {
      const src = this.dimSources.get(d);
      if (!src) {
        const span = this.spanOf();
        throw new GradusError(
          diagnostic(
            'E0281',
            `ONNX export: the size ${d} is not an axis of any exported input, so it cannot be read when the model runs`,
            span ? { span } : {},
          ),
        );
      }
      out = this.emit('Shape', [src.input], { start: attr.int(src.axis), end: attr.int(src.axis + 1) });
    } else {
      for (const s of dimSymbols(d)) this.dim(s);
      // Σ (num/den)·Π name^power in double, exact for sizes below 2^53, rounded back to int64.
      const asDouble = (s: string) => this.emit('Cast', [this.dim(s)], { to: attr.int(ElemType.DOUBLE) });
      const terms = dimTerms(d).map((t) => {
        let acc = this.constant([t.num / t.den], [1], 'f64');
        for (const [name, power] of t.factors) {
          const v = asDouble(name);
          for (let k = 0; k < Math.abs(power); k++) acc = this.emit(power > 0 ? 'Mul' : 'Div', [acc, v]);
        }
        return acc;
      });
      const total =
        terms.length === 0
          ? this.constant([0], [1], 'f64')
          : terms.length === 1
            ? terms[0]
            : this.emit('Sum', terms);
      out = this.emit('Cast', [this.emit('Round', [total])], { to: attr.int(ElemType.INT64) });
    }
    this.dimMemo.set(d, out);
    return out;
  }
}
