import { hyperFlags, locateInModel } from '@gradus/dsl';
import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '../version.js';
import { EVALUATORS } from './backend-eval.js';
import { checkCommand } from './check.js';
import { compileCommand, EMIT_KINDS } from './compile.js';
import { doctorCommand } from './doctor.js';
import { evalCommand, predictCommand } from './evaluate.js';
import { exportCommand } from './export.js';
import { gradCommand } from './grad.js';
import { gradcheckCommand } from './gradcheck.js';
import { hessianCommand } from './hessian.js';
import { lspCommand } from './lsp.js';
import { intArg, positiveNumber, seedArg } from './options.js';
import { type Io, processIo, reportError } from './output.js';
import { scheduleCommand } from './schedule.js';
import { addSearchCommands } from './search-commands.js';
import { trainCommand } from './train.js';

export { VERSION } from '../version.js';

/** Builds the `gradus` command line; `run` returns the exit code instead of exiting (for tests). */
export function buildCli(
  io: Io,
  setExit: (code: number) => void,
  pending: (p: Promise<void>) => void = () => {
    throw new Error('this command runs asynchronously: call runCliAsync');
  },
): Command {
  const program = new Command('gradus')
    .description('Gradus: .model files in, exact gradients and trained models out')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();

  // Repeatable flags collect their values in order.
  const collect = (v: string, previous: readonly string[] = []): string[] => [...previous, v];
  const withHyper = (c: Command) =>
    c.option(
      '--hyper <name=value>',
      "replace a hyper-parameter's value (repeatable), checked against its declared type and range",
      collect,
    );
  const withSet = (c: Command) =>
    c.option(
      '--set <key=value>',
      "replace any train { } setting (repeatable), e.g. validation=0.1, 'optimizer=adam(lr = 0.01)'",
      collect,
    );
  // `--hyper` flags, checked against the model's declarations, as the values its lowering uses.
  const hyped = <O extends { hyper?: string[] }>(file: string, o: O) => ({
    ...o,
    hypers: hyperFlags(file, o.hyper),
  });

  // Commands on one model file: an error located in that model renders against it.
  const guarded =
    <A extends unknown[]>(f: (...a: A) => number) =>
    (...a: A) => {
      try {
        setExit(f(...a));
      } catch (e) {
        setExit(reportError((typeof a[0] === 'string' && locateInModel(e, a[0])) || e, io));
      }
    };

  withHyper(
    program
      .command('check')
      .description('parse and type-check model files; exit 1 with diagnostics on any error')
      .argument('<files...>', '.model files'),
  ).action(guarded((files: string[], o: { hyper?: string[] }) => checkCommand(files, io, o.hyper)));

  withHyper(program.command('compile'))
    .description('compile a model and print (or write) its graph, gradients included')
    .argument('<file>', '.model file')
    .addOption(
      new Option('--emit <kind>', "what to emit (js, wasm: the cpu backends' code; gpu: the gpu.js kernels)")
        .choices([...EMIT_KINDS])
        .default('text'),
    )
    .option('-o, --output <path>', 'write to a file instead of standard output')
    .addOption(new Option('--dtype <dtype>', 'float precision').choices(['f64', 'f32']).default('f64'))
    .addOption(
      new Option('--mode <mode>', 'training or evaluation graph').choices(['train', 'eval']).default('train'),
    )
    .option('--no-optimize', 'skip the graph passes')
    .option('--batch <n>', 'with --emit js, wasm or gpu: the size of symbolic dims such as N', intArg(1))
    .action(guarded((file: string, o) => compileCommand(file, hyped(file, o), io)));

  const point = (c: Command) =>
    c
      .option(
        '--params <file>',
        'JSON object mapping param names to nested arrays (default: the seeded initialisation)',
      )
      .option(
        '--data <file>',
        "JSON object mapping input names to nested arrays (default: the train block's data)",
      )
      .option('--seed <n>', 'seed of the initialisation and of random data', seedArg)
      .option(
        '--hyper <name=value>',
        "replace a hyper-parameter's value (repeatable), checked against its declared type and range",
        collect,
      );

  point(
    program
      .command('grad')
      .description('the loss and the gradient of every param at a point')
      .argument('<file>', '.model file'),
  )
    .addOption(new Option('--dtype <dtype>', 'float precision').choices(['f64', 'f32']).default('f64'))
    .option(
      '--hvp <file>',
      'also the Hessian-vector product H·v over all params; the JSON file maps param names to arrays (v), missing params are 0',
    )
    .option('--json', 'print one JSON line: {"loss", "grads": {name: [row-major values]}, "hvp"?}')
    .addOption(new Option('--backend <where>', 'compute on').choices([...EVALUATORS]).default('cpu'))
    .action(guarded((file: string, o) => gradCommand(file, hyped(file, o), io)));

  point(
    program
      .command('gradcheck')
      .description('check every param gradient against central differences (f64)')
      .argument('<file>', '.model file'),
  )
    .option('--batch <n>', 'use the first n examples of the data', intArg(1))
    .option('--samples <k>', 'elements checked per param (seeded sample)', intArg(1))
    .option('--all', 'check every element of every param')
    .option('--tol <x>', 'relative tolerance (default 1e-5)', positiveNumber)
    .option(
      '--atol <x>',
      'absolute tolerance: elements this close pass whatever their relative error (default min(1e-8, --tol))',
      positiveNumber,
    )
    .option('--eps <x>', 'central-difference step', positiveNumber)
    .option(
      '--json',
      'print one JSON line: {"ok", "rtol", "atol", "params": {name: {"ok", "maxRelError", "maxAbsError", "kinks"}}}',
    )
    .addOption(
      new Option('--backend <where>', 'compute the analytic gradient on')
        .choices([...EVALUATORS])
        .default('cpu'),
    )
    .action(guarded((file: string, o) => gradcheckCommand(file, hyped(file, o), io)));

  point(
    program
      .command('hessian')
      .description(
        "the largest and smallest eigenvalues of the loss's Hessian over all params (Lanczos), its condition number and the largest stable learning rate",
      )
      .argument('<file>', '.model file'),
  )
    .option('--batch <n>', 'use n examples of the data (a seeded sample)', intArg(1))
    .option(
      '--top <k>',
      'how many of the largest and of the smallest eigenvalues to report (default 5)',
      intArg(1),
    )
    .option(
      '--iterations <m>',
      'at most m Hessian-vector products (default max(100, 4k), at most the param count)',
      intArg(1),
    )
    .option(
      '--tol <x>',
      'relative accuracy the reported eigenvalues must reach (default 1e-8)',
      positiveNumber,
    )
    .option(
      '--json',
      'print one JSON line: {"eigenvalues" (descending), "bounds", "smallest", "lambda_max", "lambda_min", "condition", "max_stable_lr", …}',
    )
    .action(guarded((file: string, o) => hessianCommand(file, hyped(file, o), io)));

  program
    .command('doctor')
    .description(
      "the lectures' sanity checks before tuning: the initial loss, overfitting a small subset, a learning-rate range test, gradient flow",
    )
    .argument('<file>', '.model file')
    .option('--data <spec>', "data (default: the train block's)")
    .option('--seed <n>', 'seed of the initialisation, the subset and the batches', seedArg)
    .option('--plot <dir>', 'write the charts (lr_range.svg) here')
    .option('--json', 'print one JSON line: {"checks": [{"name", "status", "message", "details"}], …}')
    .action(guarded((file: string, o) => doctorCommand(file, o, io)));

  withSet(withHyper(program.command('train')))
    .description('train a model; flags override its train { } settings')
    .argument('<file>', '.model file')
    .option(
      '--data <spec>',
      'data: spiral(classes = 3, points = 100), moons, blobs, mnist, iris, or a .json/.csv/.npy file',
    )
    .option('--optimizer <call>', "e.g. 'adam(lr = 1e-3)'")
    .option('--schedule <call>', "e.g. 'warmup(steps = 50, then = cosine(steps = 2000))'")
    .option(
      '--epochs <n>',
      'length of the run in passes over the data (the total, also when resuming)',
      intArg(1),
    )
    .option(
      '--steps <n>',
      'length of the run in optimisation steps, instead of epochs (the total, also when resuming)',
      intArg(1),
    )
    .option('--batch <n>', 'minibatch size', intArg(1))
    .option('--seed <n>', 'seed of initialisation, dropout and shuffling', seedArg)
    .addOption(
      new Option(
        '--dtype <dtype>',
        'float precision (default: f64 on the cpu backend, f32 on gpu and auto)',
      ).choices(['f64', 'f32']),
    )
    .addOption(
      new Option(
        '--backend <backend>',
        'where to run: cpu (WebAssembly SIMD; JavaScript for tiny graphs), js (generated JavaScript), gpu (gpu.js on WebGL; fails if no GPU context), auto (gpu, else cpu, and says so)',
      ).choices(['cpu', 'js', 'gpu', 'auto']),
    )
    .option(
      '--run-dir <dir>',
      'the run directory: settings.json, checkpoint.json, log.jsonl, summary.json (default: the next free runs/<model>/<n>)',
    )
    .option('--charts', "also write the charts (SVG) into the run directory's charts/")
    .option(
      '--log <file>',
      "JSON lines: one per step and one per evaluation (default: the run directory's log.jsonl)",
    )
    .option(
      '--trace <file>',
      'JSON lines per step: loss, lr, and the params after the step (models ≤ 10,000 params)',
    )
    .option(
      '--plot <dir>',
      'write SVG charts: loss and metrics, and for two-parameter models the path over the contours',
    )
    .option(
      '--checkpoint <dir>',
      'save the checkpoint here, every epoch and at the end (default: in the run directory)',
    )
    .option('--checkpoint-every <n>', 'also save a checkpoint every n steps', intArg(1))
    .option(
      '--resume <dir>',
      "continue the run in this run (or checkpoint) directory, bit-identically, with its settings, dtype and backend (flags given win; --steps/--epochs give the whole run's length); its log is continued",
    )
    .option('--overwrite', 'replace an existing run directory, log, trace, chart or checkpoint')
    .option(
      '--json',
      'last line: {"loss", "firstLoss", "metrics", "evaluation", "steps", "seconds", "compileSeconds", "runDir"}',
    )
    .action(guarded((file: string, o) => trainCommand(file, hyped(file, o), io)));

  const evalLike = (name: string, description: string) =>
    withHyper(program.command(name))
      .description(description)
      .argument('<file>', '.model file')
      .option('--checkpoint <dir>', 'params from this checkpoint (default: the seeded initialisation)')
      .option('--data <spec>', "data (default: the train block's; its test split when it has one)")
      .addOption(new Option('--dtype <dtype>', 'float precision').choices(['f64', 'f32']).default('f64'))
      .option('--seed <n>', 'seed of the initialisation when there is no checkpoint', seedArg)
      .option('--json', 'print one JSON line');
  evalLike('eval', 'the loss and metrics of the evaluation graph (no dropout, running statistics)').action(
    guarded((file: string, o) => evalCommand(file, hyped(file, o), io)),
  );
  evalLike('predict', 'every `output` of the model for each example')
    .option('--rows <n>', 'rows to print without --json', intArg(1))
    .action(guarded((file: string, o) => predictCommand(file, hyped(file, o), io)));

  withHyper(program.command('export'))
    .description('write the evaluation graph with its params as an ONNX file (opset 17)')
    .argument('<file>', '.model file')
    .option('--onnx <path>', 'the .onnx file to write')
    .option('--checkpoint <dir>', 'params from this checkpoint (default: the seeded initialisation)')
    .addOption(
      new Option('--dtype <dtype>', 'float precision of the file').choices(['f32', 'f64']).default('f32'),
    )
    .option('--outputs <names>', 'comma-separated results to export (default: every `output`)')
    .option(
      '--seed <n>',
      "seed of the initialisation when there is no checkpoint (default: the train block's)",
      intArg(0),
    )
    .option('--overwrite', 'replace an existing file')
    .action(guarded((file: string, o) => exportCommand(file, hyped(file, o), io)));

  withSet(withHyper(program.command('schedule')))
    .description('print the learning rate at every step of the run, before training')
    .argument('<file>', '.model file')
    .option('--optimizer <call>', "e.g. 'adam(lr = 1e-3)'")
    .option('--schedule <call>', "e.g. 'warmup(steps = 50, then = cosine(steps = 2000))'")
    .option('--epochs <n>', 'length of the run in epochs', intArg(1))
    .option('--steps <n>', 'length of the run in steps', intArg(1))
    .option('--batch <n>', 'minibatch size', intArg(1))
    .option('--data <spec>', 'the data (its size turns epochs into steps)')
    .option('--points <n>', 'rows of the table', intArg(1))
    .option('--json', 'print {"optimizer", "schedule", "lr": [one value per step]}')
    .action(guarded((file: string, o) => scheduleCommand(file, hyped(file, o), io)));

  program
    .command('lsp')
    .description('the language server, for editors: LSP on standard input and output')
    .option('--stdio', 'talk over standard input and output (the only transport, and the default)')
    // Editors' clients add flags of their own (such as --clientProcessId=N); they are not errors.
    .allowUnknownOption()
    .action(guarded(() => lspCommand(VERSION)));

  addSearchCommands(program, io, setExit, pending);
  return program;
}

export function runCli(argv: readonly string[], io: Io = processIo): number {
  let code = 0;
  const program = buildCli(io, (c) => {
    code = c;
  });
  try {
    program.parse(argv as string[], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    return reportError(e, io);
  }
  return code;
}

/**
 * The CLI for every command, the asynchronous ones (`search`, `sweep`, `worker`) included; the
 * `gradus` binary runs this. `runCli` runs the synchronous ones only.
 */
export async function runCliAsync(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code = 0;
  let later: Promise<void> | undefined;
  const program = buildCli(
    io,
    (c) => {
      code = c;
    },
    (p) => {
      later = p;
    },
  );
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    return reportError(e, io);
  }
  if (later) await later;
  return code;
}
