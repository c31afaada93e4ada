import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { diagnostic, GradusError } from '@gradus/autodiff';
import { renderSvgs } from '@gradus/optim';
import { compareCharts, compareTable, readComparedRun, runLabels } from '../search/compare.js';
import { fmt, type Io, table } from './output.js';

export interface CompareCliOptions {
  readonly plot?: string;
  readonly json?: boolean;
}

/** `gradus compare RUN… [--plot DIR] [--json]`: runs side by side. */
export function compareCommand(dirs: readonly string[], opts: CompareCliOptions, io: Io): number {
  if (dirs.length < 2)
    throw new GradusError(diagnostic('E0964', `compare needs at least two runs, got ${dirs.length}`));
  const runs = dirs.map((d) => readComparedRun(resolve(d)));
  const labels = runLabels(runs);
  const rows = compareTable(runs, labels);
  const files: string[] = [];
  if (opts.plot) {
    const dir = resolve(opts.plot);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new GradusError(
        diagnostic(
          'E0964',
          `cannot make the chart directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}`,
        ),
      );
    }
    const charts = compareCharts(runs, labels);
    const svgs = renderSvgs(charts);
    charts.forEach((c, i) => {
      writeFileSync(join(dir, c.file), svgs[i]);
      files.push(join(dir, c.file));
    });
  }
  if (opts.json) {
    io.out(JSON.stringify({ runs: rows, ...(opts.plot ? { charts: files } : {}) }));
    return 0;
  }
  const splits = [...new Set(rows.flatMap((r) => Object.keys(r.evals)))].sort();
  io.out(
    table([
      ['run', 'steps', 'training loss', ...splits.map((s) => `${s} loss`)],
      ...rows.map((r) => [
        r.label,
        String(r.steps),
        r.loss === null ? '-' : fmt(r.loss),
        ...splits.map((s) => (r.evals[s]?.loss === undefined ? '-' : fmt(r.evals[s].loss))),
      ]),
    ]),
  );
  if (files.length > 0) io.out(`charts: ${files.join(', ')}`);
  return 0;
}
