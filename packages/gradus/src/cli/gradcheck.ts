import { type ElementReport, gradcheckGraph } from '@gradus/autodiff/testing';
import { loadModel } from '@gradus/dsl';
import { type Evaluator, evaluateOnCpu } from './backend-eval.js';
import { fmt, type Io, table } from './output.js';
import { type PointOptions, pointOf } from './point.js';

export interface GradcheckCliOptions extends PointOptions {
  readonly json?: boolean;
  /** Elements checked per param (a seeded sample); all of them with `all`. */
  readonly samples?: number;
  readonly all?: boolean;
  /** Relative tolerance. */
  readonly tol?: number;
  /** Absolute tolerance: an element with |analytic − numeric| ≤ atol passes whatever its relative error. */
  readonly atol?: number;
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
  // The absolute floor follows the relative tolerance unless given, so --tol 1e-12 is not
  // overruled by a fixed 1e-8 (it only spares elements that are zero up to rounding).
  const atol = opts.atol ?? Math.min(1e-8, rtol);
  const samples = opts.all ? undefined : (opts.samples ?? 30);
  const report = gradcheckGraph(loss, params, feeds, {
    rtol,
    atol,
    eps: opts.eps ?? 1e-6,
    ...(opts.backend === 'interpreter' ? {} : { evaluate: (gs, f) => evaluateOnCpu(gs, f, 'f64') }),
    ...(samples !== undefined ? { samples } : {}),
  });
  if (opts.json) {
    const out: Record<string, object> = Object.create(null);
    model.params.forEach((p, i) => {
      out[p.name] = {
        ok: report.perInputOk[i],
        maxRelError: jsonNumber(report.perInput[i]),
        maxAbsError: jsonNumber(report.perInputAbs[i]),
        kinks: report.kinks[i],
      };
    });
    io.out(JSON.stringify({ ok: report.ok, rtol, atol, params: out }));
    return report.ok ? 0 : 1;
  }
  const rows = [['param', 'shape', 'checked', 'at a kink', 'max rel error', 'max abs error', '']];
  model.params.forEach((p, i) => {
    const n = (p.shape as number[]).reduce((a, b) => a * b, 1);
    const checked = samples === undefined || samples >= n ? `${n}` : `${samples} of ${n}`;
    rows.push([
      p.name,
      p.shapeText,
      checked,
      String(report.kinks[i]),
      fmt(report.perInput[i]),
      fmt(report.perInputAbs[i]),
      report.perInputOk[i] ? 'ok' : 'FAIL',
    ]);
  });
  io.out(
    `gradcheck ${path} (data: ${dataSource}; analytic gradients on the ${opts.backend ?? 'cpu'} backend; tolerance: relative ${rtol}, absolute ${atol})`,
  );
  io.out(table(rows));
  const kinks = report.kinks.reduce((a, b) => a + b, 0);
  if (kinks > 0)
    io.out(
      `${kinks} element(s) sit at a kink (relu, where, a tie at max or min) where central differences do not apply; not compared`,
    );
  const failed = model.params.filter((_, i) => !report.perInputOk[i]).map((p) => p.name);
  io.out(
    report.ok
      ? 'all gradients match central differences'
      : `FAILED: ${failed.join(', ')} above the tolerance${worstText(report.worst, model.params)}`,
  );
  return report.ok ? 0 : 1;
}

/** "; worst: b, element 1: analytic 6.351, numeric 6.350 (relative error 5.77e-8)". */
function worstText(w: ElementReport | undefined, params: readonly { readonly name: string }[]): string {
  if (!w) return '';
  return `; worst: ${params[w.input].name}, element ${w.index} of those checked: analytic ${w.analytic}, numeric ${w.numeric} (relative error ${w.relError.toExponential(2)})`;
}

/** JSON has no Infinity or NaN: they are written as the strings "Infinity" and "NaN", not null. */
function jsonNumber(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}
