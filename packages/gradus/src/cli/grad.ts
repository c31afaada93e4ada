import { grad, interpret } from '@gradus/autodiff';
import { loadModel } from '@gradus/dsl';
import { type Evaluator, evaluateOnCpu } from './backend-eval.js';
import { fmt, type Io, table } from './output.js';
import { type PointOptions, pointOf } from './point.js';

export interface GradOptions extends PointOptions {
  readonly dtype?: 'f32' | 'f64';
  readonly json?: boolean;
  /** Where the numbers are computed: the CPU backend (default) or the reference interpreter. */
  readonly backend?: Evaluator;
}

/** `gradus grad FILE`: the loss and every param's gradient at a point. */
export function gradCommand(path: string, opts: GradOptions, io: Io): number {
  const dtype = opts.dtype ?? 'f64';
  const { lowered } = loadModel(path, {
    floatDtype: dtype,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  });
  const { graph, model } = lowered;
  const { feeds } = pointOf(lowered, path, opts);
  const loss = graph.value(graph.loss()!);
  const params = graph.params().map((p) => graph.value(p));
  const grads = grad(loss, params);
  const [l, ...gs] =
    opts.backend === 'interpreter'
      ? interpret([loss.node, ...grads.map((g) => g.node)], { feeds, precision: dtype })
      : evaluateOnCpu([loss, ...grads], feeds, dtype);
  if (opts.json) {
    const out: Record<string, number[]> = Object.create(null);
    model.params.forEach((p, i) => {
      out[p.name] = Array.from(gs[i].data);
    });
    io.out(JSON.stringify({ loss: l.data[0], grads: out }));
    return 0;
  }
  io.out(`loss ${fmt(l.data[0])}`);
  const rows = [['param', 'shape', '‖grad‖', 'grad']];
  model.params.forEach((p, i) => {
    const d = gs[i].data;
    const norm = Math.sqrt(d.reduce((s, v) => s + v * v, 0));
    const shown =
      d.length <= 6
        ? `[${Array.from(d, fmt).join(', ')}]`
        : `[${Array.from(d.slice(0, 4), fmt).join(', ')}, …]`;
    rows.push([p.name, p.shapeText, fmt(norm), shown]);
  });
  io.out(table(rows));
  return 0;
}
