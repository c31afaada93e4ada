#!/usr/bin/env node
/**
 * The `gradus` executable. It runs the CLI unconditionally, so it works however it is started:
 * `npx`, a global install, `npm link` or a symlink to this file (a check of `process.argv[1]`
 * against this file's name would fail for a symlink).
 */
import { runCliAsync } from './cli/main.js';

process.exitCode = await runCliAsync(process.argv.slice(2));
