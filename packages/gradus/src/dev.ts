/**
 * `pnpm gradus …` in the repository: pnpm runs scripts from the repository root, so paths on the
 * command line are resolved against the directory the user typed the command in (`INIT_CWD`).
 * The installed `gradus` binary (`bin.ts`) needs none of this.
 */
export {};

if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
await import('./bin.js');
