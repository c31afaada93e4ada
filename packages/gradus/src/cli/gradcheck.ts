import { gradcheckGraph } from '@gradus/autodiff/testing';
import { loadModel } from '@gradus/dsl';
import { type Evaluator, evaluateOnCpu } from './backend-eval.js';
import { fmt, type Io, table } from './output.js';
import { type PointOptions, pointOf } from './point.js';

export interface GradcheckCliOptions extends PointOptions {
  readonly json?: boolean;
  /** Elements checked per param (a seeded sample); all of them with `all`. */
  readonly samples?: number;
  readonly all?: boolean;
  readonly tol?: number;
  readonly eps?: number;
  /** Where the analytic gradient is computed: the CPU backend (default) or the interpreter. */
  readonly backend?: Evaluator;
}

/**
 * `gradus gradcheck FILE`: every param's analytic gradient (reverse mode, f64) against central
 * differences of the reference interpreter, at the model's data (first `batch` examples).
 */
export function gradcheckCommand(path: string, opts: GradcheckCliOptions, io: Io): number {
  const { lowered } = loadModel(path, {
    floatDtype: 'f64',
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    hypers: opts.hypers,
  });
  const { graph, model } = lowered;
  const { feeds, dataSource } = pointOf(lowered, path, { ...opts, batch: opts.batch ?? 32 });
  const loss = graph.value(graph.loss()!);
  const params = graph.params().map((p) => graph.value(p));
  const rtol = opts.tol ?? 1e-5;
  const samples = opts.all ? undefined : (opts.samples ?? 30);
  const report = gradcheckGraph(loss, params, feeds, {
    rtol,
    atol: 1e-8,
    eps: opts.eps ?? 1e-6,
    ...(opts.backend === 'interpreter' ? {} : { evaluate: (gs, f) => evaluateOnCpu(gs, f, 'f64') }),
    ...(samples !== undefined ? { samples } : {}),
  });
  if (opts.json) {
    const out: Record<string, { maxRelError: number; kinks: number }> = Object.create(null);
    model.params.forEach((p, i) => {
      out[p.name] = { maxRelError: report.perInput[i], kinks: report.kinks[i] };
    });
    io.out(JSON.stringify({ ok: report.ok, params: out }));
    return report.ok ? 0 : 1;
  }
  const rows = [['param', 'shape', 'checked', 'at a kink', 'max rel error', '']];
  model.params.forEach((p, i) => {
    const n = (p.shape as number[]).reduce((a, b) => a * b, 1);
    const checked = samples === undefined || samples >= n ? `${n}` : `${samples} of ${n}`;
    const bad = report.worst?.input === i && !report.ok;
    rows.push([
      p.name,
      p.shapeText,
      checked,
      String(report.kinks[i]),
      fmt(report.perInput[i]),
      bad ? 'FAIL' : 'ok',
    ]);
  });
  io.out(
    `gradcheck ${path} (data: ${dataSource}; analytic gradients on the ${opts.backend ?? 'cpu'} backend; tolerance ${rtol})`,
  );
  io.out(table(rows));
  const kinks = report.kinks.reduce((a, b) => a + b, 0);
  if (kinks > 0)
    io.out(
      `${kinks} element(s) sit at a kink (relu, max, where) where central differences do not apply; not compared`,
    );
  io.out(report.ok ? 'all gradients match central differences' : `FAILED: ${report.message}`);
  return report.ok ? 0 : 1;
}
