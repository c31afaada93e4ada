/**
 * Variable storage rules shared by the backends: looking a variable up by name (E0406), reading a
 * written value, binding symbolic dims from a stored shape, and the initial value. Each backend
 * keeps the values where it computes (typed arrays, textures) in slots of its own.
 */
import {
  type ConcreteShape,
  diagnostic,
  GradusError,
  type Graph,
  type InitSpec,
  initialValue,
  type Node,
  suggest,
  type TensorLike,
} from '@gradus/autodiff';
import { bindFeed, type FedVariables, leafName, readFeed } from './feeds.js';
import { concreteShape, sizeOf } from './shapes.js';

/** What every backend knows of a variable: its node, and its shape once it holds a value. */
export interface VariableSlot {
  readonly node: Node;
  shape?: ConcreteShape;
}

/** The slot of the variable `name`, or E0406 (with a suggestion). */
export function variableSlot<S extends VariableSlot>(slots: ReadonlyMap<string, S>, name: string): S {
  const slot = slots.get(name);
  if (!slot) {
    const close = suggest(name, slots.keys());
    throw new GradusError(
      diagnostic('E0406', `no variable named '${name}'${close ? ` (did you mean '${close}'?)` : ''}`),
    );
  }
  return slot;
}

/** Reads a value written to a variable, binding its symbolic dims (mutating `dims`). */
export function readWrite(
  slot: VariableSlot,
  name: string,
  value: TensorLike,
  dims: Record<string, number>,
): { readonly shape: ConcreteShape; readonly data: ArrayLike<number> } {
  const fed = readFeed(name, value);
  const shape = bindFeed(name, slot.node.shape, fed, dims);
  return { shape: [...shape], data: fed.data };
}

/** A stored variable's shape binds its symbolic dims like a feed would. */
export function bindStored(slot: VariableSlot, dims: Record<string, number>): void {
  const { node, shape } = slot;
  if (shape) bindFeed(leafName(node), node.shape, { shape, data: { length: sizeOf(shape) } }, dims);
}

/** A variable's initial value and shape under a binding of the symbolic dims. */
export function initialVariable(
  n: Node,
  dims: Readonly<Record<string, number>>,
  seed: number,
): { readonly shape: ConcreteShape; readonly init: Float64Array } {
  const shape = concreteShape(n.shape, dims, leafName(n));
  return { shape, init: initialValue(n.attrs.init as InitSpec, shape, seed, leafName(n)) };
}

/** An empty slot for each of the graph's variables, by name. */
export function variableSlots<S extends VariableSlot>(g: Graph): Map<string, S> {
  const slots = new Map<string, S>();
  for (const [name, node] of g.variables) slots.set(name, { node } as S);
  return slots;
}

/** How a run's feeds reach the variables in `slots`: fed values go to `write`. */
export function fedVariables(
  slots: ReadonlyMap<string, VariableSlot>,
  write: FedVariables['write'],
): FedVariables {
  return { write, bind: (leaf, dims) => bindStored(slots.get(leafName(leaf))!, dims) };
}
