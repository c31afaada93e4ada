/**
 * `lr_range`: a learning-rate range test (Smith, "Cyclical learning rates", 2017). From the
 * model's initialisation, a few hundred minibatch steps with the rate growing exponentially from
 * 1e-6 to 10; the loss, smoothed, falls once the rate is large enough to learn and blows up once it
 * is too large. That places the model's own rate: below the fall, "loss not going down: lr too
 * low"; past the blow-up, "loss exploding / NaN: lr too high" (the lectures' two symptoms). The
 * suggestion is a tenth of the rate at the smoothed minimum, where the loss still falls steadily.
 */
import { permutation, streamOf } from '@gradus/autodiff';
import { type CallSpec, type Chart, isHostDriven } from '@gradus/optim';
import { type DoctorCheck, num } from './check.js';
import { type DoctorModel, lowerVariant } from './doctor-model.js';
import { stepRunner } from './step-runner.js';

export interface LrRangeOptions {
  readonly steps?: number;
  readonly lrMin?: number;
  readonly lrMax?: number;
}

export interface LrRange {
  readonly check: DoctorCheck;
  /** The loss-vs-lr chart (`lr_range.svg`), when the test ran. */
  readonly chart?: Chart;
}

export function lrRangeTest(m: DoctorModel, opts: LrRangeOptions = {}): LrRange {
  const name = 'lr_range';
  const own = m.lowered.model.train.optimizer ?? { name: 'sgd', args: { lr: 0.01 } };
  if (isHostDriven(own))
    return {
      check: {
        name,
        status: 'ok',
        message: `not applicable: ${own.name} chooses its own step lengths (a line search or Newton steps), so it has no learning rate to test`,
      },
    };
  const steps = opts.steps ?? 200;
  const ownLr = own.args.lr as number;
  // The range always brackets the model's own rate, so the verdict on it is measured.
  const lrMin = Math.min(opts.lrMin ?? 1e-6, ownLr / 10);
  const lrMax = Math.max(opts.lrMax ?? 10, ownLr * 10);
  const rate = (lrMax / lrMin) ** (1 / (steps - 1));
  const optimizer: CallSpec = { ...own, args: { ...own.args, lr: lrMin } };
  const runner = stepRunner(lowerVariant(m), m.data, optimizer, m.seed, {
    schedule: { name: 'exponential', args: { rate } },
  });
  const batch = Math.max(1, Math.min(m.lowered.model.train.batch ?? 32, m.rows || 1));
  const order =
    m.rows === 0 ? new Int32Array(0) : permutation(m.rows, m.seed, streamOf('doctor:lr_range'), 0);
  const points: { lr: number; loss: number; smoothed: number }[] = [];
  let avg = 0;
  let best = Number.POSITIVE_INFINITY;
  let exploded: number | undefined;
  for (let k = 0; k < steps; k++) {
    const rows =
      m.rows === 0 ? undefined : Array.from({ length: batch }, (_, i) => order[(k * batch + i) % m.rows]);
    const lr = lrMin * rate ** k;
    const { loss } = runner.step(rows);
    if (!Number.isFinite(loss)) {
      exploded = lr;
      break;
    }
    // An exponential moving average, debiased: minibatch losses are noisy.
    avg = 0.9 * avg + 0.1 * loss;
    const smoothed = avg / (1 - 0.9 ** (k + 1));
    points.push({ lr, loss, smoothed });
    best = Math.min(best, smoothed);
    if (k > 10 && smoothed > 4 * best) {
      exploded = lr;
      break;
    }
  }
  const first = points[0]?.smoothed ?? Number.NaN;
  const lowest = points.reduce((a, p) => (p.smoothed < a.smoothed ? p : a), points[0]);
  const falls = points.find((p) => p.smoothed < 0.9 * first);
  const suggested = lowest ? lowest.lr / 10 : undefined;
  const details = {
    lr_min: lrMin,
    lr_max: lrMax,
    steps: points.length,
    model_lr: ownLr,
    ...(falls ? { falls_from: falls.lr } : {}),
    ...(lowest ? { lowest_loss_at: lowest.lr } : {}),
    ...(exploded !== undefined ? { explodes_at: exploded } : {}),
    ...(suggested !== undefined ? { suggested_lr: suggested } : {}),
    points,
  };
  const chart: Chart = {
    file: 'lr_range.svg',
    lite: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: `${m.lowered.model.name}: learning-rate range test (${own.name}, lr growing exponentially)`,
      width: 480,
      height: 280,
      data: {
        values: points.flatMap((p) => [
          { lr: p.lr, loss: p.loss, series: 'minibatch loss' },
          { lr: p.lr, loss: p.smoothed, series: 'smoothed' },
        ]),
      },
      layer: [
        {
          mark: { type: 'line', strokeWidth: 1.5 },
          encoding: {
            x: { field: 'lr', type: 'quantitative', scale: { type: 'log' }, title: 'learning rate' },
            y: { field: 'loss', type: 'quantitative', scale: { zero: false }, title: 'loss' },
            color: { field: 'series', type: 'nominal', title: null },
          },
        },
        {
          data: { values: [{ lr: ownLr, label: `model lr ${num(ownLr)}` }] },
          mark: { type: 'rule', strokeDash: [4, 3] },
          encoding: { x: { field: 'lr', type: 'quantitative' } },
        },
      ],
    },
  };
  const range = `from ${num(lrMin)} to ${num(lrMax)} over ${points.length} steps`;
  if (!falls)
    return {
      check: {
        name,
        status: 'fail',
        message: `loss not going down at any learning rate ${range}${exploded !== undefined ? ` (it explodes at ${num(exploded)})` : ''}: the initialisation or the gradients are probably broken; see initial_loss and gradient_flow`,
        details,
      },
      chart,
    };
  const where = `the loss starts to fall at lr ≈ ${num(falls.lr)}, is lowest at ${num(lowest.lr)}${exploded !== undefined ? ` and explodes from ${num(exploded)}` : ''}; suggested lr ${num(suggested as number)}`;
  if (exploded !== undefined && ownLr >= exploded)
    return {
      check: {
        name,
        status: 'fail',
        message: `loss exploding / NaN: the model's lr ${num(ownLr)} is too high (${where}); lower it`,
        details,
      },
      chart,
    };
  if (ownLr < falls.lr)
    return {
      check: {
        name,
        status: 'warn',
        message: `loss not going down: the model's lr ${num(ownLr)} is too low (${where}); raise it`,
        details,
      },
      chart,
    };
  if (ownLr > 3 * lowest.lr)
    return {
      check: {
        name,
        status: 'warn',
        message: `the model's lr ${num(ownLr)} is on the high side, past where the loss is lowest (${where}); training may be unstable`,
        details,
      },
      chart,
    };
  return {
    check: { name, status: 'ok', message: `the model's lr ${num(ownLr)} is in range: ${where}`, details },
    chart,
  };
}
