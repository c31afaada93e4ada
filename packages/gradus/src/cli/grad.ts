import { grad, hvpAll, interpret, type Value } from '@gradus/autodiff';
import { loadModel } from '@gradus/dsl';
import { type Evaluator, evaluateOnCpu } from './backend-eval.js';
import { fmt, type Io, table } from './output.js';
import { type PointOptions, pointOf, readParamsFile } from './point.js';

export interface GradOptions extends PointOptions {
  readonly dtype?: 'f32' | 'f64';
  readonly json?: boolean;
  /** Where the numbers are computed: the CPU backend (default) or the reference interpreter. */
  readonly backend?: Evaluator;
  /** A JSON file of direction blocks (param name → array of its shape): also print H·v. */
  readonly hvp?: string;
}

/** `gradus grad FILE`: the loss and every param's gradient at a point. */
export function gradCommand(path: string, opts: GradOptions, io: Io): number {
  const dtype = opts.dtype ?? 'f64';
  const { lowered } = loadModel(path, {
    floatDtype: dtype,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    hypers: opts.hypers,
  });
  const { graph, model } = lowered;
  const { feeds } = pointOf(lowered, path, opts);
  const loss = graph.value(graph.loss()!);
  const params = graph.params().map((p) => graph.value(p));
  const grads = grad(loss, params);
  // Params the direction file leaves out have a zero block: H·v restricted to the ones it gives.
  const direction = opts.hvp ? readParamsFile(lowered.model, opts.hvp, 'direction') : undefined;
  const hvps: Value[] = direction
    ? hvpAll(
        loss,
        params,
        params.map((p, i) => {
          const t = direction[model.params[i].name];
          return t ? graph.constant(Array.from(t.data), p.dtype, t.shape) : p.zerosLike();
        }),
      )
    : [];
  const wanted = [loss, ...grads, ...hvps];
  const [l, ...rest] =
    opts.backend === 'interpreter'
      ? interpret(
          wanted.map((v) => v.node),
          { feeds, precision: dtype, graph },
        )
      : evaluateOnCpu(wanted, feeds, dtype);
  const gs = rest.slice(0, params.length);
  const hs = rest.slice(params.length);
  const byName = (ts: typeof gs) => {
    const out: Record<string, number[]> = Object.create(null);
    model.params.forEach((p, i) => {
      out[p.name] = Array.from(ts[i].data);
    });
    return out;
  };
  if (opts.json) {
    io.out(JSON.stringify({ loss: l.data[0], grads: byName(gs), ...(direction ? { hvp: byName(hs) } : {}) }));
    return 0;
  }
  io.out(`loss ${fmt(l.data[0])}`);
  io.out(table([['param', 'shape', '‖grad‖', 'grad'], ...model.params.map((p, i) => row(p, gs[i].data))]));
  if (direction) {
    io.out(`\nHessian-vector product H·v (v from ${opts.hvp})`);
    io.out(table([['param', 'shape', '‖H·v‖', 'H·v'], ...model.params.map((p, i) => row(p, hs[i].data))]));
  }
  return 0;
}

function row(p: { name: string; shapeText: string }, d: Float64Array): string[] {
  const norm = Math.sqrt(d.reduce((s, v) => s + v * v, 0));
  const shown =
    d.length <= 6
      ? `[${Array.from(d, fmt).join(', ')}]`
      : `[${Array.from(d.slice(0, 4), fmt).join(', ')}, …]`;
  return [p.name, p.shapeText, fmt(norm), shown];
}
