/**
 * `pnpm bench [--quick] [--json] [--only A512,C] [--systems gradus,tfjs-cpu] [--no-check]`: runs
 * every workload on Gradus and on the JavaScript peers, each system in its own child process, one
 * after another, and prints a table of medians (≥ 5 runs after warm-up) with Gradus's ratio to
 * each peer, the peak RSS of each process, and the correctness checks (every system's results on
 * the workloads' data against an f64 reference, `reference.ts`). `--json` prints the measurements
 * as an array of `{ workload, system, value, unit }` instead. `--quick` measures only the
 * workloads marked `quick` (A at 512² only, no C compile time).
 * Peers are optional dev dependencies; a missing one is reported as "not installed".
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CheckResult, compareCheck, REFERENCES } from './reference.js';
import type { Adapter, CheckId, Measurement } from './workloads.js';
import { WORKLOADS } from './workloads.js';

const SYSTEMS: Record<string, () => Promise<Adapter | string>> = {
  'gradus-wasm': async () => {
    const { load } = await import('./systems/gradus.js');
    return load('gradus-wasm', (await import('@gradus/backends')).wasm, 1);
  },
  'gradus-wasm-2t': async () => {
    const { load } = await import('./systems/gradus.js');
    return load('gradus-wasm-2t', (await import('@gradus/backends')).wasm, 2);
  },
  'gradus-js': async () => {
    const { load } = await import('./systems/gradus.js');
    return load('gradus-js', (await import('@gradus/backends')).js);
  },
  'gradus-gpu': async () => (await import('./systems/gradus.js')).loadGpu(),
  'tfjs-cpu': async () => (await import('./systems/tfjs.js')).load('cpu'),
  'tfjs-wasm': async () => (await import('./systems/tfjs.js')).load('wasm'),
  'jax-eager': async () => (await import('./systems/jax.js')).load('eager'),
  'jax-jit': async () => (await import('./systems/jax.js')).load('jit'),
};

/** The Gradus systems whose ratio to each peer is printed, and how their columns are headed. */
const RATIO_SYSTEMS = ['gradus-wasm', 'gradus-wasm-2t'] as const;
const RATIO_LABEL: Record<string, string> = { 'gradus-wasm': '', 'gradus-wasm-2t': '2t ' };

const PEER_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@jax-js/jax'];

interface ChildReport {
  readonly system: string;
  readonly skipped?: string;
  readonly results?: Measurement[];
  readonly checks?: Partial<Record<CheckId, number[]>>;
  readonly errors?: string[];
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The workloads to measure: `--only`, else the `--quick` ones, else all. */
function selected(): string[] {
  const only = arg('--only')?.split(',');
  if (only) return only;
  const quick = process.argv.includes('--quick');
  return WORKLOADS.filter((w) => !quick || w.quick).map((w) => w.id);
}

/** Child mode: checks, then measures, one system; prints one JSON line on stdout. */
async function child(system: string): Promise<void> {
  const out = process.stdout.write.bind(process.stdout);
  // Peers log banners and warnings: keep stdout for the report.
  console.log = console.info = console.warn = console.error;
  const finish = (report: ChildReport) => out(`${JSON.stringify(report)}\n`, () => process.exit(0));
  const adapter = await SYSTEMS[system]();
  if (typeof adapter === 'string') return void finish({ system, skipped: adapter });
  const ids = selected();
  const errors: string[] = [];
  const checks: Partial<Record<CheckId, number[]>> = {};
  if (!process.argv.includes('--no-check')) {
    for (const id of Object.keys(adapter.checks) as CheckId[]) {
      if (!ids.some((w) => w.startsWith(id))) continue;
      try {
        checks[id] = await adapter.checks[id]!();
      } catch (e) {
        errors.push(`check ${id}: ${(e as Error).message}`);
      }
    }
  }
  const results: Measurement[] = [];
  for (const w of WORKLOADS) {
    const fn = adapter.workloads[w.id];
    if (!fn || !ids.includes(w.id)) continue;
    const t = performance.now();
    try {
      results.push({ workload: w.id, system, value: await fn(), unit: w.unit });
    } catch (e) {
      errors.push(`${w.id}: ${(e as Error).message}`);
    }
    process.stderr.write(`  ${system} ${w.id}: ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
  if (ids.includes('rss')) {
    results.push({ workload: 'rss', system, value: process.resourceUsage().maxRSS / 1024, unit: 'MB' });
  }
  finish({ system, results, checks, errors });
}

function fmt(v: number): string {
  if (v >= 100) return Math.round(v).toLocaleString('en-US');
  if (v >= 10) return v.toFixed(1);
  return v.toPrecision(3);
}

function versions(): string {
  const require = createRequire(import.meta.url);
  return PEER_PACKAGES.map((p) => {
    try {
      // The package's main file, then up to its package.json (no `exports` entry needed).
      let dir = dirname(require.resolve(p));
      while (!dir.endsWith(p.split('/').pop()!) && dir !== dirname(dir)) dir = dirname(dir);
      return `${p}@${JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version}`;
    } catch {
      return `${p} (not installed)`;
    }
  }).join(', ');
}

function table(all: readonly Measurement[]): string[] {
  const names = Object.keys(SYSTEMS).filter((s) => all.some((m) => m.system === s));
  const peers = names.filter((n) => !n.startsWith('gradus'));
  // Ratios of Gradus's WebAssembly backend, one thread and two, to every peer measured.
  const mine = RATIO_SYSTEMS.filter((s) => names.includes(s));
  const pairs = mine.flatMap((m) => peers.map((p) => [m, p] as const));
  const header = ['workload', 'unit', ...names, ...pairs.map(([m, p]) => `${RATIO_LABEL[m]}÷ ${p}`)];
  const rows: string[][] = [];
  for (const w of WORKLOADS) {
    const get = (sys: string) => all.find((m) => m.workload === w.id && m.system === sys)?.value;
    if (names.every((n) => get(n) === undefined)) continue;
    const ratio = ([m, p]: readonly [string, string]) => {
      const g = get(m);
      const v = get(p);
      if (g === undefined || v === undefined || v <= 0 || g <= 0) return '–';
      return `${fmt(w.higherIsBetter ? g / v : v / g)}×`;
    };
    const cell = (n: string) => {
      const v = get(n);
      return v === undefined ? '–' : fmt(v);
    };
    rows.push([w.label, w.unit, ...names.map(cell), ...pairs.map(ratio)]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...rows.map(line),
  ];
}

async function main(): Promise<void> {
  const childSystem = arg('--child');
  if (childSystem) return child(childSystem);
  const json = process.argv.includes('--json');
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const systems = arg('--systems')?.split(',') ?? Object.keys(SYSTEMS);
  const unknown = systems.filter((s) => !SYSTEMS[s]);
  if (unknown.length > 0) throw new Error(`unknown system(s) ${unknown.join(', ')}`);
  const started = new Date();
  const load0 = loadavg()[0];
  const all: Measurement[] = [];
  const notes: string[] = [];
  const checks: { system: string; id: CheckId; result: CheckResult }[] = [];
  const references: Partial<Record<CheckId, number[]>> = {};
  const self = fileURLToPath(import.meta.url);
  const passOn = process.argv.slice(2).filter((a) => a !== '--json');
  for (const s of systems) {
    const t = performance.now();
    log(`${s}…`);
    const args = [...process.execArgv, self, ...passOn, '--child', s];
    const r = spawnSync(process.execPath, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 26,
    });
    log(`${s}: ${((performance.now() - t) / 1000).toFixed(0)} s`);
    let report: ChildReport;
    try {
      report = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as ChildReport;
    } catch {
      notes.push(`${s}: failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''})`);
      continue;
    }
    if (report.skipped) {
      notes.push(`${s}: not measured: ${report.skipped}`);
      continue;
    }
    all.push(...(report.results ?? []));
    for (const e of report.errors ?? []) notes.push(`${s}: FAILED ${e}`);
    for (const [id, got] of Object.entries(report.checks ?? {}) as [CheckId, number[]][]) {
      references[id] ??= REFERENCES[id]();
      checks.push({ system: s, id, result: compareCheck(id, got, references[id]) });
    }
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
    for (const c of checks.filter((c) => !c.result.ok)) log(`check ${c.id} ${c.system}: ${c.result.message}`);
    return;
  }
  const print = (s = '') => process.stdout.write(`${s}\n`);
  print(
    `pnpm bench, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, node ${process.version}, ` +
      `${cpus().length} cores, load average ${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)}`,
  );
  print(`peers: ${versions()}`);
  print();
  for (const l of table(all)) print(l);
  print();
  print(
    '÷ peer: how many times better gradus-wasm (one thread) is than the peer, 2t ÷ peer gradus-wasm-2t (two threads); > 1 is faster (or smaller).',
  );
  const failed = checks.filter((c) => !c.result.ok);
  const checked = [...new Set(checks.map((c) => c.system))];
  if (checked.length > 0) {
    print(
      `checks against the f64 reference (A: 256² product; B: 10 losses; C: value and gradient; D: point after 1000 steps): ` +
        (failed.length === 0
          ? `all pass for ${checked.join(', ')}`
          : failed.map((c) => `${c.system} ${c.id} ${c.result.message}`).join('; ')),
    );
  }
  for (const n of notes) print(n);
  if (failed.length > 0) process.exitCode = 1;
}

await main();
