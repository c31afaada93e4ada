#!/usr/bin/env node
/**
 * The `gradus` executable. It runs the CLI unconditionally, so it works however it is started:
 * `npx`, a global install, `npm link` or a symlink to this file (a check of `process.argv[1]`
 * against this file's name would fail for a symlink).
 *
 * `gradus train` runs in a worker thread, so that this thread can handle Ctrl-C while the
 * synchronous training loop runs (see train-thread.ts); every other command runs here.
 */
export {};

const argv = process.argv.slice(2);
process.exitCode =
  argv[0] === 'train'
    ? await (await import('./train-thread.js')).trainInThread(argv)
    : await (await import('./cli/main.js')).runCliAsync(argv);
