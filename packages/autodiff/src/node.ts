import type { Span } from './diagnostic.js';
import type { DType } from './dtype.js';
import type { OpName } from './ops/index.js';
import type { Shape } from './shape.js';

/** Attribute values are plain JSON so graphs serialise without loss. */
export type AttrValue =
  | number
  | string
  | boolean
  | null
  | readonly AttrValue[]
  | { readonly [k: string]: AttrValue };
export type Attrs = { readonly [k: string]: AttrValue };

/**
 * One immutable IR node. Nodes are hash-consed by their graph: two structurally equal nodes
 * (same op, inputs and attrs) are the same object, so CSE comes for free. `id`s increase in
 * creation order, which is a topological order.
 */
export interface Node {
  readonly id: number;
  readonly op: OpName;
  readonly inputs: readonly Node[];
  readonly attrs: Attrs;
  readonly dtype: DType;
  readonly shape: Shape;
  /** Where in a `.model` file this node came from, if it came from one. */
  readonly span?: Span;
}

/** JSON with sorted keys, so equal attrs give equal strings. */
export function stableStringify(v: AttrValue | undefined): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v))
      return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Inf"' : '"-Inf"';
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map((e) => stableStringify(e)).join(',')}]`;
  const o = v as { readonly [k: string]: AttrValue };
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
    .join(',')}}`;
}

/** Every node reachable from `roots`, inputs before users. */
export function topoSort(roots: Iterable<Node>): Node[] {
  const seen = new Set<Node>();
  const order: Node[] = [];
  // Iterative DFS: model graphs can be deep (long chains of elementwise ops).
  for (const root of roots) {
    if (seen.has(root)) continue;
    const stack: [Node, number][] = [[root, 0]];
    seen.add(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [node, i] = top;
      if (i < node.inputs.length) {
        top[1]++;
        const child = node.inputs[i];
        if (!seen.has(child)) {
          seen.add(child);
          stack.push([child, 0]);
        }
      } else {
        stack.pop();
        order.push(node);
      }
    }
  }
  return order;
}
