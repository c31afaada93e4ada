import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '@gradus/dsl';
import { renderSvgs } from '@gradus/optim';
import { doctor } from '../doctor/doctor.js';
import type { Io } from './output.js';

export interface DoctorCliOptions {
  readonly data?: string;
  readonly seed?: number;
  readonly plot?: string;
  readonly json?: boolean;
}

const MARK = { ok: 'ok', warn: 'warn', fail: 'FAIL' } as const;

/** `gradus doctor FILE`: the sanity checks; exit 1 when any fails. */
export function doctorCommand(path: string, opts: DoctorCliOptions, io: Io): number {
  const report = doctor(path, {
    ...(opts.data !== undefined ? { data: opts.data } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  });
  const written: string[] = [];
  if (opts.plot) {
    try {
      mkdirSync(opts.plot, { recursive: true });
    } catch (e) {
      throw new UsageError(
        `cannot create the chart directory ${opts.plot}: ${(e as NodeJS.ErrnoException).code ?? e}`,
      );
    }
    const svgs = renderSvgs(report.charts);
    report.charts.forEach((c, i) => {
      const target = join(opts.plot as string, c.file);
      writeFileSync(target, svgs[i]);
      written.push(target);
    });
  }
  const failed = report.checks.some((c) => c.status === 'fail');
  if (opts.json) {
    io.out(
      JSON.stringify({ model: report.model, data: report.data, checks: report.checks, charts: written }),
    );
    return failed ? 1 : 0;
  }
  io.out(`doctor ${report.model} on ${report.data}`);
  for (const c of report.checks) io.out(`${MARK[c.status].padEnd(4)}  ${c.name}: ${c.message}`);
  for (const w of written) io.out(`wrote ${w}`);
  return failed ? 1 : 0;
}
