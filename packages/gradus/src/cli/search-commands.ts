import { locateInModel } from '@gradus/dsl';
import type { Command } from 'commander';
import { runWorker } from '../search/queue.js';
import { compareCommand } from './compare.js';
import { intArg, positiveNumber } from './options.js';
import { type Io, reportError } from './output.js';
import { searchCommand, sweepCommand } from './search.js';

const collect = (v: string, previous: readonly string[] = []): string[] => [...previous, v];

/**
 * The experiment commands: `search`, `sweep`, `compare` and `worker`. Search, sweep and worker
 * are asynchronous (trials run in worker threads or on a queue): their actions hand a promise
 * to `pending`, which `runCliAsync` awaits.
 */
export function addSearchCommands(
  program: Command,
  io: Io,
  setExit: (code: number) => void,
  pending: (p: Promise<void>) => void,
): void {
  const report = (e: unknown, file?: string) =>
    setExit(reportError((file !== undefined && locateInModel(e, file)) || e, io));
  const later =
    <A extends unknown[]>(f: (...a: A) => Promise<number>) =>
    (...a: A) => {
      pending(
        (async () => {
          try {
            setExit(await f(...a));
          } catch (e) {
            report(e, typeof a[0] === 'string' ? a[0] : undefined);
          }
        })(),
      );
    };
  const trialOptions = (c: Command) =>
    c
      .option('--workers <n>', 'trials run at once in worker threads (default: one per core)', intArg(1))
      .option('--seed <n>', "the search's seed: the same seed draws the same trials", intArg(0))
      .option('--dir <dir>', 'the search directory (default: the next free runs/<model>/search-<n>)')
      .option('--resume', 'continue the search in --dir, running only the trials it has not recorded')
      .option(
        '--queue <url>',
        'put the trials on a BullMQ queue in Redis (redis://HOST:PORT) for `gradus worker`s',
      )
      .option(
        '--train <flag>',
        "a flag given to every trial's gradus train, e.g. --train=--dtype=f32 (repeatable)",
        collect,
      )
      .option('--json', 'end with {"trials": [...], "best": {...}}');

  trialOptions(
    program
      .command('search')
      .description('random and grid search over hyper-parameters, each trial judged on validation data')
      .argument('<file>', '.model file')
      .requiredOption(
        '--space <name=dist>',
        'a searched name and its distribution: loguniform(a, b), uniform(a, b), int(a, b), choice(v, …), grid(v, …) (repeatable)',
        collect,
      )
      .option('--trials <n>', 'trials per round (default: the grid size, else 16)', intArg(1))
      .option('--refine', 'a second, finer round around the best trials of the first'),
  ).action(
    later((file: string, o: Record<string, unknown>) =>
      searchCommand(
        file,
        { ...o, space: o.space as string[], trainArgs: (o.train as string[] | undefined) ?? [] },
        io,
      ),
    ),
  );

  trialOptions(
    program
      .command('sweep')
      .description('train the model once for each value (a grid without a winner), then compare the runs')
      .argument('<file>', '.model file')
      .requiredOption(
        '--set-each <name=v1,v2,…>',
        'the values of one name (repeatable: every combination runs)',
        collect,
      )
      .option('--plot <dir>', 'where the comparison charts go (default: the sweep directory)'),
  ).action(
    later((file: string, o: Record<string, unknown>) =>
      sweepCommand(
        file,
        { ...o, setEach: o.setEach as string[], trainArgs: (o.train as string[] | undefined) ?? [] },
        io,
      ),
    ),
  );

  program
    .command('compare')
    .description('runs side by side: every run on one chart per logged quantity, labelled by what differs')
    .argument('<runs...>', 'run directories')
    .option('--plot <dir>', 'write the charts (SVG) into this directory')
    .option('--json', 'print {"runs": [...]}')
    .action((runs: string[], o: { plot?: string; json?: boolean }) => {
      try {
        setExit(compareCommand(runs, o, io));
      } catch (e) {
        report(e);
      }
    });

  program
    .command('worker')
    .description("run a search's trials from a BullMQ queue in Redis, until stopped (Ctrl-C)")
    .requiredOption('--queue <url>', 'redis://HOST:PORT of the search')
    .option('--concurrency <n>', 'trials at once on this machine', intArg(1))
    .option(
      '--lock-seconds <s>',
      'how long a trial stays with a worker that stops answering before another takes it (default 30)',
      positiveNumber,
    )
    .action(
      later(async (o: { queue: string; concurrency?: number; lockSeconds?: number }) => {
        const w = await runWorker({ ...o, log: (t) => io.err(t) });
        const stop = () => {
          io.err('worker: stopping after the running trials (Ctrl-C again to stop at once)');
          process.off('SIGINT', stop);
          process.once('SIGINT', () => process.exit(130));
          void w.close();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        await w.closed;
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        return 0;
      }),
    );
}
