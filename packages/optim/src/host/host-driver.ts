/**
 * How the trainer runs the host-driven optimisers `lbfgs`, `bfgs` and `newton`. They cannot be one
 * compiled training step: L-BFGS needs a line search (a data-dependent number of evaluations) and
 * Newton a linear solve. So the model's graph is compiled once, with the loss, the metrics and
 * the gradient of every param as outputs (and for Newton the Hessian), and the host drives it:
 * it writes trial params into the executable, runs it on ALL the training data (full batch: the
 * lectures' advice, as both methods need one deterministic function), and reads the results
 * back as one flat vector (params concatenated in declaration order, each row-major).
 *
 * Sources of noise are held still: dropout draws its masks from `$step`, which is fixed at 1 for
 * the whole run, so every evaluation sees the same function. L-BFGS's curvature pairs live in the
 * executable as state variables (`opt.lbfgs.*`), as does BFGS's inverse-Hessian approximation
 * (`opt.bfgs.*`), so checkpoints carry them and `--resume` continues exactly. Batchnorm running
 * statistics are updated by every evaluation, line-search trial points included.
 */
import {
  diagnostic,
  GradusError,
  type Graph,
  grad,
  suggest,
  type Tensor,
  type Value,
} from '@gradus/autodiff';
import type { Executable } from '@gradus/backends';
import { type CallSpec, OPTIMIZERS, type ParamGroups, type SettingValue } from '../catalogue.js';
import { resolveArgs } from '../schedules/spec-args.js';
import { checkTrainable, paramsOf } from '../step.js';
import type { StopReason } from '../trainer/callback.js';
import { BFGS_MAX_PARAMS, bfgsStep } from './bfgs.js';
import { type Block, coordinateSweep, INNER_METHODS, type InnerMethod } from './coordinate.js';
import { type CurvatureMemory, type Evaluation, lbfgsStep, maxAbs } from './lbfgs.js';
import { hessianOf, NEWTON_MAX_PARAMS, newtonDirection } from './newton.js';

/** The catalogue's optimisers that the host drives. */
export const HOST_DRIVEN_OPTIMIZERS: readonly string[] = ['lbfgs', 'bfgs', 'newton', 'coordinate'];

export const isHostDriven = (spec: CallSpec): boolean => HOST_DRIVEN_OPTIMIZERS.includes(spec.name);

/** The run length (in steps) a host-driven optimiser sets when the settings give none: coordinate's sweeps. */
export const hostRunLength = (spec: CallSpec): number | undefined =>
  spec.name === 'coordinate'
    ? ((spec.args.sweeps ?? OPTIMIZERS.coordinate.args.sweeps.default) as number)
    : undefined;

/** Output and state names the driver adds to the graph; `$` and `opt.` keep them apart from the model's. */
export const gradOutput = (param: string): string => `$grad.${param}`;
export const HESSIAN_OUTPUT = '$hessian';
export const LBFGS_S = 'opt.lbfgs.s';
export const LBFGS_Y = 'opt.lbfgs.y';
export const LBFGS_PAIRS = 'opt.lbfgs.pairs';
/** BFGS's n×n inverse-Hessian approximation, and 1 once it has been formed (0: start from −g). */
export const BFGS_H = 'opt.bfgs.h';
export const BFGS_FORMED = 'opt.bfgs.formed';

export interface HostDriverOptions {
  readonly schedule?: CallSpec;
  readonly clip?: number;
  readonly polyak?: number;
}

export interface HostStop {
  readonly reason: StopReason;
  readonly message: string;
}

export interface HostDriver {
  readonly name: string;
  /** The outputs the executable must return. */
  readonly outputs: readonly string[];
  /**
   * One iteration, numbered `step` (1-based). Returns what a compiled training step returns:
   * `loss` and the metrics at the params the step started from, `lr` (the step length used) and
   * `grad_norm` (‖∇loss‖₂ there); the executable holds the new params. A run that is already at
   * a stationary point takes a step of length 0.
   */
  step(exe: Executable, feeds: Readonly<Record<string, Tensor>>, step: number): Record<string, Tensor>;
  /** Set by a step after which the run should end: converged, stalled, or a non-finite Hessian. */
  readonly finished: HostStop | undefined;
  /** The run's length in steps when the settings give none (coordinate's `sweeps`). */
  readonly steps?: number;
}

const scalar = (v: number): Tensor => ({ shape: [], dtype: 'f64', data: Float64Array.of(v) });

const fail = (spec: CallSpec, message: string, hint?: string): never => {
  throw new GradusError(
    diagnostic('E0914', message, { ...(spec.span ? { span: spec.span } : {}), ...(hint ? { hint } : {}) }),
  );
};

/**
 * Adds to `g` (the model's training graph, with its loss) what the host-driven optimiser `spec`
 * needs — gradient outputs, the Hessian for newton, the curvature-pair state for lbfgs — and
 * returns the driver. Settings that only make sense for gradient transformations (a learning-rate
 * schedule, gradient clipping, Polyak averaging) are errors, as is newton on more than
 * `NEWTON_MAX_PARAMS` numbers.
 */
export function prepareHostDriven(g: Graph, spec: CallSpec, opts: HostDriverOptions = {}): HostDriver {
  const args = resolveArgs('optimizer', spec, OPTIMIZERS[spec.name]);
  const name = spec.name;
  const noStepSize = `${name} picks its own step lengths`;
  if (opts.schedule && opts.schedule.name !== 'constant')
    fail(
      spec,
      `${noStepSize}${name === 'newton' ? '' : ' by a line search'}, so a learning-rate schedule (${opts.schedule.name}) does not apply`,
      'pass --schedule constant, or remove the schedule from the train block',
    );
  if (opts.clip !== undefined)
    fail(spec, `gradient clipping does not apply to ${name}: it would change the function it minimises`);
  if (opts.polyak !== undefined) fail(spec, `Polyak averaging is for stochastic optimisers, not ${name}`);
  const lr = name === 'coordinate' ? 1 : (args.lr as number);
  if (!(lr > 0)) fail(spec, `${name}: lr must be positive, got ${lr}`);
  if (name === 'newton' && !((args.damping as number) >= 0))
    fail(spec, `newton: damping must be 0 or more, got ${args.damping}`);
  if (!((args.tolerance as number) >= 0))
    fail(spec, `${name}: tolerance must be 0 or more, got ${args.tolerance}`);

  const lossNode = g.loss();
  if (!lossNode) throw new Error('internal: the training graph has no loss');
  const loss = g.value(lossNode);
  const params = paramsOf(g);
  checkTrainable(g, params);
  if (params.length === 0) fail(spec, `${name} needs params to optimise, and this model has none`);
  const sizes = params.map((p) => {
    if (!p.value.shape.every((d) => typeof d === 'number'))
      fail(spec, `${name} needs params of known shape; '${p.name}' is [${p.value.shape.join(', ')}]`);
    return (p.value.shape as number[]).reduce((a, b) => a * b, 1);
  });
  const n = sizes.reduce((a, b) => a + b, 0);
  if (name === 'newton' && n > NEWTON_MAX_PARAMS)
    fail(
      spec,
      `newton forms the full ${n}×${n} Hessian, and this model has ${n} params (newton allows at most ${NEWTON_MAX_PARAMS})`,
      'use lbfgs(), which needs no Hessian, or a first-order optimiser such as adam()',
    );
  if (name === 'bfgs' && n > BFGS_MAX_PARAMS)
    fail(
      spec,
      `bfgs keeps a dense ${n}×${n} inverse-Hessian approximation, and this model has ${n} params (bfgs allows at most ${BFGS_MAX_PARAMS})`,
      'use lbfgs(), which keeps only the last few curvature pairs',
    );
  const coordinate = name === 'coordinate' ? coordinatePlan(spec, args, params, sizes) : undefined;
  const wantsHessian = name === 'newton' || coordinate?.inner.name === 'newton';
  if (coordinate?.inner.name === 'newton' && n > NEWTON_MAX_PARAMS)
    fail(
      spec,
      `coordinate with inner = newton() forms the full ${n}×${n} Hessian, and this model has ${n} params (at most ${NEWTON_MAX_PARAMS})`,
      'use inner = lbfgs(), which needs no Hessian',
    );
  const values: Value[] = params.map((p) => p.value);
  const grads = grad(loss, values);
  params.forEach((p, i) => {
    g.output(gradOutput(p.name), grads[i], 'output');
  });
  if (wantsHessian) g.output(HESSIAN_OUTPUT, hessianOf(values, grads), 'output');
  const history = name === 'lbfgs' ? (args.history as number) : 0;
  if (name === 'lbfgs') {
    if (!(history >= 1)) fail(spec, `lbfgs: history must be at least 1, got ${history}`);
    g.state(LBFGS_S, [history, n]);
    g.state(LBFGS_Y, [history, n]);
    g.state(LBFGS_PAIRS, []);
  }
  if (name === 'bfgs') {
    g.state(BFGS_H, [n, n]);
    g.state(BFGS_FORMED, []);
  }
  const metrics = [...g.outputs].filter(([, o]) => o.kind === 'metric').map(([k]) => k);
  const outputs = [
    'loss',
    ...metrics,
    ...params.map((p) => gradOutput(p.name)),
    ...(wantsHessian ? [HESSIAN_OUTPUT] : []),
  ];
  const tolerance = args.tolerance as number;
  // Running statistics change with every run, so a remembered evaluation would not be what a
  // fresh one (after --resume) gives: evaluate afresh at the start of every step instead.
  const memoise = g.updates.size === 0;

  let finished: HostStop | undefined;
  let memo: { key: Float64Array; at: Evaluation; out: Record<string, Tensor> } | undefined;

  const readX = (exe: Executable): Float64Array => {
    const x = new Float64Array(n);
    let o = 0;
    for (const p of params) {
      const t = exe.read(p.name);
      x.set(t.data, o);
      o += t.data.length;
    }
    return x;
  };
  const writeX = (exe: Executable, x: Float64Array): void => {
    let o = 0;
    params.forEach((p, i) => {
      exe.write(p.name, {
        shape: p.value.shape as number[],
        dtype: p.value.dtype,
        data: x.subarray(o, o + sizes[i]),
      });
      o += sizes[i];
    });
  };
  const same = (a: Float64Array, b: Float64Array) => a.every((v, i) => Object.is(v, b[i]));

  return {
    name,
    outputs,
    ...(coordinate ? { steps: coordinate.sweeps } : {}),
    get finished() {
      return finished;
    },
    step(exe, feeds, step) {
      finished = undefined;
      // One fixed dropout mask for the whole run: a deterministic objective.
      const fixed = { ...feeds, $step: { shape: [], dtype: 'i32', data: Float64Array.of(1) } as Tensor };
      const evaluate = (x: Float64Array): { at: Evaluation; out: Record<string, Tensor> } => {
        if (memoise && memo && same(memo.key, x)) return memo;
        writeX(exe, x);
        const out = exe.run(fixed);
        const gv = new Float64Array(n);
        let o = 0;
        params.forEach((p, i) => {
          gv.set(out[gradOutput(p.name)].data, o);
          o += sizes[i];
        });
        return { at: { f: out.loss.data[0], g: gv }, out };
      };
      const x = readX(exe);
      const start = evaluate(x);
      const report = (t: number): Record<string, Tensor> => {
        const r: Record<string, Tensor> = { loss: start.out.loss };
        for (const m of metrics) r[m] = start.out[m];
        r.lr = scalar(t);
        r.grad_norm = scalar(Math.sqrt(start.at.g.reduce((s, v) => s + v * v, 0)));
        return r;
      };
      const converged = (gn: number, k: number) => ({
        reason: 'early_stop' as const,
        message: `${name} converged at step ${k}: the largest gradient component is ${gn.toExponential(2)}, below the tolerance ${tolerance}`,
      });
      const settle = (xNew: Float64Array, next: { at: Evaluation; out: Record<string, Tensor> }) => {
        writeX(exe, xNew);
        memo = { key: readX(exe), ...next };
        const gn = maxAbs(next.at.g);
        if (gn < tolerance) finished = converged(gn, step);
      };
      const gn0 = maxAbs(start.at.g);
      if (gn0 < tolerance) {
        finished = converged(gn0, step - 1);
        return report(0);
      }

      if (coordinate) {
        const sweep = coordinateSweep((z) => evaluate(z).at, x, start.at, coordinate.blocks, {
          inner: coordinate.inner,
          innerSteps: coordinate.innerSteps,
          hessian: (z) => evaluate(z).out[HESSIAN_OUTPUT].data,
        });
        settle(sweep.x, evaluate(sweep.x));
        const drop = start.at.f - sweep.at.f;
        if (!finished && !(drop > tolerance * Math.max(1, Math.abs(start.at.f))))
          finished = {
            reason: 'early_stop',
            message: `coordinate converged at step ${step}: a sweep over the ${coordinate.blocks.length} blocks lowered the loss by ${drop.toExponential(2)}, less than the tolerance ${tolerance} times the loss`,
          };
        return report(1);
      }

      if (name === 'newton') {
        const h = start.out[HESSIAN_OUTPUT].data;
        const dir = newtonDirection(h, start.at.g, n, args.damping as number);
        if (!dir) {
          finished = {
            reason: 'nan',
            message: `the Hessian or gradient has entries that are not finite numbers at step ${step}; training stopped`,
          };
          return report(0);
        }
        const xNew = Float64Array.from(x, (v, i) => v + lr * dir.d[i]);
        settle(xNew, evaluate(xNew));
        return report(lr);
      }

      // A line-search step (L-BFGS or BFGS): the objective records what it evaluated, so the
      // accepted point's outputs are reused instead of computed again.
      const seen: { x: Float64Array; e: { at: Evaluation; out: Record<string, Tensor> } }[] = [];
      const objective = (z: Float64Array) => {
        const e = evaluate(z);
        seen.push({ x: z, e });
        return e.at;
      };
      let taken: { x: Float64Array; t: number; stalled?: boolean };
      if (name === 'bfgs') {
        const formed = exe.read(BFGS_FORMED).data[0] === 1;
        const h = formed ? Float64Array.from(exe.read(BFGS_H).data) : undefined;
        const b = bfgsStep(objective, x, start.at, h, { lr });
        exe.write(BFGS_H, { shape: [n, n], dtype: 'f64', data: b.h ?? new Float64Array(n * n) });
        exe.write(BFGS_FORMED, b.h ? 1 : 0);
        taken = b;
      } else {
        const l = lbfgsStep(objective, x, start.at, loadMemory(exe, history, n), { lr, history, tolerance });
        saveMemory(exe, l.memory, history, n);
        taken = l;
      }
      if (taken.stalled) {
        writeX(exe, x);
        finished = {
          reason: 'early_stop',
          message: `${name} stopped at step ${step}: no step along its direction, nor along the negative gradient, lowered the loss any further at this float precision (largest gradient component ${gn0.toExponential(2)}, tolerance ${tolerance})`,
        };
        return report(0);
      }
      const hit = seen.find((s) => same(s.x, taken.x));
      settle(taken.x, hit ? hit.e : evaluate(taken.x));
      return report(taken.t);
    },
  };
}

/** The curvature pairs stored in the executable, oldest first. */
function loadMemory(exe: Executable, history: number, n: number): CurvatureMemory {
  const count = Math.min(history, Math.max(0, Math.round(exe.read(LBFGS_PAIRS).data[0])));
  const s = exe.read(LBFGS_S).data;
  const y = exe.read(LBFGS_Y).data;
  const rows = (a: Float64Array) => Array.from({ length: count }, (_, i) => a.slice(i * n, (i + 1) * n));
  return { s: rows(s), y: rows(y) };
}

function saveMemory(exe: Executable, m: CurvatureMemory, history: number, n: number): void {
  const pack = (rows: readonly Float64Array[]) => {
    const a = new Float64Array(history * n);
    rows.forEach((r, i) => {
      a.set(r, i * n);
    });
    return a;
  };
  exe.write(LBFGS_S, { shape: [history, n], dtype: 'f64', data: pack(m.s) });
  exe.write(LBFGS_Y, { shape: [history, n], dtype: 'f64', data: pack(m.y) });
  exe.write(LBFGS_PAIRS, m.s.length);
}

/** Plain coordinate descent (one block per number) is for problems this small. */
export const PLAIN_COORDINATE_MAX = 200;

interface CoordinatePlan {
  readonly blocks: readonly Block[];
  readonly inner: InnerMethod;
  readonly innerSteps: number;
  readonly sweeps: number;
}

/**
 * `coordinate(groups, inner, ...)` checked against the model: every group names trained params,
 * each trained param is in exactly one group, and the inner method is one that can minimise a
 * block from the host.
 */
function coordinatePlan(
  spec: CallSpec,
  args: Readonly<Record<string, SettingValue>>,
  params: readonly { readonly name: string }[],
  sizes: readonly number[],
): CoordinatePlan {
  const innerSpec = args.inner as CallSpec;
  const entry = INNER_METHODS.includes(innerSpec.name) ? OPTIMIZERS[innerSpec.name] : undefined;
  if (!entry)
    fail(
      spec,
      `coordinate: inner = ${innerSpec.name}(...) cannot minimise a block; use one of ${INNER_METHODS.map((m) => `${m}()`).join(', ')}`,
    );
  const a = resolveArgs('optimizer', innerSpec, entry as NonNullable<typeof entry>);
  const lr = (a.lr as number | undefined) ?? 1;
  if (!(lr > 0)) fail(spec, `coordinate: the inner ${innerSpec.name}'s lr must be positive, got ${lr}`);
  const tolerance = (a.tolerance as number | undefined) ?? 0;
  const inner: InnerMethod =
    innerSpec.name === 'lbfgs'
      ? { name: 'lbfgs', lr, history: a.history as number, tolerance }
      : innerSpec.name === 'bfgs'
        ? { name: 'bfgs', lr, tolerance }
        : innerSpec.name === 'newton'
          ? { name: 'newton', lr, damping: a.damping as number, tolerance }
          : { name: 'sgd', lr, tolerance };

  const offsets: number[] = [];
  sizes.reduce((o, k, i) => {
    offsets[i] = o;
    return o + k;
  }, 0);
  const n = sizes.reduce((s, k) => s + k, 0);
  const index = new Map(params.map((p, i) => [p.name, i]));
  const groups = args.groups as ParamGroups;
  let blocks: Block[];
  if (groups.length === 0) {
    if (n > PLAIN_COORDINATE_MAX)
      fail(
        spec,
        `coordinate without groups takes one number at a time, and this model has ${n} (at most ${PLAIN_COORDINATE_MAX})`,
        'give the blocks as groups of params: coordinate(groups = [[W1, b1], [W2, b2]])',
      );
    blocks = [];
    params.forEach((p, i) => {
      for (let j = 0; j < sizes[i]; j++)
        blocks.push({
          name: sizes[i] === 1 ? p.name : `${p.name}[${j}]`,
          indices: Int32Array.of(offsets[i] + j),
        });
    });
  } else {
    const owner = new Map<string, number>();
    blocks = groups.map((group, gi) => {
      const idx: number[] = [];
      for (const name of group) {
        const i = index.get(name);
        if (i === undefined) {
          const s = suggest(name, [...index.keys()]);
          fail(
            spec,
            `coordinate: group ${gi + 1} names '${name}', which is not a trained param of this model`,
            s ? `did you mean ${s}?` : `its trained params: ${[...index.keys()].join(', ')}`,
          );
        }
        const prev = owner.get(name);
        if (prev !== undefined)
          fail(spec, `coordinate: param '${name}' is in group ${prev + 1} and again in group ${gi + 1}`);
        owner.set(name, gi);
        for (let j = 0; j < sizes[i as number]; j++) idx.push(offsets[i as number] + j);
      }
      return { name: group.join(', '), indices: Int32Array.from(idx) };
    });
    const left = params.filter((p) => !owner.has(p.name)).map((p) => p.name);
    if (left.length > 0)
      fail(
        spec,
        `coordinate: ${left.map((p) => `'${p}'`).join(', ')} ${left.length === 1 ? 'is' : 'are'} in no group`,
        'put every trained param in one group, or declare the ones to keep fixed `frozen`',
      );
  }
  return { blocks, inner, innerSteps: args.inner_steps as number, sweeps: args.sweeps as number };
}
