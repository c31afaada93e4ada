/**
 * Short training runs for the doctor's checks: the model's real training step (`buildTrainStep`,
 * compiled on the CPU backend) driven directly, on chosen rows, with chosen optimisers and
 * schedules, without the trainer's run directory, checkpoints or stopping rules. Each check asks a
 * question of a few hundred steps at most, so none of those apply.
 */
import { STEP_INPUT, type Tensor, type Value } from '@gradus/autodiff';
import { cpu, type Executable } from '@gradus/backends';
import type { Lowered } from '@gradus/dsl';
import {
  buildTrainStep,
  type CallSpec,
  gatherRows,
  isHostDriven,
  optimizerFromSpec,
  paramsOf,
} from '@gradus/optim';

export interface StepRunner {
  readonly exe: Executable;
  readonly params: readonly string[];
  readonly metrics: readonly string[];
  /** One step on `rows` of the data (all of it when omitted); the loss and metrics where it started. */
  step(rows?: ArrayLike<number>): {
    loss: number;
    metrics: Record<string, number>;
    out: Record<string, Tensor>;
  };
}

export interface StepRunnerOptions {
  readonly schedule?: CallSpec;
  /** More values to return from every step, by output name. */
  readonly extra?: Readonly<Record<string, (grads: readonly Value[]) => Value>>;
}

export function stepRunner(
  lowered: Lowered,
  data: Readonly<Record<string, Tensor>>,
  optimizer: CallSpec,
  seed: number,
  opts: StepRunnerOptions = {},
): StepRunner {
  const g = lowered.graph;
  const lossNode = g.loss();
  if (!lossNode) throw new Error('internal: the doctor lowered a model without a loss');
  const params = paramsOf(g);
  const ts = buildTrainStep(
    g,
    g.value(lossNode),
    params,
    optimizerFromSpec(optimizer, opts.schedule ? { schedule: opts.schedule } : {}),
  );
  for (const [name, make] of Object.entries(opts.extra ?? {})) g.output(name, make(ts.grads));
  const metrics = [...g.outputs].filter(([, o]) => o.kind === 'metric').map(([n]) => n);
  const exe = cpu.compile(g, { dtype: 'f64', seed });
  const inputs = lowered.model.inputs.map((i) => i.name);
  const total = inputs.length === 0 ? 0 : data[inputs[0]].shape[0];
  let k = 0;
  return {
    exe,
    params: params.map((p) => p.name),
    metrics,
    step(rows) {
      const feeds: Record<string, Tensor> =
        inputs.length === 0
          ? {}
          : gatherRows(data, inputs, rows ?? Int32Array.from({ length: total }, (_, i) => i));
      k++;
      if (g.inputs.has(STEP_INPUT)) feeds[STEP_INPUT] = { shape: [], dtype: 'i32', data: Float64Array.of(k) };
      const out = exe.run(feeds);
      const m: Record<string, number> = {};
      for (const name of metrics) m[name] = out[name].data[0];
      return { loss: out.loss.data[0], metrics: m, out };
    },
  };
}

/** The optimiser a check trains with: the model's own when it is a gradient transformation. */
export function gradientOptimizer(spec: CallSpec | undefined, fallback: CallSpec): CallSpec {
  return spec && !isHostDriven(spec) ? spec : fallback;
}
