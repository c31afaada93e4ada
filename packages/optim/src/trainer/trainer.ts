import type { Callback, TrainResult } from './callback.js';
import { checkpoints } from './callbacks/checkpoints.js';
import { earlyStop } from './callbacks/early-stop.js';
import { polyakEvaluation } from './callbacks/polyak.js';
import { findPlateauRule, reduceLrOnPlateau } from './callbacks/reduce-on-plateau.js';
import { stopOnNan } from './callbacks/stop-on-nan.js';
import { runLoop } from './loop.js';
import { prepareSession, type TrainSpec } from './session.js';

/**
 * Trains a model: one compiled training-step graph (forward, backward, optimiser update) run once
 * per minibatch on a backend, where params and optimiser state stay between steps. A function,
 * not a class: a run's state is the backend's variables, the step number and the small
 * `RunState`, all of which a checkpoint holds.
 *
 * The loop (loop.ts) runs the steps and evaluations; what the spec asks for besides is made of
 * callbacks, in this order: stopping on NaN and divergence, reduce-on-plateau (when the schedule
 * is `plateau`), Polyak evaluation, early stopping (restoring the best params), then the
 * caller's `callbacks`, then checkpoints.
 *
 * The host-driven optimisers `lbfgs`, `bfgs` and `newton` (see host/host-driver.ts) are full
 * batch: one step is one iteration over ALL the training data (`batch` and `shuffle` do not
 * apply, and an epoch is one step). The compiled graph then gives the loss and gradients (and the
 * Hessian), and the host takes the step; evaluation, checkpoints, the NaN and divergence stops and
 * the callbacks are the same. They also stop once converged (reason `early_stop`, with a message).
 */
export function train(spec: TrainSpec, callbacks: Callback | readonly Callback[] = []): TrainResult {
  const user = Array.isArray(callbacks) ? callbacks : [callbacks as Callback];
  let restored: TrainResult['restored'];
  const before: Callback[] = [stopOnNan()];
  if (spec.polyak !== undefined) before.push(polyakEvaluation(spec.polyak));
  if (spec.earlyStop !== undefined)
    before.push(
      earlyStop({
        patience: spec.earlyStop,
        restoreBest: spec.restoreBest ?? true,
        onRestore: (step, loss, message) => {
          restored = { step, loss, message };
        },
      }),
    );
  const after: Callback[] = spec.checkpointDir
    ? [checkpoints(spec.checkpointDir, { every: spec.checkpointEvery, settings: spec.settings })]
    : [];
  const session = prepareSession(spec, [...before, ...user, ...after]);
  const rule = findPlateauRule(session.lr, spec.schedule, session.exe);
  // Plateau first among the evaluation hooks: it sets the event's plateauScale that others report.
  const all = [...(rule ? [reduceLrOnPlateau(rule)] : []), ...before, ...user, ...after];
  const result = runLoop(session, all);
  return restored ? { ...result, restored } : result;
}
