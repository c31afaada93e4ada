/**
 * `pnpm bench [--json] [--only A512,C] [--systems gradus,tfjs-cpu]`: runs every workload on Gradus and on
 * the JavaScript peers, each system in its own process, one after another, and prints a table of
 * medians (≥ 5 runs after warm-up) with Gradus's ratio to each peer. `--json` prints the
 * measurements as an array of `{ workload, system, value, unit }` instead.
 * Peers are optional dev dependencies; a missing one is reported as "not installed".
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Adapter, Measurement } from './workloads.js';
import { WORKLOADS } from './workloads.js';

const SYSTEMS: Record<string, () => Promise<Adapter | string>> = {
  gradus: async () => (await import('./systems/gradus.js')).load(),
  'gradus-2t': async () => (await import('./systems/gradus.js')).load(2),
  'tfjs-cpu': async () => (await import('./systems/tfjs.js')).load('cpu'),
  'tfjs-wasm': async () => (await import('./systems/tfjs.js')).load('wasm'),
  'jax-eager': async () => (await import('./systems/jax.js')).load('eager'),
  'jax-jit': async () => (await import('./systems/jax.js')).load('jit'),
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Child mode: measure one system and print one JSON line. */
async function child(system: string, only: readonly string[] | undefined): Promise<void> {
  const adapter = await SYSTEMS[system]();
  if (typeof adapter === 'string') {
    process.stdout.write(`${JSON.stringify({ system, skipped: adapter })}\n`);
    return;
  }
  const results: Measurement[] = [];
  for (const w of WORKLOADS) {
    const fn = adapter.workloads[w.id];
    if (!fn || (only && !only.includes(w.id))) continue;
    try {
      results.push({ workload: w.id, system: adapter.system, value: await fn(), unit: w.unit });
    } catch (e) {
      process.stderr.write(`${adapter.system} ${w.id} failed: ${(e as Error).message}\n`);
    }
  }
  const rss = process.resourceUsage().maxRSS / 1024;
  results.push({ workload: 'rss', system: adapter.system, value: rss, unit: 'MB' });
  process.stdout.write(`${JSON.stringify({ system: adapter.system, results })}\n`);
}

function fmt(v: number): string {
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toPrecision(3);
}

async function main(): Promise<void> {
  const onlyArg = arg('--only');
  const only = onlyArg?.split(',');
  const childSystem = arg('--child');
  if (childSystem) return child(childSystem, only);
  const systems = arg('--systems')?.split(',') ?? Object.keys(SYSTEMS);
  const all: Measurement[] = [];
  const skipped: string[] = [];
  const self = fileURLToPath(import.meta.url);
  for (const s of systems) {
    const args = [...process.execArgv, self, '--child', s, ...(onlyArg ? ['--only', onlyArg] : [])];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    try {
      const parsed = JSON.parse(line) as { system: string; results?: Measurement[]; skipped?: string };
      if (parsed.skipped) skipped.push(`${s}: ${parsed.skipped}`);
      else all.push(...(parsed.results ?? []));
    } catch {
      skipped.push(`${s}: failed (exit ${r.status})`);
    }
  }
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
    return;
  }
  const names = [...new Set(all.map((m) => m.system))];
  const gradus = 'gradus cpu';
  const peers = names.filter((n) => !n.startsWith('gradus'));
  const header = ['workload', 'unit', ...names, ...peers.map((p) => `× ${p}`)];
  const rows: string[][] = [];
  for (const w of WORKLOADS) {
    const get = (sys: string) => all.find((m) => m.workload === w.id && m.system === sys)?.value;
    if (names.every((n) => get(n) === undefined)) continue;
    const g = get(gradus);
    const ratio = (p: string) => {
      const v = get(p);
      if (g === undefined || v === undefined) return '–';
      return `${fmt(w.higherIsBetter ? g / v : v / g)}×`;
    };
    rows.push([
      w.label,
      w.unit,
      ...names.map((n) => (get(n) === undefined ? '–' : fmt(get(n)!))),
      ...peers.map(ratio),
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  if (peers.length > 0)
    console.log('\n× peer: how many times better Gradus is (speed ratio; > 1 is faster).');
  for (const s of skipped) console.log(`not measured: ${s}`);
}

await main();
