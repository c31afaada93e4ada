/**
 * Binding feeds to a graph's leaves, shared by the backends: the same rules, codes and messages as
 * the reference interpreter (E0401 wrong shape, E0402 conflicting dims, E0403 missing value,
 * E0405 non-integer data for an int or bool input).
 */
import {
  type ConcreteShape,
  type DType,
  diagnostic,
  flattenNested,
  formatShape,
  GradusError,
  isTensor,
  type NestedArray,
  type Node,
  type Shape,
  STEP_INPUT,
  shapeOfNested,
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
 * Binds the symbolic dims of `declared` from a fed value (mutating `dims`), mirroring the
 * interpreter: a flat array takes the declared shape once its symbols are known.
 */
export function bindFeed(
  name: string,
  declared: Shape,
  fed: FedData,
  dims: Record<string, number>,
): ConcreteShape {
  let shape = fed.shape;
  if (shape === undefined) {
    const n = fed.data.length;
    if (declared.length === 1) shape = [n];
    else {
      const bound = declared.map((d) => (typeof d === 'string' ? dims[d] : d));
      shape = bound.every((d) => d !== undefined) && bound.reduce((p, d) => p * d, 1) === n ? bound : [n];
    }
  }
  const wrong = () =>
    bad('E0401', `'${name}' expects shape ${formatShape(declared)} but was given ${formatShape(shape)}`);
  if (shape.length !== declared.length) throw wrong();
  declared.forEach((d, i) => {
    const got = (shape as readonly number[])[i];
    if (typeof d === 'string') {
      if (dims[d] === undefined) dims[d] = got;
      else if (dims[d] !== got) {
        throw bad(
          'E0402',
          `'${name}' has ${got} along ${d}, but ${d} is already bound to ${dims[d]} by another input`,
        );
      }
    } else if (d !== got) throw wrong();
  });
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
  const dims: Record<string, number> = symbolic ? {} : NO_DIMS;
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
    bindFeed(name, leaf.shape, f, dims);
    fed.push([leaf, f.data]);
  }
  return dims;
}
