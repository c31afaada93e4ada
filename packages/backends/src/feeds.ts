/**
 * Binding feeds to a graph's leaves, shared by the backends: the same rules, codes and messages as
 * the reference interpreter (E0401 wrong shape, E0402 conflicting dims, E0403 missing value,
 * E0405 non-integer data for an int or bool input).
 */
import {
  bindFedShape,
  bindFedShapes,
  bindShape,
  type ConcreteShape,
  type DType,
  diagnostic,
  flattenNested,
  GradusError,
  isConcrete,
  isTensor,
  type NestedArray,
  type Node,
  type Shape,
  STEP_INPUT,
  shapeOfNested,
  sizeOf,
  type TensorLike,
} from '@gradus/autodiff';

/** Fed data as a shape plus flat values, without copying typed arrays or tensors. */
export interface FedData {
  readonly shape: readonly number[] | undefined;
  readonly data: ArrayLike<number>;
}

function bad(code: string, message: string): GradusError {
  return new GradusError(diagnostic(code, message));
}

/** Reads any TensorLike without copying where possible; `shape` is undefined for a flat array. */
export function readFeed(name: string, x: TensorLike): FedData {
  if (typeof x === 'number') return { shape: [], data: [x] };
  if (isTensor(x)) return { shape: x.shape, data: x.data };
  if (Array.isArray(x) && x.some((e) => Array.isArray(e))) {
    let shape: number[];
    try {
      shape = shapeOfNested(x as NestedArray);
    } catch {
      throw bad('E0401', `'${name}' was given a ragged nested array`);
    }
    return { shape, data: flattenNested(x as NestedArray) };
  }
  if (x !== null && typeof x === 'object' && typeof (x as ArrayLike<number>).length === 'number') {
    return { shape: undefined, data: x as ArrayLike<number> };
  }
  throw bad('E0401', `'${name}' was given ${x === null ? 'null' : typeof x}, not a tensor`);
}

/**
 * Binds the symbolic dims of `declared` from a fed value (mutating `dims`) with the interpreter's
 * rules (`bindFedShape`): a flat array takes the declared shape once its symbols are known.
 * Returns the fed shape; `unsettled` collects the feeds whose compound dims (`N*T`) wait for
 * another feed to bind one of their names.
 */
export function bindFeed(
  name: string,
  declared: Shape,
  fed: FedData,
  dims: Record<string, number>,
  unsettled?: [string, Shape, ConcreteShape][],
): ConcreteShape {
  let shape = fed.shape;
  if (shape === undefined) {
    const n = fed.data.length;
    if (declared.length === 1) shape = [n];
    else {
      const bound = bindShape(declared, dims);
      shape = isConcrete(bound) && sizeOf(bound) === n ? bound : [n];
    }
  }
  if (!bindFedShape(name, declared, shape, dims)) unsettled?.push([name, declared, shape]);
  return shape;
}

/** Copies fed values into a typed array, checking int and bool data (E0405). */
export function copyFeed(
  name: string,
  dtype: DType,
  src: ArrayLike<number>,
  dst: { [i: number]: number; length: number },
): void {
  if (src.length !== dst.length) {
    throw bad('E0401', `'${name}' was given ${src.length} values, expected ${dst.length}`);
  }
  if (dtype === 'i32' || dtype === 'bool') {
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      if (!Number.isInteger(v)) {
        throw bad('E0405', `'${name}' is ${dtype === 'i32' ? 'int' : 'bool'} but was given the value ${v}`);
      }
      dst[i] = v;
    }
  } else (dst as Float64Array).set(src);
}

export function leafName(n: Node): string {
  return n.attrs.name as string;
}

/** How a run's feeds reach the variables: a written value, or the stored shape binding dims. */
export interface FedVariables {
  write(name: string, value: TensorLike, dims: Record<string, number>): void;
  bind(leaf: Node, dims: Record<string, number>): void;
}

const NO_DIMS: Record<string, number> = Object.freeze({}) as Record<string, number>;

/**
 * Binds a run's feeds to the leaves: values fed to variables are written, the other variables'
 * stored shapes bind dims (when any are symbolic), and each fed input is checked and appended to
 * `fed` (cleared first) as [leaf, data]. Only `$step` may go unfed (E0403). Returns the dims.
 */
export function bindFeeds(
  feeds: Readonly<Record<string, TensorLike>>,
  leaves: readonly Node[],
  symbolic: boolean,
  variables: FedVariables,
  fed: [Node, ArrayLike<number>][],
): Record<string, number> {
  if (feeds === null || typeof feeds !== 'object') {
    throw bad('E0403', 'run() needs an object of feeds, by input name');
  }
  // Keyed by dim names from a model, which may be `constructor` or `toString`: no prototype.
  const dims: Record<string, number> = symbolic ? Object.create(null) : NO_DIMS;
  const unsettled: [string, Shape, ConcreteShape][] = [];
  fed.length = 0;
  for (const leaf of leaves) {
    const name = leafName(leaf);
    const value = Object.hasOwn(feeds, name) ? feeds[name] : undefined;
    if (leaf.op === 'Variable') {
      if (value !== undefined) variables.write(name, value, dims);
      else if (symbolic) variables.bind(leaf, dims);
      continue;
    }
    if (value === undefined) {
      if (name === STEP_INPUT) continue;
      throw bad('E0403', `no value given for input '${name}'`);
    }
    const f = readFeed(name, value);
    bindFeed(name, leaf.shape, f, dims, unsettled);
    fed.push([leaf, f.data]);
  }
  if (unsettled.length > 0) bindFedShapes(unsettled, dims);
  return dims;
}
