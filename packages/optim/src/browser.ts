/**
 * The browser entry point of `@gradus/optim` (the `browser` export condition): everything of the
 * main entry that needs no Node module. Missing here: reading data and checkpoint files
 * (`loadData`, `loadCheckpoint`, `saveCheckpoint`), MNIST, JSON-lines logs, charts rendered with
 * vega in a child process, and `train()` with its checkpoint callback. A browser program runs the
 * same compiled step through `prepareSession` and writes what it wants to keep itself.
 */
export * from './catalogue.js';
export * from './curvature/index.js';
export * from './data/files.js';
export type { Columns, LoadedData } from './data/load.js';
export * from './data/spiral.js';
export * from './data/toy-sets.js';
export * from './host/index.js';
export * from './init/lsuv.js';
export * from './optimizers.js';
export * from './schedules/index.js';
export * from './search/space.js';
export * from './step.js';
export * from './trainer/batches.js';
export * from './trainer/callback.js';
export * from './trainer/callbacks/early-stop.js';
export * from './trainer/callbacks/format.js';
export * from './trainer/callbacks/jsonl-log.js';
export * from './trainer/callbacks/polyak.js';
export * from './trainer/callbacks/reduce-on-plateau.js';
export * from './trainer/callbacks/stop-on-nan.js';
export type { Checkpoint, RunState } from './trainer/checkpoint.js';
export * from './trainer/loop.js';
export * from './trainer/session.js';
export * from './transforms/index.js';
