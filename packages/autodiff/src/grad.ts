import { concat } from './composites.js';
import { diagnostic, GradusError } from './diagnostic.js';
import { isFloat } from './dtype.js';
import type { Node } from './node.js';
import { topoSort } from './node.js';
import { opDefs } from './ops/index.js';
import { formatShape, sameShape, sizeOf } from './shape.js';
import type { Value } from './value.js';

/**
 * Reverse-mode differentiation, graph to graph: returns, for each of `wrt`, a value in the same
 * graph holding ∂⟨cot, out⟩/∂w. Because every gradient rule is written in graph ops, the result
 * can be differentiated again (`hvp`, `hessian`).
 *
 * Only nodes on a path from `wrt` to `out` are visited, and only float nodes carry gradients:
 * labels, masks and comparisons are simply not on any gradient path.
 */
export function vjp(out: Value, wrt: readonly Value[], cot?: Value): Value[] {
  const g = out.g;
  for (const w of wrt) {
    if (w.g !== g)
      throw new GradusError(
        diagnostic('E0210', 'grad: a value to differentiate by belongs to another graph'),
      );
  }
  let seed = cot;
  if (!seed) {
    if (out.rank !== 0) {
      throw new GradusError(
        diagnostic(
          'E0211',
          `grad needs a scalar output (or an explicit cotangent), got shape ${formatShape(out.shape)}`,
        ),
      );
    }
    seed = g.constant(1, out.dtype);
  } else if (!sameShape(seed.shape, out.shape)) {
    throw new GradusError(
      diagnostic(
        'E0212',
        `cotangent shape ${formatShape(seed.shape)} differs from output shape ${formatShape(out.shape)}`,
      ),
    );
  }

  const order = topoSort([out.node]);
  const targets = new Set(wrt.map((w) => w.node));
  // Nodes whose value depends (differentiably) on some target.
  const live = new Set<Node>();
  for (const n of order) {
    if (!isFloat(n.dtype)) continue;
    if (targets.has(n) || n.inputs.some((i) => live.has(i))) live.add(n);
  }

  const cots = new Map<Node, Value>([[out.node, seed.castTo(out.dtype)]]);
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k];
    const c = cots.get(node);
    if (!c || !live.has(node)) continue;
    const rule = opDefs[node.op].vjp as
      | ((ctx: {
          inputs: Value[];
          out: Value;
          cot: Value;
          attrs: unknown;
        }) => readonly ((() => Value) | null)[])
      | undefined;
    if (!rule) continue;
    g.withSpan(node.span, () => {
      const thunks = rule({
        inputs: node.inputs.map((n) => g.value(n)),
        out: g.value(node),
        cot: c,
        attrs: node.attrs,
      });
      node.inputs.forEach((input, i) => {
        const thunk = thunks[i];
        if (!thunk || !live.has(input)) return;
        const ci = thunk().castTo(input.dtype);
        const prev = cots.get(input);
        cots.set(input, prev ? prev.add(ci) : ci);
      });
    });
  }
  return wrt.map((w) => cots.get(w.node) ?? w.zerosLike());
}

/** Gradients of a scalar `loss` with respect to each of `wrt`. */
export function grad(loss: Value, wrt: readonly Value[]): Value[] {
  return vjp(loss, wrt);
}

export function valueAndGrad(loss: Value, wrt: readonly Value[]): { value: Value; grads: Value[] } {
  return { value: loss, grads: grad(loss, wrt) };
}

/** Hessian-vector product H·v of a scalar `loss` at `x`, as the gradient of ⟨∇loss, v⟩ (Pearlmutter). */
export function hvp(loss: Value, x: Value, v: Value): Value {
  const [gx] = grad(loss, [x]);
  return grad(gx.mul(v).sum(), [x])[0];
}

/**
 * Hessian-vector products over several params at once: for the block vector v = (v₁, …, vₖ)
 * (each vᵢ the shape of xᵢ), the blocks of H·v where H is the Hessian of `loss` with respect to
 * all of `xs` together, cross terms included. It is the gradient of Σᵢ⟨∇ᵢloss, vᵢ⟩, so it costs
 * about two gradient evaluations and never forms H.
 */
export function hvpAll(loss: Value, xs: readonly Value[], vs: readonly Value[]): Value[] {
  if (vs.length !== xs.length)
    throw new GradusError(
      diagnostic('E0214', `hvpAll: ${xs.length} params but ${vs.length} direction blocks`),
    );
  xs.forEach((x, i) => {
    if (!sameShape(x.shape, vs[i].shape))
      throw new GradusError(
        diagnostic(
          'E0214',
          `hvpAll: direction block ${i} has shape ${formatShape(vs[i].shape)}, its param ${formatShape(x.shape)}`,
        ),
      );
  });
  if (xs.length === 0) return [];
  const grads = grad(loss, xs);
  let dot = grads[0].mul(vs[0]).sum();
  for (let i = 1; i < grads.length; i++) dot = dot.add(grads[i].mul(vs[i]).sum());
  return grad(dot, xs);
}

/**
 * The full Hessian of a scalar `loss` with respect to `x` (flattened to n elements): an [n, n]
 * value built from n gradient-of-gradient rows. Meant for small parameter vectors (Newton's method).
 */
export function hessian(loss: Value, x: Value): Value {
  if (!x.shape.every((d) => typeof d === 'number')) {
    throw new GradusError(
      diagnostic('E0213', `hessian needs a parameter of known shape, got ${formatShape(x.shape)}`),
    );
  }
  const n = sizeOf(x.shape as number[]);
  const gflat = grad(loss, [x])[0].reshape([n]);
  const rows: Value[] = [];
  for (let i = 0; i < n; i++) rows.push(grad(gflat.index([i]), [x])[0].reshape([1, n]));
  return concat(rows, 0);
}
