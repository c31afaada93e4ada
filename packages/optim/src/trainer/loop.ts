import type { Tensor } from '@gradus/autodiff';
import type { Callback, EvalEvent, Stop, StopOptions, TrainContext, TrainResult } from './callback.js';
import type { Session } from './session.js';

/**
 * The training loop, and nothing else: it runs one compiled step per minibatch, evaluates on
 * the evaluation schedule (every `evalEvery` steps, and once more at the end of a run that does
 * not end on it), and calls the callbacks' hooks in order. Stopping, checkpoints, logs and
 * everything else are callbacks (see callbacks/).
 *
 * Per step: `onStep` for every callback; then, unless a callback stopped the run at once (NaN),
 * the evaluation with `evalParams` and `onEval`; then `onStepEnd` (checkpoints). A stop ends the
 * run after its step's hooks.
 */
export function runLoop(session: Session, callbacks: readonly Callback[]): TrainResult {
  const { exe, batcher, totalSteps, host } = session;
  let step = session.startStep;
  let stopped: (Stop & StopOptions) | undefined;
  let lastEvaluated: Readonly<Record<string, Tensor>> | undefined;
  const warnings: string[] = [];
  /** Params were written (a restored best evaluation) after the last evaluation chose its params. */
  let paramsSet = false;
  const readParams = () => {
    const params: Record<string, Tensor> = Object.create(null);
    for (const p of session.paramNames) params[p] = exe.read(p);
    return params;
  };
  const ctx: TrainContext = {
    modelName: session.modelName,
    get step() {
      return step;
    },
    startStep: session.startStep,
    totalSteps,
    batchesPerEpoch: batcher.batchesPerEpoch,
    batch: batcher.batch,
    seed: session.seed,
    dtype: session.dtype,
    ...(session.evalSplit !== undefined ? { evalSplit: session.evalSplit } : {}),
    paramNames: session.paramNames,
    exe,
    run: session.run,
    get stopped() {
      return stopped ? { reason: stopped.reason, message: stopped.message } : undefined;
    },
    stop(reason, message, options = {}) {
      if (!stopped) stopped = { reason, message, ...options };
    },
    warn(message) {
      warnings.push(message);
    },
    params: readParams,
    evaluatedParams: () => lastEvaluated,
    setParams(params) {
      for (const [p, t] of Object.entries(params)) exe.write(p, t);
      paramsSet = true;
    },
  };
  const hooks = <K extends keyof Callback>(k: K) =>
    callbacks.filter((c) => c[k]) as (Callback & Required<Pick<Callback, K>>)[];
  const onStep = hooks('onStep');
  const onEval = hooks('onEval');
  const onStepEnd = hooks('onStepEnd');
  const evalParamHooks = hooks('evalParams');

  const evaluate = (endOfRun: boolean): EvalEvent | undefined => {
    let params: Readonly<Record<string, Tensor>> | undefined;
    for (const c of evalParamHooks) {
      params = c.evalParams(ctx);
      if (params) break;
    }
    paramsSet = false;
    const e = session.evaluate(params, step, endOfRun);
    if (!e) return undefined;
    lastEvaluated = params ?? readParams();
    const event: EvalEvent = { ...e };
    for (const c of onEval) c.onEval(event, ctx);
    return event;
  };

  for (const c of callbacks) c.onTrainBegin?.(ctx);
  const t1 = performance.now();
  let lastEval: EvalEvent | undefined;
  const stepFeed: Tensor = { shape: [], dtype: 'i32', data: new Float64Array(1) };
  const traceParams = session.traceParams;

  while (step < totalSteps) {
    const feeds: Record<string, Tensor> = batcher.feeds(step);
    // Random ops (dropout) draw from (seed, $step): the same masks on a resumed run.
    stepFeed.data[0] = step + 1;
    feeds.$step = stepFeed;
    const out = host ? host.step(exe, feeds, step + 1) : exe.run(feeds);
    step++;
    const loss = out.loss.data[0];
    ctx.run = { ...ctx.run, firstLoss: ctx.run.firstLoss ?? loss, lastLoss: loss };
    const metrics: Record<string, number> = {};
    for (const m of session.metricNames) if (out[m]) metrics[m] = out[m].data[0];
    const lr = out.lr?.data[0];
    const event = {
      step,
      epoch: batcher.epochOf(step - 1),
      loss,
      ...(lr !== undefined ? { lr } : {}),
      ...(out.grad_norm ? { gradNorm: out.grad_norm.data[0] } : {}),
      metrics,
      ...(traceParams
        ? { params: Object.fromEntries(session.paramNames.map((p) => [p, exe.read(p).data])) }
        : {}),
      totalSteps,
    };
    for (const c of onStep) c.onStep(event, ctx);
    // No evaluation or checkpoint after such a stop: the params are already ruined, and the last
    // good checkpoint is the one to resume from (with a lower learning rate).
    if (stopped && stopped.keep === false) break;
    if (!stopped && host?.finished) ctx.stop(host.finished.reason, host.finished.message);
    const scheduled = step % session.evalEvery === 0;
    if (scheduled || step === totalSteps || (stopped && stopped.evaluate !== false)) {
      lastEval = evaluate(!scheduled) ?? lastEval;
    }
    for (const c of onStepEnd) c.onStepEnd(ctx);
    if (stopped) break;
  }
  // The test split, once: with the params the run ends with (restored ones as they are, else
  // what evaluations score, the Polyak averages), unless the params were ruined (NaN).
  let test: EvalEvent | undefined;
  if (session.evaluateTest && !(stopped && stopped.keep === false)) {
    let params: Readonly<Record<string, Tensor>> | undefined;
    if (!paramsSet)
      for (const c of evalParamHooks) {
        params = c.evalParams(ctx);
        if (params) break;
      }
    const e = session.evaluateTest(params, step);
    if (e) {
      test = { ...e };
      for (const c of onEval) c.onEval(test, ctx);
    }
  }
  for (const c of callbacks) c.onTrainEnd?.(ctx);
  const seconds = (performance.now() - t1) / 1000;
  return {
    steps: step,
    epochs: batcher.epochOf(Math.max(step - 1, 0)) + 1,
    finalLoss: ctx.run.lastLoss ?? Number.NaN,
    ...(lastEval ? { evaluation: lastEval } : {}),
    ...(test ? { test } : {}),
    seconds,
    compileSeconds: session.compileSeconds,
    ...(ctx.stopped ? { stopped: ctx.stopped } : {}),
    warnings,
    params: readParams(),
  };
}
