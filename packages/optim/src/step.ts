import {
  diagnostic,
  GradusError,
  type Graph,
  grad,
  type InterpretOptions,
  initVariables,
  run,
  type Tensor,
  type TensorLike,
  type Value,
} from '@gradus/autodiff';
import { chain } from './transforms/chain.js';
import { clipByGlobalNorm, globalNorm } from './transforms/clip.js';
import {
  DEFAULT_SCOPE,
  type GradientTransformation,
  type Param,
  type StateTree,
  stateLeaves,
  stateName,
} from './transforms/types.js';

/** The i32 state variable counting completed training steps. */
export const STEP_COUNTER = `${DEFAULT_SCOPE}.step`;

export interface TrainStepOptions {
  /** Clip the gradients to this global norm before the optimiser (PyTorch's clip_grad_norm_). */
  readonly clip?: number;
  /** Also output the global gradient norm (before clipping) as the metric `grad_norm`; default true. */
  readonly gradNorm?: boolean;
}

export interface TrainStep {
  readonly loss: Value;
  readonly grads: Value[];
  /** The learning rate used by this step, when the optimiser reports one. */
  readonly lr?: Value;
  readonly gradNorm?: Value;
  /** Names of the optimiser's state variables, the step counter first: what a checkpoint saves besides params. */
  readonly stateNames: string[];
}

/** The parameters a training step updates (all but the frozen ones), in declaration order. */
export function paramsOf(g: Graph): Param[] {
  return g.trainableParams().map((node) => ({ name: node.attrs.name as string, value: g.value(node) }));
}

/**
 * Turns a graph with a loss into a training step, so that one graph run repeatedly IS training:
 * adds the gradients, the optimiser's update, `param ← param + update` for every parameter, the
 * new optimiser state, and a step counter (`opt.step`); outputs `loss` (at the parameters the
 * step starts from), `lr` (the rate used) and `grad_norm`. Backends commit `g.updates` after
 * each run, so parameters and optimiser state never leave them.
 */
export function buildTrainStep(
  g: Graph,
  loss: Value,
  params: readonly Param[],
  opt: GradientTransformation,
  opts: TrainStepOptions = {},
): TrainStep {
  if (loss.rank !== 0) {
    throw new GradusError(
      diagnostic('E0906', `the loss must be a scalar, got shape [${loss.shape.join(', ')}]`),
    );
  }
  if (g.variables.has(STEP_COUNTER)) {
    throw new GradusError(
      diagnostic('E0909', `this graph already has a training step ('${STEP_COUNTER}' exists)`),
    );
  }
  checkTrainable(g, params);
  const count = g.state(STEP_COUNTER, [], { kind: 'zeros' }, 'i32');
  const countF = count.castTo(g.floatDtype);
  const ctx = { g, count: countF, step: countF.add(1) };

  const values = params.map((p) => p.value);
  const grads = grad(loss, values);
  const transform: GradientTransformation<StateTree> =
    opts.clip === undefined ? opt : chain(clipByGlobalNorm(opts.clip), opt);
  const state = transform.init(g, params);
  const { updates, state: next, lr } = transform.update(grads, state, values, ctx);

  params.forEach((p, i) => {
    g.assign(p.name, p.value.add(updates[i]));
  });
  const before = stateLeaves(state);
  const after = stateLeaves(next);
  if (before.length !== after.length) {
    throw new Error(`${transform.name}: update returned ${after.length} state values for ${before.length}`);
  }
  before.forEach((s, i) => {
    g.assign(stateName(s), after[i]);
  });
  g.assign(STEP_COUNTER, count.add(1));

  g.output('loss', loss, 'loss');
  if (lr) g.output('lr', lr, 'metric');
  const gradNorm = opts.gradNorm === false || grads.length === 0 ? undefined : globalNorm(grads);
  if (gradNorm) g.output('grad_norm', gradNorm, 'metric');
  return {
    loss,
    grads,
    ...(lr ? { lr } : {}),
    ...(gradNorm ? { gradNorm } : {}),
    stateNames: [STEP_COUNTER, ...before.map(stateName)],
  };
}

/**
 * A training step needs something to train, and must not train a param declared frozen (the
 * model says it stays as it is: pretrained features, a fixed embedding).
 */
export function checkTrainable(g: Graph, params: readonly Param[]): void {
  for (const p of params) {
    if (g.variables.get(p.name)?.attrs.frozen === true)
      throw new GradusError(
        diagnostic('E0930', `param '${p.name}' is frozen: a training step cannot update it`, {
          hint: 'train the params paramsOf(graph) returns, or declare it without `frozen`',
        }),
      );
  }
  if (params.length === 0 && g.params().length > 0)
    throw new GradusError(
      diagnostic('E0930', 'every param of this model is frozen: there is nothing to train', {
        hint: 'remove `frozen` from the params that should learn',
      }),
    );
}

export interface StepRecord {
  readonly loss: number;
  readonly lr?: number;
  readonly outputs: Readonly<Record<string, Tensor>>;
  /** The variables' values after this step. */
  readonly updates: Readonly<Record<string, Tensor>>;
}

export interface InterpretStepsOptions {
  readonly steps: number;
  /** Starting values of variables (params, optimiser state); missing ones take their initialiser. */
  readonly variables?: Readonly<Record<string, TensorLike>>;
  readonly initSeed?: number;
  /** Data inputs: the same every step, or per step (k = 0, 1, ...). */
  readonly feeds?:
    | Readonly<Record<string, TensorLike>>
    | ((k: number) => Readonly<Record<string, TensorLike>>);
  readonly precision?: InterpretOptions['precision'];
}

/**
 * A tiny host loop over the reference interpreter: runs a training-step graph `steps` times,
 * feeding every variable's updated value back in (what a backend does in place). For tests
 * and small experiments.
 */
export function interpretSteps(
  g: Graph,
  opts: InterpretStepsOptions,
): { variables: Record<string, Tensor>; history: StepRecord[] } {
  const seed = opts.initSeed ?? 0;
  const variables: Record<string, TensorLike> = { ...initVariables(g, seed), ...opts.variables };
  const history: StepRecord[] = [];
  for (let k = 0; k < opts.steps; k++) {
    const data = typeof opts.feeds === 'function' ? opts.feeds(k) : (opts.feeds ?? {});
    const { outputs, updates } = run(g, {
      feeds: { ...variables, ...data },
      ...(opts.precision ? { precision: opts.precision } : {}),
    });
    Object.assign(variables, updates);
    history.push({
      loss: outputs.loss?.data[0] ?? Number.NaN,
      ...(outputs.lr ? { lr: outputs.lr.data[0] } : {}),
      outputs,
      updates,
    });
  }
  return { variables: variables as Record<string, Tensor>, history };
}
