import type { DType, Graph, InitSpec, Value } from '@gradus/autodiff';
import { type Hyper, isSchedule } from '../schedules/schedule.js';

/** A trainable parameter: its variable name and its value in the step graph. */
export interface Param {
  readonly name: string;
  readonly value: Value;
}

/** Optimiser state: graph values (state variables when declared, their new values after an update) in any nesting. */
export type StateTree = Value | readonly StateTree[] | { readonly [key: string]: StateTree };

/** What every update may read besides gradients, state and parameters. */
export interface UpdateContext {
  readonly g: Graph;
  /** The 1-based number of this step as a float scalar (Adam's bias-correction t). */
  readonly step: Value;
  /** Steps completed before this one (0 on the first step) as a float scalar: schedules' argument. */
  readonly count: Value;
}

export interface UpdateResult<S extends StateTree = StateTree> {
  /** One update per parameter, same shapes; the step adds them to the parameters. */
  readonly updates: Value[];
  /** The new state, same structure as the state given. */
  readonly state: S;
  /** The learning rate this transform applied, if it applies one; `chain` multiplies them. */
  readonly lr?: Value;
}

/**
 * An optax-style gradient transformation over graph values: a pure pair. `init` declares the
 * state as graph state variables named deterministically (`opt.<param>.<slot>`), so checkpoints
 * save them by name; `update` builds the updates and the new state as graph ops and changes
 * nothing (the training step assigns the new state).
 */
export interface GradientTransformation<S extends StateTree = StateTree> {
  /** For messages and docs, e.g. `scaleByAdam(b1 = 0.9, ...)`. */
  readonly name: string;
  init(g: Graph, params: readonly Param[], scope?: string): S;
  update(grads: readonly Value[], state: S, params: readonly Value[], ctx: UpdateContext): UpdateResult<S>;
}

/** The scope of optimiser state variables: `opt.<param>.<slot>`. */
export const DEFAULT_SCOPE = 'opt';

/**
 * Declares the state variable `<scope>.<param>.<slot>` of `p`'s shape and dtype. A name already
 * taken (the same transform twice in one chain) gets `_2`, `_3`, ... in declaration order, which
 * is deterministic for a given optimiser.
 */
export function declareSlot(
  g: Graph,
  scope: string,
  p: Param,
  slot: string,
  init: InitSpec = { kind: 'zeros' },
  dtype: DType = p.value.dtype,
): Value {
  const base = `${scope}.${p.name}.${slot}`;
  let name = base;
  for (let k = 2; g.variables.has(name) || g.inputs.has(name); k++) name = `${base}_${k}`;
  return g.state(name, p.value.shape, init, dtype);
}

/** A hyper-parameter at this step: a number stays a number (a constant of the graph), a schedule becomes graph ops. */
export function hyper(h: Hyper, ctx: UpdateContext): Value | number {
  return isSchedule(h) ? h.graph(ctx.count) : h;
}

/** `1 − h` for a number or a value. */
export function oneMinus(h: Value | number): Value | number {
  return typeof h === 'number' ? 1 - h : h.rsub(1);
}

/** The denominator of the adaptive methods: `√s + eps`, or `√(s + eps)` with eps inside the root. */
export function rootWithEps(s: Value, eps: Value | number, inside: boolean): Value {
  return inside ? s.add(eps).sqrt() : s.sqrt().add(eps);
}

/** `h` as a scalar graph value of `dtype`. */
export function asValue(h: Value | number, ctx: UpdateContext, dtype: DType = ctx.g.floatDtype): Value {
  return typeof h === 'number' ? ctx.g.constant(h, dtype) : h.castTo(dtype);
}

/** The variable name of a declared state value. */
export function stateName(v: Value): string {
  return v.node.attrs.name as string;
}

/** The leaves of a state tree in a fixed order (arrays by index, objects by key order). */
export function stateLeaves(s: StateTree): Value[] {
  if (Array.isArray(s)) return (s as readonly StateTree[]).flatMap(stateLeaves);
  if (isValueLike(s)) return [s as Value];
  return Object.values(s as Record<string, StateTree>).flatMap(stateLeaves);
}

function isValueLike(s: StateTree): boolean {
  return typeof s === 'object' && s !== null && 'node' in s && 'g' in s;
}

/**
 * A transformation applied parameter by parameter, with per-parameter state slots: the shape of
 * most optimisers. `step` gets the gradient (after earlier transforms), the slot values and the
 * parameter, and returns the update and the new slot values.
 */
export function perParameter<K extends string>(
  name: string,
  slots: Readonly<Record<K, InitSpec>>,
  step: (
    grad: Value,
    state: Readonly<Record<K, Value>>,
    param: Value,
    ctx: UpdateContext,
  ) => { update: Value; state: Readonly<Record<K, Value>> },
  lr?: (state: readonly Readonly<Record<K, Value>>[], ctx: UpdateContext) => Value,
): GradientTransformation<Readonly<Record<K, Value>>[]> {
  const keys = Object.keys(slots) as K[];
  return {
    name,
    init: (g, params, scope = DEFAULT_SCOPE) =>
      params.map((p) => {
        const s = {} as Record<K, Value>;
        for (const k of keys) s[k] = declareSlot(g, scope, p, k, slots[k]);
        return s;
      }),
    update: (grads, state, params, ctx) => {
      const results = grads.map((gr, i) => step(gr, state[i], params[i], ctx));
      return {
        updates: results.map((r) => r.update),
        state: results.map((r) => r.state),
        ...(lr ? { lr: lr(state, ctx) } : {}),
      };
    },
  };
}

/** A stateless transformation that maps each gradient on its own. */
export function stateless(
  name: string,
  map: (grad: Value, param: Value, ctx: UpdateContext) => Value,
  lr?: (ctx: UpdateContext) => Value,
): GradientTransformation<readonly []> {
  return {
    name,
    init: () => [],
    update: (grads, _state, params, ctx) => ({
      updates: grads.map((gr, i) => map(gr, params[i], ctx)),
      state: [],
      ...(lr ? { lr: lr(ctx) } : {}),
    }),
  };
}

/** `name(k = v, ...)` for transform names. */
export function describeTransform(name: string, args: Readonly<Record<string, unknown>>): string {
  const parts = Object.entries(args)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} = ${isSchedule(v) ? v.name : String(v)}`);
  return `${name}(${parts.join(', ')})`;
}
