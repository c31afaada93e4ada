import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCli } from '@gradus/dsl';

/** The models the product promises to check, compile and train unchanged (`../shared/models`). */
export const SHARED_MODELS_DIR = fileURLToPath(new URL('../../shared/models/', import.meta.url));

export const sharedModels = (): string[] =>
  readdirSync(SHARED_MODELS_DIR)
    .filter((f) => f.endsWith('.model'))
    .sort();

export const sharedModel = (name: string): string => `${SHARED_MODELS_DIR}${name}`;

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
