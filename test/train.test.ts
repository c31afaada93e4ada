import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from 'gradus';
import { describe, expect, it } from 'vitest';
import { cli, repoModel } from './helpers.js';

/**
 * `gradus train` end to end: the trace and --json formats against
 * independent plain-JS optimisers, bit-identical resumption, nothing overwritten or corrupted,
 * clear errors, NaN/divergence detection, reduce-on-plateau and the charts.
 */

const tmp = mkdtempSync(join(tmpdir(), 'gradus-train-'));
let fileCount = 0;
/** A fresh path under the test's temporary directory. */
const fresh = (name: string) => join(tmp, `${++fileCount}-${name}`);

const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!);
const readLines = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
const checkpointOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+/);

const ravine = repoModel('ravine.model');
/** The ravine f(x) = x1² + 50 x2² from (4, 0.5), and its gradient (2x1, 100x2), in plain JS. */
const ravineLoss = (x: readonly number[]) => x[0] ** 2 + 50 * x[1] ** 2;
const ravineGrad = (x: readonly number[]) => [2 * x[0], 100 * x[1]];

/** Plain gradient descent x ← x − lr_k ∇f(x), recording what the trace must say. */
function gradientDescent(
  steps: number,
  lrAt: (k: number) => number,
): { step: number; loss: number; lr: number; x: number[] }[] {
  let x = [4, 0.5];
  const out = [];
  for (let k = 1; k <= steps; k++) {
    const loss = ravineLoss(x);
    const g = ravineGrad(x);
    const lr = lrAt(k);
    x = [x[0] - lr * g[0], x[1] - lr * g[1]];
    out.push({ step: k, loss, lr, x });
  }
  return out;
}

function expectTraceMatches(
  trace: { step: number; loss: number; lr: number; params: { x: number[] } }[],
  expected: ReturnType<typeof gradientDescent>,
) {
  expect(trace).toHaveLength(expected.length);
  trace.forEach((line, i) => {
    const e = expected[i];
    expect(Object.keys(line)).toEqual(['step', 'loss', 'lr', 'params']);
    expect(line.step).toBe(e.step);
    expect(Math.abs(line.loss - e.loss)).toBeLessThanOrEqual(1e-12 * Math.max(1, e.loss));
    expect(Math.abs(line.lr - e.lr)).toBeLessThanOrEqual(1e-12);
    expect(Object.keys(line.params)).toEqual(['x']);
    line.params.x.forEach((v, j) => {
      expect(Math.abs(v - e.x[j])).toBeLessThanOrEqual(1e-12);
    });
  });
}

describe('divergence', () => {
  it('ravine: at lr 0.021 > 2/100 it diverges, stopping with a message that says why', () => {
    const r = cli('train', ravine, '--optimizer', 'sgd(lr = 0.021)', '--json');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/diverged/);
    expect(r.err).toMatch(/learning rate \(0\.021\) is probably too high/);
    noStackTrace(r.err);
    // It stops at the first step whose loss exceeds 1e8 times the first loss (x2 grows by 1.1 a step).
    const run = gradientDescent(300, () => 0.021);
    const expectedStep = run.find((s) => s.loss > 1e8 * run[0].loss)!.step;
    const res = lastJson(r.out);
    expect(res.stopped).toBe('diverged');
    expect(res.steps).toBe(expectedStep);
    expect(r.err).toContain(`at step ${expectedStep}`);
  });
});

describe('--trace', () => {
  it('is one line per step: the loss before, the lr used and the params after, as plain GD computes them', () => {
    const trace = fresh('ravine.trace.jsonl');
    const r = cli('train', ravine, '--trace', trace);
    expect(r.code).toBe(0);
    expectTraceMatches(
      readLines(trace),
      gradientDescent(200, () => 0.015),
    );
  });

  it('reports the scheduled learning rate of every step', () => {
    const trace = fresh('ravine-step.trace.jsonl');
    const r = cli(
      'train',
      ravine,
      '--schedule',
      'step(every = 50, factor = 0.5)',
      '--steps',
      '120',
      '--trace',
      trace,
    );
    expect(r.code).toBe(0);
    // StepLR: step k (1-based) uses lr·factor^⌊(k − 1)/every⌋.
    const lines = readLines(trace);
    expectTraceMatches(
      lines,
      gradientDescent(120, (k) => 0.015 * 0.5 ** Math.floor((k - 1) / 50)),
    );
    expect(lines[49].lr).toBe(0.015);
    expect(lines[50].lr).toBe(0.0075);
    expect(lines[100].lr).toBe(0.00375);
  });

  it('leaves the params out for models with more than 10,000 of them', () => {
    const model = fresh('big.model');
    writeFileSync(
      model,
      'model Big {\n  param W: [101, 100] init zeros\n  loss = sum((W - 1)^2)\n  train {\n    steps = 3\n  }\n}\n',
    );
    const trace = fresh('big.trace.jsonl');
    expect(cli('train', model, '--trace', trace).code).toBe(0);
    const lines = readLines(trace);
    expect(lines.map((l) => l.step)).toEqual([1, 2, 3]);
    for (const l of lines) expect(Object.keys(l)).toEqual(['step', 'loss', 'lr']);
    // sgd's default lr 0.01: each step scales (W − 1) by 1 − 0.02.
    expect(Math.abs(lines[1].loss / (10100 * 0.98 ** 2) - 1)).toBeLessThan(1e-12);
  });
});

describe('--json', () => {
  it('prints exactly loss, firstLoss, metrics, evaluation, steps, seconds, compileSeconds and runDir as the last line', () => {
    const r = cli('train', repoModel('spiral_softmax.model'), '--steps', '20', '--json');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    const res = lastJson(r.out);
    expect(Object.keys(res)).toEqual([
      'loss',
      'firstLoss',
      'metrics',
      'evaluation',
      'steps',
      'seconds',
      'compileSeconds',
      'runDir',
    ]);
    expect(existsSync(join(res.runDir, 'summary.json'))).toBe(true);
    expect(Object.keys(res.metrics)).toEqual(['accuracy']);
    // The loss of the first step is log 3 for a softmax over three classes at small initial weights.
    expect(res.firstLoss).toBeCloseTo(Math.log(3), 1);
    expect(res.evaluation.metrics).toEqual(res.metrics);
    expect(typeof res.evaluation.split).toBe('string');
    expect(Number.isFinite(res.evaluation.loss)).toBe(true);
    expect(res.steps).toBe(20);
    expect(res.seconds).toBeGreaterThan(0);
    expect(res.compileSeconds).toBeGreaterThan(0);
  });
});

/** Runs a model for `total` steps straight, and for `first` then resumed to `total`; returns both. */
function resumeCase(model: string, first: number, total: number, extra: string[] = []) {
  const straight = { ckpt: fresh('straight'), trace: fresh('straight.jsonl'), log: fresh('straight.log') };
  const a = cli(
    'train',
    model,
    '--steps',
    String(total),
    '--checkpoint',
    straight.ckpt,
    '--trace',
    straight.trace,
    '--log',
    straight.log,
    '--json',
    ...extra,
  );
  expect(a.code).toBe(0);
  const split = { ckpt: fresh('split'), trace: fresh('split.jsonl'), log: fresh('split.log') };
  const b1 = cli(
    'train',
    model,
    '--steps',
    String(first),
    '--checkpoint',
    split.ckpt,
    '--trace',
    split.trace,
    '--log',
    split.log,
    ...extra,
  );
  expect(b1.code).toBe(0);
  expect(checkpointOf(split.ckpt).step).toBe(first);
  const b2 = cli(
    'train',
    model,
    '--steps',
    String(total),
    '--resume',
    split.ckpt,
    '--trace',
    split.trace,
    '--log',
    split.log,
    '--json',
    ...extra,
  );
  expect(b2.err).toBe('');
  expect(b2.code).toBe(0);
  return { straight, split, a: lastJson(a.out), b: lastJson(b2.out) };
}

function expectSameRun(c: ReturnType<typeof resumeCase>) {
  expect(c.b.steps).toBe(c.a.steps);
  expect(c.b.loss).toBe(c.a.loss);
  expect(c.b.metrics).toEqual(c.a.metrics);
  // Every variable: params, optimiser state, step counter, running statistics. Exactly.
  expect(checkpointOf(c.split.ckpt).variables).toEqual(checkpointOf(c.straight.ckpt).variables);
  expect(readFileSync(c.split.trace, 'utf8')).toBe(readFileSync(c.straight.trace, 'utf8'));
  expect(readFileSync(c.split.log, 'utf8')).toBe(readFileSync(c.straight.log, 'utf8'));
}

describe('--resume continues bit-identically', () => {
  it('two_layer (dropout, shuffling, Adam, warmup + cosine), resumed mid-epoch', () => {
    // 300 examples in batches of 64: 5 batches an epoch, so step 23 is inside the fifth epoch.
    expectSameRun(resumeCase(repoModel('two_layer.model'), 23, 40));
  });

  it('bn_mlp (batchnorm running statistics, Nesterov, step schedule)', () => {
    expectSameRun(resumeCase(repoModel('bn_mlp.model'), 12, 20, ['--schedule', 'step(every = 15)']));
  });

  it('reduce-on-plateau keeps its patience and best loss across a resume', () => {
    expectSameRun(
      resumeCase(ravine, 90, 150, [
        '--optimizer',
        'sgd(lr = 0.02)',
        '--schedule',
        'plateau(factor = 0.5, patience = 2)',
      ]),
    );
  });

  it("reduce-on-plateau with data: the interrupted run's end-of-run evaluation does not count", () => {
    // 300 examples in batches of 64: evaluations every 5 steps. The first part's extra one at
    // step 18 must not move the rule's best loss (patience 0: every evaluation without
    // improvement halves the rate; lr 10 makes the loss bounce).
    const c = resumeCase(repoModel('spiral_softmax.model'), 18, 45, [
      '--batch',
      '64',
      '--optimizer',
      'sgd(lr = 10)',
      '--schedule',
      'plateau(factor = 0.5, patience = 0)',
    ]);
    expectSameRun(c);
    expect(new Set(readLines(c.straight.trace).map((l) => l.lr)).size).toBeGreaterThan(1);
  });

  it('drops trace lines written after the checkpoint by an interrupted run', () => {
    const model = repoModel('two_layer.model');
    const ckpt = fresh('interrupted');
    const trace = fresh('interrupted.jsonl');
    expect(cli('train', model, '--steps', '10', '--checkpoint', ckpt).code).toBe(0);
    // The same run got further than its last checkpoint before it was stopped.
    expect(cli('train', model, '--steps', '17', '--trace', trace).code).toBe(0);
    expect(cli('train', model, '--steps', '25', '--resume', ckpt, '--trace', trace).code).toBe(0);
    const straight = fresh('uninterrupted.jsonl');
    expect(cli('train', model, '--steps', '25', '--trace', straight).code).toBe(0);
    expect(readFileSync(trace, 'utf8')).toBe(readFileSync(straight, 'utf8'));
  });

  it('counts --steps as the total: a run already there has nothing to do', () => {
    const ckpt = fresh('done');
    expect(cli('train', ravine, '--steps', '30', '--checkpoint', ckpt).code).toBe(0);
    const r = cli('train', ravine, '--steps', '30', '--resume', ckpt);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/already at step 30 of 30: nothing to do/);
    expect(cli('train', ravine, '--steps', '20', '--resume', ckpt, '--json').out).toMatch(/"steps":30/);
  });

  it('--checkpoint-every saves mid-epoch, and --help says the lengths are totals', () => {
    const ckpt = fresh('every');
    expect(
      cli(
        'train',
        repoModel('two_layer.model'),
        '--steps',
        '7',
        '--checkpoint',
        ckpt,
        '--checkpoint-every',
        '3',
      ).code,
    ).toBe(0);
    expect(checkpointOf(ckpt).step).toBe(7);
    const help = cli('train', '--help').out.replace(/\s+/g, ' ');
    expect(help).toMatch(/--steps <n> .*the total, also when resuming/);
    expect(help).toMatch(/--epochs <n> .*the total, also when resuming/);
    expect(help).toMatch(/--checkpoint-every <n>/);
  });
});

describe('nothing already written is lost or corrupted', () => {
  const refused = (args: string[], file: string, what: RegExp) => {
    const before = readFileSync(file, 'utf8');
    const r = cli('train', ravine, '--steps', '5', ...args);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(what);
    expect(r.err).toMatch(/--overwrite/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  };

  it('an existing log, trace, checkpoint or chart is kept unless --overwrite', () => {
    const log = fresh('old.log');
    writeFileSync(log, 'precious\n');
    refused(['--log', log], log, /the log file .* already exists/);
    const trace = fresh('old.trace');
    writeFileSync(trace, 'precious\n');
    refused(['--trace', trace], trace, /the trace file .* already exists/);
    const ckpt = fresh('old-ckpt');
    expect(cli('train', ravine, '--steps', '3', '--checkpoint', ckpt).code).toBe(0);
    refused(['--checkpoint', ckpt], join(ckpt, 'checkpoint.json'), /the checkpoint .* already exists/);
    const plots = fresh('old-plots');
    expect(cli('train', ravine, '--steps', '3', '--plot', plots).code).toBe(0);
    refused(['--plot', plots], join(plots, 'loss.svg'), /the chart .* already exists/);

    expect(cli('train', ravine, '--steps', '5', '--log', log, '--overwrite').code).toBe(0);
    expect(readLines(log).filter((l) => l.eval === undefined)).toHaveLength(5);
    expect(cli('train', ravine, '--steps', '5', '--checkpoint', ckpt, '--overwrite').code).toBe(0);
    expect(checkpointOf(ckpt).step).toBe(5);
  });

  it('checkpoints are renamed into place, leaving no temporary files', () => {
    const ckpt = fresh('atomic');
    expect(cli('train', repoModel('two_layer.model'), '--steps', '12', '--checkpoint', ckpt).code).toBe(0);
    expect(readdirSync(ckpt)).toEqual(['checkpoint.json']);
  });

  it('a damaged checkpoint is a clear error', () => {
    const ckpt = fresh('damaged');
    expect(cli('train', ravine, '--steps', '3', '--checkpoint', ckpt).code).toBe(0);
    const file = join(ckpt, 'checkpoint.json');
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 60));
    const r = cli('train', ravine, '--steps', '6', '--resume', ckpt);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/checkpoint\.json is not valid JSON/);
    expect(r.err).toMatch(/damaged/);
    noStackTrace(r.err);
  });
});

describe('bad inputs: exit 1 with a message naming the problem', () => {
  const fails = (args: string[], what: RegExp) => {
    const r = cli('train', ...args);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(what);
    expect(r.out).not.toMatch(/^(epoch|done)/m);
    noStackTrace(r.err);
    return r;
  };

  it('an unknown optimiser in a flag: a diagnostic with a caret under the flag text', () => {
    const r = fails([ravine, '--optimizer', 'adamm(lr = 0.1)'], /adamm/);
    expect(r.err).toMatch(/adam/);
    const lines = r.err.split('\n');
    const source = lines.findIndex((l) => l.includes('adamm(lr = 0.1)'));
    expect(source).toBeGreaterThanOrEqual(0);
    const caretLine = lines.slice(source + 1).find((l) => l.includes('^'))!;
    const at = lines[source].indexOf('adamm');
    expect(caretLine.indexOf('^')).toBe(at);
  });

  it('--epochs and --steps together', () => {
    fails([ravine, '--epochs', '3', '--steps', '3'], /either --epochs or --steps, not both/);
  });

  it('a data file with NaN', () => {
    const data = fresh('nan.csv');
    writeFileSync(data, 'x[0],x[1],y\n0.1,0.2,0\nNaN,0.3,1\n');
    fails(
      [repoModel('two_layer.model'), '--data', data],
      /nan\.csv:3: 'NaN' in column x\[0\] is not a number/,
    );
  });

  it('labels out of range, before training starts', () => {
    const data = fresh('labels.json');
    writeFileSync(
      data,
      JSON.stringify({
        x: [
          [0, 1],
          [1, 0],
          [0.5, 0.5],
        ],
        y: [0, 5, 2],
      }),
    );
    fails(
      [repoModel('two_layer.model'), '--data', data],
      /'y' holds the label 5 .* 3 classes \(labels 0 to 2\)/,
    );
    fails([repoModel('spiral_svm.model'), '--data', data], /label 5/);
  });

  it('--resume of another model', () => {
    const ckpt = fresh('other-model');
    expect(cli('train', ravine, '--steps', '2', '--checkpoint', ckpt).code).toBe(0);
    fails(
      [repoModel('quadratic.model'), '--resume', ckpt],
      /checkpoint .* is of model Ravine, not Quadratic/,
    );
  });

  it('--resume with another optimiser', () => {
    const ckpt = fresh('other-optimizer');
    expect(cli('train', ravine, '--steps', '2', '--checkpoint', ckpt).code).toBe(0);
    fails(
      [ravine, '--resume', ckpt, '--optimizer', 'adam(lr = 0.1)'],
      /no optimiser state 'opt\..*another optimizer/,
    );
  });
});

describe('NaN and ∞', () => {
  it('stop at the step whose loss is not finite, saying so', () => {
    // f(p) = p² − log p from p = 2 with lr 1: p ← 2 − (2·2 − 1/2) = −1.5, where log is undefined.
    const model = fresh('log-barrier.model');
    writeFileSync(
      model,
      'model LogBarrier {\n  param p: [1] init [2]\n  loss = sum(p^2 - log(p))\n  train {\n    optimizer = sgd(lr = 1)\n    steps = 10\n  }\n}\n',
    );
    const trace = fresh('log-barrier.jsonl');
    const r = cli('train', model, '--trace', trace, '--json');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the loss became NaN at step 2: step 1 moved the params/);
    expect(r.err).toMatch(/learning rate is probably too high/);
    const lines = readLines(trace);
    expect(lines).toHaveLength(2);
    expect(lines[0].loss).toBeCloseTo(4 - Math.log(2), 14);
    expect(lines[0].params.p[0]).toBe(-1.5);
    expect(lastJson(r.out)).toMatchObject({ stopped: 'nan', steps: 2 });
    noStackTrace(r.err);
  });
});

describe('reduce-on-plateau', () => {
  it('drops the learning rate when the evaluation loss stops improving, as PyTorch would', () => {
    // At lr 0.02 = 2/λmax the x2 coordinate flips sign forever while x1 decays: the loss levels
    // off at 12.5 until the rate is cut. Without data every step is an epoch, so an evaluation.
    const trace = fresh('plateau.jsonl');
    const r = cli(
      'train',
      ravine,
      '--optimizer',
      'sgd(lr = 0.02)',
      '--schedule',
      'plateau(factor = 0.5, patience = 2)',
      '--steps',
      '150',
      '--trace',
      trace,
    );
    expect(r.code).toBe(0);
    // PyTorch's ReduceLROnPlateau (mode min, relative threshold 1e-4), written out independently.
    // The rule sees the evaluation loss after each step, and its multiplier applies from the next.
    let best = Number.POSITIVE_INFINITY;
    let bad = 0;
    let scale = 1;
    let x = [4, 0.5];
    const expected: ReturnType<typeof gradientDescent> = [];
    for (let k = 1; k <= 150; k++) {
      const loss = ravineLoss(x);
      const g = ravineGrad(x);
      const lr = 0.02 * scale;
      x = [x[0] - lr * g[0], x[1] - lr * g[1]];
      expected.push({ step: k, loss, lr, x });
      const evalLoss = ravineLoss(x);
      if (evalLoss < best * (1 - 1e-4)) {
        best = evalLoss;
        bad = 0;
      } else if (++bad > 2) {
        scale *= 0.5;
        bad = 0;
      }
    }
    const lines = readLines(trace);
    expectTraceMatches(lines, expected);
    const rates = [...new Set(lines.map((l) => l.lr))];
    expect(rates[0]).toBe(0.02);
    expect(rates[1]).toBe(0.01);
    expect(lines.at(-1).loss).toBeLessThan(1e-3);
  });
});

describe('progress output', () => {
  /** The control characters in a text, newline aside: carriage returns, escapes, bells. */
  const controls = (text: string) =>
    [...text].filter((c) => {
      const n = c.charCodeAt(0);
      return (n < 32 && n !== 10) || n === 127;
    });

  it('is plain lines without a terminal', () => {
    const r = cli('train', repoModel('two_layer.model'), '--steps', '50');
    expect(r.code).toBe(0);
    expect(controls(r.out)).toEqual([]);
    expect(controls(r.err)).toEqual([]);
    expect(r.out).toMatch(/^epoch \d+ {2}step \d+ {2}train loss/m);
  });

  it('is a redrawn bar on stderr on a terminal, stdout staying plain', () => {
    let out = '';
    let err = '';
    const code = runCli(['train', repoModel('two_layer.model'), '--steps', '50'], {
      out: (t) => {
        out += `${t}\n`;
      },
      err: (t) => {
        err += `${t}\n`;
      },
      tty: true,
    });
    expect(code).toBe(0);
    expect(err).toContain('\r');
    expect(err).toMatch(/step 50\/50/);
    expect(controls(out)).toEqual([]);
    expect(out).toMatch(/^done: 50 steps/m);
  });
});

/** A minimal XML well-formedness check: balanced, properly nested tags and escaped text. */
function expectWellFormedXml(xml: string) {
  const stack: string[] = [];
  const tags = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    expect(text).not.toMatch(/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i);
    if (lt < 0) break;
    tags.lastIndex = lt;
    const m = tags.exec(xml);
    expect(m, `malformed tag at ${lt}: ${xml.slice(lt, lt + 60)}`).not.toBeNull();
    const [all, close, name, , selfClose] = m!;
    if (close) expect(stack.pop()).toBe(name);
    else if (!selfClose) stack.push(name);
    i = lt + all.length;
  }
  expect(stack).toEqual([]);
}

/**
 * How many items the marks of a class hold in a Vega SVG: a mark is a `<g class="mark-…">` of
 * `<path>` items (Vega-Lite draws one line mark per colour series).
 */
function marksIn(svg: string, markClass: string): number {
  const groups = svg.split(`<g class="${markClass}`).slice(1);
  expect(groups.length, markClass).toBeGreaterThan(0);
  return groups.map((g) => g.slice(0, g.indexOf('</g>')).split('<path ').length - 1).reduce((a, b) => a + b);
}

describe('--plot', () => {
  it('draws the ravine: loss, and the path of every step over the contours', () => {
    const dir = fresh('plots-ravine');
    const r = cli('train', ravine, '--plot', dir);
    expect(r.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([
      'grad_norm.svg',
      'index.html',
      'loss.svg',
      'lr.svg',
      'path.svg',
    ]);
    const loss = readFileSync(join(dir, 'loss.svg'), 'utf8');
    const path = readFileSync(join(dir, 'path.svg'), 'utf8');
    expectWellFormedXml(loss);
    expectWellFormedXml(path);
    // Training steps (raw, faint, and smoothed) and evaluations: three lines.
    expect(marksIn(loss, 'mark-line role-mark')).toBe(3);
    // One closed contour per level (14 levels, fewer only if two quantiles coincide).
    const contours = marksIn(path, 'mark-path role-mark contour-lines');
    expect(contours).toBeGreaterThanOrEqual(10);
    expect(contours).toBeLessThanOrEqual(14);
    expect(marksIn(path, 'mark-line role-mark path-line')).toBe(1);
    // The start and a marker after each of the 200 steps, then the two end markers.
    expect(marksIn(path, 'mark-symbol role-mark step-points')).toBe(201);
    expect(marksIn(path, 'mark-symbol role-mark end-points')).toBe(2);
    expect(path).toContain('>x[0]</text>');
    expect(path).toContain('>x[1]</text>');
  });

  it('draws loss and accuracy for a classifier, and no path for a model of 300 params', () => {
    const dir = fresh('plots-two-layer');
    const r = cli('train', repoModel('two_layer.model'), '--steps', '60', '--plot', dir);
    expect(r.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([
      'accuracy.svg',
      'grad_norm.svg',
      'index.html',
      'loss.svg',
      'lr.svg',
    ]);
    for (const f of ['accuracy.svg', 'loss.svg']) {
      const svg = readFileSync(join(dir, f), 'utf8');
      expectWellFormedXml(svg);
      // Raw and smoothed training values, and evaluations.
      expect(marksIn(svg, 'mark-line role-mark')).toBe(3);
    }
  });
});

// Temporary files are removed when the run ends (they are only read by the tests above).
process.on('exit', () => {
  if (existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
});
