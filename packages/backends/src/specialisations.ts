/**
 * The specialisations of an executable, one per binding of its symbolic dims, compiled on first
 * use and cached by that binding; `last` is the one the latest run used.
 */
import type { Dim, Node } from '@gradus/autodiff';
import { concreteShape, sizeOf } from './shapes.js';

export class Specialisations<S> {
  private readonly cache = new Map<string, S>();
  last: S | undefined;

  /** The specialisation for `dims`, built (and cached) by `build` the first time. */
  get(dims: Readonly<Record<string, number>>, build: () => S): S {
    const key = JSON.stringify(
      Object.keys(dims)
        .sort()
        .map((k) => [k, dims[k]]),
    );
    const hit = this.cache.get(key);
    if (hit) {
      this.last = hit;
      return hit;
    }
    const spec = build();
    this.cache.set(key, spec);
    this.last = spec;
    return spec;
  }

  values(): IterableIterator<S> {
    return this.cache.values();
  }

  get size(): number {
    return this.cache.size;
  }

  clear(): void {
    this.cache.clear();
    this.last = undefined;
  }
}

/** The value of a `Size` node under a binding of the symbolic dims. */
export function sizeValue(n: Node, dims: Readonly<Record<string, number>>): number {
  return sizeOf(concreteShape(n.attrs.dims as Dim[], dims, 'Size', n.span));
}
