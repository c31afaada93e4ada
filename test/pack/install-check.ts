/**
 * `pnpm test:pack`: Gradus as a user installs it. Packs every package (`pnpm pack:all`), installs the
 * tarballs with npm into an empty folder outside the repository, and there runs `npx gradus check`
 * and a short `npx gradus train` on models given by relative paths, `npx gradus lsp` answering an
 * editor's initialize, the bin through a symlink, and
 * a TypeScript program that imports `gradus` and `gradus/testing`, compiled by `tsc --strict`
 * (module `nodenext`) and run. Exits non-zero, saying which step failed, on any failure.
 */
import { type ExecFileSyncOptions, execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const packed = join(repo, 'packed');

function run(what: string, cmd: string, args: string[], opts: ExecFileSyncOptions = {}): string {
  process.stdout.write(`• ${what}\n`);
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      ...opts,
    }) as string;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    process.stderr.write(`pack check failed at: ${what}\n${err.stdout ?? ''}${err.stderr ?? err.message}\n`);
    process.exit(1);
  }
}

function expectIn(what: string, text: string, pattern: RegExp): void {
  if (!pattern.test(text)) {
    process.stderr.write(`pack check failed: ${what}: expected ${pattern} in:\n${text}\n`);
    process.exit(1);
  }
}

run('pnpm pack:all', 'pnpm', ['pack:all'], { cwd: repo });
const tarballs = readdirSync(packed)
  .filter((f) => f.endsWith('.tgz'))
  .map((f) => join(packed, f));
if (tarballs.length < 5) {
  process.stderr.write(
    `pack check failed: expected a tarball per package in packed/, found ${tarballs.length}\n`,
  );
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'gradus-install-'));
try {
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'gradus-user', private: true, type: 'module' }),
  );
  // gl (headless WebGL for the GPU backend) is an optional native dependency of gpu.js; the CPU is
  // what this check runs on, so it is not built here.
  run(
    'npm install the tarballs',
    'npm',
    [
      'install',
      '--omit=optional',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...tarballs,
      'typescript@~6.0.3',
      '@types/node@^20.19.0',
    ],
    { cwd: dir },
  );

  mkdirSync(join(dir, 'models'));
  for (const m of ['ravine.model', 'two_layer.model'])
    copyFileSync(join(repo, 'models', m), join(dir, 'models', m));
  const cwd = { cwd: dir };
  expectIn(
    'npx gradus --version',
    run('npx gradus --version', 'npx', ['gradus', '--version'], cwd),
    /^0\.\d+\.\d+/,
  );
  expectIn(
    'npx gradus check',
    run('npx gradus check models/ravine.model', 'npx', ['gradus', 'check', 'models/ravine.model'], cwd),
    /^ok: models\/ravine\.model/,
  );
  const train = run(
    'npx gradus train (relative path)',
    'npx',
    ['gradus', 'train', 'models/two_layer.model', '--steps', '5', '--json'],
    cwd,
  );
  expectIn('npx gradus train', train, /"steps":5/);

  // The language server, as an editor starts it: each request waits for the answer before the next.
  writeFileSync(
    join(dir, 'lsp-client.mjs'),
    `import { spawn } from 'node:child_process';
const server = spawn('npx', ['gradus', 'lsp', '--stdio']);
let buffer = '';
const waiting = [];
server.stdout.on('data', (d) => {
  buffer += d;
  for (let m; (m = /Content-Length: (\\d+)\\r\\n\\r\\n/.exec(buffer)) && buffer.length >= m.index + m[0].length + Number(m[1]); ) {
    const body = buffer.slice(m.index + m[0].length, m.index + m[0].length + Number(m[1]));
    buffer = buffer.slice(m.index + m[0].length + Number(m[1]));
    waiting.shift()?.(JSON.parse(body));
  }
});
const send = (m) => {
  const body = JSON.stringify({ jsonrpc: '2.0', ...m });
  server.stdin.write('Content-Length: ' + Buffer.byteLength(body) + '\\r\\n\\r\\n' + body);
  return m.id === undefined ? undefined : new Promise((resolve) => waiting.push(resolve));
};
const init = await send({ id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
const shutdown = await send({ id: 2, method: 'shutdown' });
const code = await new Promise((resolve) => { server.on('exit', resolve); send({ method: 'exit' }); });
console.log(JSON.stringify({ server: init.result.serverInfo.name, shutdown: shutdown.result, code }));
`,
  );
  expectIn(
    'npx gradus lsp',
    run('npx gradus lsp (initialize, shutdown, exit)', 'node', ['lsp-client.mjs'], cwd),
    /\{"server":"gradus","shutdown":null,"code":0\}/,
  );

  symlinkSync(join(dir, 'node_modules', 'gradus', 'dist', 'bin.js'), join(dir, 'gradus-link'));
  expectIn(
    'a symlinked bin',
    run(
      './gradus-link check (a symlinked bin)',
      join(dir, 'gradus-link'),
      ['check', 'models/ravine.model'],
      cwd,
    ),
    /^ok: models\/ravine\.model/,
  );

  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: 'nodenext',
        target: 'es2022',
        types: ['node'],
        skipLibCheck: false,
      },
      files: ['main.ts'],
    }),
  );
  writeFileSync(
    join(dir, 'main.ts'),
    `import { grad, graph, interpret, loadModel, runCli, sgd, type Tensor } from 'gradus';
import { gradcheck, quadraticProblem, runOptimizer } from 'gradus/testing';

const g = graph();
const x = g.param('x', [2]);
const loss = x.mul(x).sum();
const [dx] = grad(loss, [x]);
const [l, d]: Tensor[] = interpret([loss.node, dx.node], { feeds: { x: [3, -1] } });
const ok = gradcheck((a) => a.tanh().sum(), [[0.5, -0.25]]).ok;
const { lowered } = loadModel('models/ravine.model');
// One step of lr = 1/λ on ½·λ·x² from x = 1 lands on the minimum.
const path = runOptimizer(quadraticProblem({ eigenvalues: [4], x0: [1] }), sgd(0.25), 1).params;
console.log(JSON.stringify({ loss: l.data[0], grad: Array.from(d.data), ok, model: lowered.model.name, path: path.map((p) => p[0]) }));
process.exitCode = runCli(['check', 'models/ravine.model']);
`,
  );
  run(
    'tsc --strict (module nodenext) on a program importing gradus',
    join(dir, 'node_modules', '.bin', 'tsc'),
    ['-p', '.'],
    cwd,
  );
  const out = run('node main.js', 'node', ['main.js'], cwd);
  expectIn(
    'the TypeScript program',
    out,
    /\{"loss":10,"grad":\[6,-2\],"ok":true,"model":"Ravine","path":\[1,0\]\}/,
  );
  process.stdout.write(`pack check passed (${tarballs.length} tarballs installed in an empty folder)\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
