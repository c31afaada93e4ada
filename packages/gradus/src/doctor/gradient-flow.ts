/**
 * `gradient_flow`: how the gradient reaches each param over the first steps of training.
 * - per param: the gradient's norm, and the update-to-param norm ratio ‖Δp‖/‖p‖ (the lectures'
 *   rule of thumb: around 1e-3; far below, learning is slow; far above, unstable);
 * - dead ReLU units: units whose output is 0 for every example of a batch, so no gradient flows
 *   through them (typically a large negative bias, or a learning rate that pushed them there);
 * - vanishing or exploding gradients by layer: the first weight layer's relative gradient
 *   ‖∇W‖/‖W‖ against the last's.
 */
import { type Node, permutation, streamOf } from '@gradus/autodiff';
import { type DoctorCheck, num } from './check.js';
import { type DoctorModel, lowerVariant } from './doctor-model.js';
import { gradientOptimizer, stepRunner } from './step-runner.js';

export interface GradientFlowOptions {
  /** Training steps watched (default 10). */
  readonly steps?: number;
}

const isZeroConst = (n: Node) =>
  n.op === 'Const' && (n.attrs.value as readonly number[]).every((v) => v === 0);

/** The ReLUs of a graph: where(x > 0, x, 0), the form `relu` lowers to. */
export function reluNodes(nodes: readonly Node[]): Node[] {
  return nodes.filter((n) => {
    if (n.op !== 'Where') return false;
    const [cond, a, b] = n.inputs;
    return cond.op === 'Greater' && cond.inputs[0] === a && isZeroConst(cond.inputs[1]) && isZeroConst(b);
  });
}

const norm = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
};
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)];
};

export function checkGradientFlow(m: DoctorModel, opts: GradientFlowOptions = {}): DoctorCheck {
  const name = 'gradient_flow';
  const steps = opts.steps ?? 10;
  const lowered = lowerVariant(m);
  const g = lowered.graph;
  const relus = reluNodes(g.reachable([g.loss()!]));
  relus.forEach((r, i) => {
    g.output(`doctor_relu_${i}`, r);
  });
  const params = lowered.model.params;
  const optimizer = gradientOptimizer(lowered.model.train.optimizer, { name: 'sgd', args: { lr: 0.01 } });
  const runner = stepRunner(lowered, m.data, optimizer, m.seed, {
    extra: Object.fromEntries(params.map((_p, i) => [`doctor_grad_${i}`, (grads) => grads[i]])),
  });
  const batch = Math.max(1, Math.min(m.lowered.model.train.batch ?? 32, m.rows || 1));
  const order = m.rows === 0 ? new Int32Array(0) : permutation(m.rows, m.seed, streamOf('doctor:flow'), 0);
  const gradNorms = params.map(() => [] as number[]);
  const ratios = params.map(() => [] as number[]);
  const dead: number[][] = relus.map(() => []);
  let nonFinite = false;
  for (let k = 0; k <= steps; k++) {
    const rows =
      m.rows === 0 ? undefined : Array.from({ length: batch }, (_, i) => order[(k * batch + i) % m.rows]);
    const before = params.map((p) => Float64Array.from(runner.exe.read(p.name).data));
    const { out } = runner.step(rows);
    if (k === 0 || k === steps)
      relus.forEach((_, i) => {
        const t = out[`doctor_relu_${i}`];
        const units = t.shape.length === 0 ? 1 : (t.shape[t.shape.length - 1] as number);
        let count = 0;
        for (let u = 0; u < units; u++) {
          let alive = false;
          for (let j = u; j < t.data.length; j += units) if (t.data[j] !== 0) alive = true;
          if (!alive) count++;
        }
        dead[i].push(count / units);
      });
    if (k === steps) break;
    params.forEach((p, i) => {
      const gn = norm(out[`doctor_grad_${i}`].data);
      if (!Number.isFinite(gn)) nonFinite = true;
      gradNorms[i].push(gn);
      const after = runner.exe.read(p.name).data;
      const pn = norm(before[i]);
      if (pn > 0) ratios[i].push(norm(after.map((v, j) => v - before[i][j])) / pn);
    });
  }
  const line = (n: Node) => (n.span ? m.file.text.slice(0, n.span.start).split('\n').length : undefined);
  const perParam = params.map((p, i) => ({
    param: p.name,
    grad_norm: median(gradNorms[i]),
    update_ratio: median(ratios[i]),
    relative_grad: median(gradNorms[i]) / Math.max(norm(runner.exe.read(p.name).data), Number.MIN_VALUE),
  }));
  const reluReport = relus.map((r, i) => ({
    line: line(r),
    units: r.shape.length === 0 ? 1 : r.shape[r.shape.length - 1],
    dead_at_start: dead[i][0],
    dead_after: dead[i][dead[i].length - 1],
  }));
  const fails: string[] = [];
  const warns: string[] = [];
  if (nonFinite)
    fails.push('some gradients are not finite numbers: the model overflows at its initialisation');
  for (const r of reluReport) {
    const at = r.line !== undefined ? `the relu on line ${r.line}` : 'a relu';
    const worst = Math.max(r.dead_at_start, r.dead_after);
    if (r.dead_at_start >= 1)
      fails.push(
        `every unit of ${at} is dead at initialisation (0 for every example), so no gradient reaches the layers before it: its pre-activations are all negative; initialise its bias at 0 (or slightly positive) and its weights smaller`,
      );
    else if (r.dead_after >= 1)
      fails.push(
        `every unit of ${at} died within the first ${steps} steps (0 for every example): the updates pushed all its pre-activations negative; the learning rate is too high`,
      );
    else if (worst >= 0.5)
      warns.push(`${num(100 * worst)}% of the units of ${at} are dead (0 for every example)`);
  }
  perParam.forEach((p, i) => {
    if (p.grad_norm === 0) {
      fails.push(
        `'${p.param}' gets no gradient: it does not affect the loss, or every path to it passes dead units`,
      );
      return;
    }
    // The rule of thumb is about weights: a bias starting at 0 moves by a large fraction of its small norm.
    if (params[i].shape.length < 2) return;
    if (p.update_ratio < 1e-5)
      warns.push(
        `'${p.param}' moves by ${num(p.update_ratio)} of its norm per step (rule of thumb ≈ 1e-3): learning very slowly; raise the lr`,
      );
    else if (p.update_ratio > 0.1)
      warns.push(
        `'${p.param}' moves by ${num(p.update_ratio)} of its norm per step (rule of thumb ≈ 1e-3): too fast to be stable; lower the lr`,
      );
  });
  const weights = perParam.filter((_, i) => params[i].shape.length >= 2 && perParam[i].grad_norm > 0);
  if (weights.length >= 2) {
    const first = weights[0];
    const last = weights[weights.length - 1];
    const r = first.relative_grad / last.relative_grad;
    if (r < 1e-2)
      warns.push(
        `vanishing gradients: '${first.param}' (first layer) gets ${num(r)} of the relative gradient ‖∇W‖/‖W‖ of '${last.param}' (last layer)`,
      );
    else if (r > 1e2)
      warns.push(
        `exploding gradients: '${first.param}' (first layer) gets ${num(r)}× the relative gradient of '${last.param}' (last layer)`,
      );
  }
  const details = { steps, optimizer: optimizer.name, params: perParam, relus: reluReport };
  const summary = `over ${steps} steps: ${perParam.map((p) => `${p.param} ‖∇‖ ${num(p.grad_norm)}, ‖Δ‖/‖p‖ ${num(p.update_ratio)}`).join('; ')}${reluReport.length ? `; dead relu units ${reluReport.map((r) => `${num(100 * r.dead_after)}%`).join(', ')}` : ''}`;
  if (fails.length > 0) return { name, status: 'fail', message: [...fails, ...warns].join('; '), details };
  if (warns.length > 0) return { name, status: 'warn', message: warns.join('; '), details };
  return { name, status: 'ok', message: `gradients flow to every param ${summary}`, details };
}
