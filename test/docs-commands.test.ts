/**
 * Every command shown in README.md and docs/ runs as written from a clone.
 *
 * The commands are read from the docs themselves: the lines of `sh`/`bash` blocks, and the `$ `
 * lines of transcripts. Each document gets a fresh scratch directory that sees the repository's
 * files (models/, examples/, packages/, test/ …) through symlinks, so a command reads what a clone
 * has and writes only into the scratch directory; its commands run in document order there, so a
 * later command sees what an earlier one wrote (`train --checkpoint ck`, then `eval --checkpoint
 * ck`). A fenced block preceded by `<!-- file: NAME -->` is a file the reader is shown and asked to
 * save: it is written into the scratch directory before the document's commands run.
 *
 * `gradus` commands run in-process (the same entry point as the binary, without a process per
 * command); other lines run in bash. A transcript whose output shows an error must fail (exit
 * ≠ 0) with that error's message; every other command must succeed. The few commands that cannot run inside a test (installs,
 * the test suite itself, an editor) are listed in `NOT_RUN` with the reason, and the list is
 * checked against the docs so it cannot go stale.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cliAsync } from './helpers.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** Commands that are not run here, each with why; every entry must still occur in the docs. */
const NOT_RUN: readonly { readonly prefix: string; readonly why: string }[] = [
  { prefix: 'npm install -g pnpm && pnpm install && pnpm test', why: 'the test suite itself' },
  { prefix: 'apt-get install', why: 'installs system packages (the CI script does)' },
  { prefix: 'npm_config_nodedir=/usr pnpm install', why: 'an install (the CI script does)' },
  { prefix: 'xvfb-run -a pnpm test', why: 'the test suite itself' },
  { prefix: 'pnpm install', why: 'an install' },
  { prefix: 'pnpm test:vsix', why: 'a CI step of its own (packs the editor extension)' },
  { prefix: 'code --install-extension', why: 'needs VS Code' },
  {
    prefix: 'node packages/gradus/dist/bin.js',
    why: 'needs `pnpm build` first; the packed-install check runs the built binary',
  },
  { prefix: 'pnpm vitest run', why: 'a test of this suite' },
];

/**
 * The README's first command trains on all of MNIST (≈ 100 s); here it runs as written but
 * shortened to a few steps, which still proves that the data ships and the model trains.
 */
const SHORTENED: readonly { readonly prefix: string; readonly extra: readonly string[] }[] = [
  { prefix: 'npm install -g pnpm && pnpm install && pnpm gradus train', extra: ['--steps', '3'] },
];

interface DocCommand {
  readonly doc: string;
  readonly line: number;
  readonly text: string;
  /** The first error the transcript shows after it (without its location): the command must fail with it. */
  readonly expectedError?: string;
}

interface DocFile {
  readonly name: string;
  readonly content: string;
}

const ERROR_LINE = /^(?:\S+:\d+:\d+: )?(error(?:\[E\d+\])?:.*)$/;

function readDoc(doc: string): { commands: DocCommand[]; files: DocFile[] } {
  const lines = readFileSync(join(REPO, doc), 'utf8').split('\n');
  const commands: DocCommand[] = [];
  const files: DocFile[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w*)/.exec(lines[i]);
    if (!fence) continue;
    const lang = fence[1];
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end].startsWith('```')) end++;
    const body = lines.slice(start, end);
    const marker = /^<!-- file: (\S+) -->$/.exec(lines[i - 1] ?? '');
    if (marker) files.push({ name: marker[1], content: `${body.join('\n')}\n` });
    else if (['sh', 'bash', 'shell'].includes(lang)) {
      body.forEach((l, k) => {
        if (l.trim() && !l.trim().startsWith('#'))
          commands.push({ doc, line: start + k + 1, text: stripComment(l) });
      });
    } else {
      body.forEach((l, k) => {
        if (!l.startsWith('$ ')) return;
        // The transcript's output: the lines up to the next command.
        let o = k + 1;
        let expectedError: string | undefined;
        while (o < body.length && !body[o].startsWith('$ ')) {
          expectedError ??= ERROR_LINE.exec(body[o])?.[1];
          o++;
        }
        commands.push({
          doc,
          line: start + k + 1,
          text: l.slice(2).trim(),
          ...(expectedError !== undefined ? { expectedError } : {}),
        });
      });
    }
    i = end;
  }
  return { commands, files };
}

/** Drops a trailing `# comment` (outside quotes). */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i).trim();
  }
  return line.trim();
}

/** `gradus …`, however the docs start it; the arguments split as bash would. */
const GRADUS =
  /^(?:npm install -g pnpm && pnpm install && )?(?:pnpm (?:-s )?gradus|npx gradus|gradus)(?=\s|$)/;
const SHELL_SYNTAX = /[|><;&`$]/;

function shellWords(args: string): string[] {
  const out = execFileSync('bash', ['-c', `printf '%s\\0' ${args}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

const DOCS = ['README.md', ...readdirSync(join(REPO, 'docs')).map((f) => `docs/${f}`)]
  .filter((f) => f.endsWith('.md'))
  .sort();
const parsed = DOCS.map((doc) => ({ doc, ...readDoc(doc) }));
const everyCommand = parsed.flatMap((p) => p.commands);

/** The repository's own entries, seen from a scratch directory. */
const SHARED = readdirSync(REPO).filter((e) => !e.startsWith('.') && !['runs', 'packed'].includes(e));

const scratchDirs: string[] = [];
afterAll(() => {
  for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
});

function scratch(files: readonly DocFile[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'gradus-docs-'));
  scratchDirs.push(dir);
  for (const e of SHARED) symlinkSync(join(REPO, e), join(dir, e));
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.name)), { recursive: true });
    writeFileSync(join(dir, f.name), f.content);
  }
  // `gradus` for the lines that need a shell (pipes, redirections).
  mkdirSync(join(dir, '.bin'));
  writeFileSync(
    join(dir, '.bin', 'gradus'),
    `#!/bin/sh\nexec "${join(REPO, 'node_modules/.bin/tsx')}" "${join(REPO, 'packages/gradus/src/bin.ts')}" "$@"\n`,
    { mode: 0o755 },
  );
  return dir;
}

async function run(cmd: DocCommand, dir: string): Promise<{ code: number; output: string }> {
  const shortened = SHORTENED.find((s) => cmd.text.startsWith(s.prefix));
  const gradus = GRADUS.exec(cmd.text);
  if (gradus && !SHELL_SYNTAX.test(cmd.text.slice(gradus[0].length).replace(/'[^']*'/g, "''"))) {
    const argv = [...shellWords(cmd.text.slice(gradus[0].length)), ...(shortened?.extra ?? [])];
    const before = process.cwd();
    const runs = process.env.GRADUS_RUNS;
    process.chdir(dir);
    // Runs go to ./runs, as for a user (the suite sends other tests' runs elsewhere).
    delete process.env.GRADUS_RUNS;
    try {
      const r = await cliAsync(...argv);
      return { code: r.code, output: r.out + r.err };
    } finally {
      process.chdir(before);
      if (runs !== undefined) process.env.GRADUS_RUNS = runs;
    }
  }
  const text = cmd.text.replace(/\bpnpm (-s )?gradus\b/g, 'gradus');
  const r = spawnSync('bash', ['-c', text], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GRADUS_RUNS: '', PATH: `${join(dir, '.bin')}:${process.env.PATH}` },
  });
  return { code: r.status ?? 1, output: r.stdout + r.stderr };
}

describe('the commands in the docs', () => {
  it('are found', () => {
    expect(everyCommand.length).toBeGreaterThan(50);
  });

  it('skip only commands that are still in the docs', () => {
    for (const s of [...NOT_RUN, ...SHORTENED])
      expect(
        everyCommand.some((c) => c.text.startsWith(s.prefix)),
        s.prefix,
      ).toBe(true);
  });

  for (const { doc, commands, files } of parsed) {
    const runnable = commands.filter((c) => !NOT_RUN.some((s) => c.text.startsWith(s.prefix)));
    if (runnable.length === 0) continue;
    it(`${doc} runs as written`, async () => {
      const dir = scratch(files);
      for (const cmd of runnable) {
        const ran = await run(cmd, dir);
        const code = ran.code;
        // Paths into the scratch directory read as the user's relative paths.
        const output = ran.output.split(`${dir}/`).join('');
        const where = `${cmd.doc}:${cmd.line}: ${cmd.text}\n${output}`;
        if (cmd.expectedError === undefined) expect(code, where).toBe(0);
        else {
          expect(code, where).not.toBe(0);
          expect(output, where).toContain(cmd.expectedError);
        }
      }
    }, 600_000);
  }
});
