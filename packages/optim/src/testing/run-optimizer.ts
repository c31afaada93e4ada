/**
 * Runs an optimiser on a research problem and returns its whole trajectory, for properties that
 * compare it with theory. The training step is the one `gradus train` compiles (forward,
 * backward and update in one graph, `buildTrainStep`), run on the CPU backend, so what a property
 * shows about an optimiser holds for real training runs.
 */
import { STEP_INPUT, type Tensor, type TensorLike } from '@gradus/autodiff';
import { cpu } from '@gradus/backends';
import type { CallSpec } from '../catalogue.js';
import { optimizerFromSpec } from '../optimizers.js';
import { buildTrainStep, paramsOf } from '../step.js';
import type { GradientTransformation } from '../transforms/types.js';
import type { Problem } from './problems.js';

export interface Trajectory {
  /** The params before step 1 and after every step: steps + 1 flat vectors. */
  readonly params: Float64Array[];
  /** The loss at each of `params` (steps + 1 values). */
  readonly losses: number[];
  /** The gradient at each of `params` (steps + 1 vectors). */
  readonly grads: Float64Array[];
  /** The learning rate each step used, when the optimiser reports one (steps values). */
  readonly lrs: number[];
}

export interface RunOptions {
  /** A learning-rate schedule, as in a `train { }` block (with a spec optimiser). */
  readonly schedule?: CallSpec;
  /** Clip the gradient to this global norm before the optimiser. */
  readonly clip?: number;
}

const GRAD = '$research.grad.';

/**
 * `steps` steps of `optimizer` (a gradient transformation, or a catalogue call such as
 * `{ name: 'adam', args: { lr: 0.01 } }`) on `problem`, from its starting point.
 */
export function runOptimizer(
  problem: Problem,
  optimizer: GradientTransformation | CallSpec,
  steps: number,
  opts: RunOptions = {},
): Trajectory {
  if (!(Number.isInteger(steps) && steps >= 0))
    throw new Error(`runOptimizer: steps must be a non-negative integer, got ${steps}`);
  const g = problem.build();
  const lossNode = g.loss();
  if (!lossNode) throw new Error(`runOptimizer: problem ${problem.name} builds no loss`);
  const params = paramsOf(g);
  const opt =
    'update' in optimizer
      ? optimizer
      : optimizerFromSpec(optimizer, opts.schedule ? { schedule: opts.schedule } : {});
  const step = buildTrainStep(
    g,
    g.value(lossNode),
    params,
    opt,
    opts.clip !== undefined ? { clip: opts.clip } : {},
  );
  // The gradients the step uses, also as outputs (buildTrainStep keeps them internal).
  params.forEach((p, i) => {
    g.output(`${GRAD}${p.name}`, step.grads[i]);
  });
  const exe = cpu.compile(g, { dtype: 'f64' });
  const flat = (read: (name: string) => Tensor) => {
    const out = new Float64Array(problem.dim);
    let o = 0;
    for (const p of params) {
      const t = read(p.name);
      out.set(t.data, o);
      o += t.data.length;
    }
    if (o !== problem.dim)
      throw new Error(`runOptimizer: ${problem.name} says dim ${problem.dim}, its params hold ${o}`);
    return out;
  };
  const trajectory: Trajectory = { params: [flat((n) => exe.read(n))], losses: [], grads: [], lrs: [] };
  // One run more than `steps`, whose update is undone: the loss and gradient at the last point.
  for (let k = 0; k <= steps; k++) {
    const before = k === steps ? Object.fromEntries(exe.variables.map((n) => [n, exe.read(n)])) : undefined;
    const feeds: Record<string, TensorLike> = { ...(problem.feeds?.(k) ?? {}) };
    if (g.inputs.has(STEP_INPUT))
      feeds[STEP_INPUT] = { shape: [], dtype: 'i32', data: Float64Array.of(k + 1) };
    const out = exe.run(feeds);
    trajectory.losses.push(out.loss.data[0]);
    trajectory.grads.push(flat((n) => out[`${GRAD}${n}`]));
    if (before) {
      for (const [n, t] of Object.entries(before)) exe.write(n, t);
      break;
    }
    if (out.lr) trajectory.lrs.push(out.lr.data[0]);
    trajectory.params.push(flat((n) => exe.read(n)));
  }
  return trajectory;
}
