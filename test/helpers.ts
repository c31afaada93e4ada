import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCli, runCliAsync } from 'gradus';

/** The lecture models the repository keeps for its docs and tests (`models/`). */
export const MODELS_DIR = fileURLToPath(new URL('../models/', import.meta.url));

export const repoModels = (): string[] =>
  readdirSync(MODELS_DIR)
    .filter((f) => f.endsWith('.model'))
    .sort();

export const repoModel = (name: string): string => `${MODELS_DIR}${name}`;
/** Runs the CLI in-process and captures what it prints. */
export function cli(...argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = runCli(argv, {
    out: (t) => {
      out += `${t}\n`;
    },
    err: (t) => {
      err += `${t}\n`;
    },
    tty: false,
  });
  return { code, out, err };
}

/** As `cli`, for every command, the asynchronous ones (search, sweep, worker) included. */
export async function cliAsync(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCliAsync(argv, {
    out: (t) => {
      out += `${t}\n`;
    },
    err: (t) => {
      err += `${t}\n`;
    },
    tty: false,
  });
  return { code, out, err };
}
