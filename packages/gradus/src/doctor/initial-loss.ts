/**
 * `initial_loss`: the loss at initialisation with regularisation (and dropout) off, against what
 * it should be when the initial scores are near zero, the lectures' first sanity check:
 * log C for softmax cross-entropy over C classes (every class equally likely); (C − 1)·margin for
 * the multiclass hinge (every margin term is active); for mean squared error, the mean of the
 * squared targets (the variance, for centred targets) when the predictions start at zero. Then
 * regularisation must raise it.
 */
import { cpu } from '@gradus/backends';
import { gatherRows } from '@gradus/optim';
import { type DoctorCheck, num } from './check.js';
import { type DoctorModel, lowerVariant, PROBE } from './doctor-model.js';

/** Evaluates `outputs` of a variant at initialisation on every row of the doctor's data. */
function atInit(m: DoctorModel, variant: Parameters<typeof lowerVariant>[1], outputs: readonly string[]) {
  const lowered = lowerVariant(m, variant);
  const exe = cpu.compile(lowered.graph, { dtype: 'f64', seed: m.seed, outputs });
  const feeds =
    m.inputNames.length === 0
      ? {}
      : gatherRows(
          m.data,
          m.inputNames,
          Int32Array.from({ length: m.rows }, (_, i) => i),
        );
  return exe.run(feeds);
}

export function checkInitialLoss(m: DoctorModel): DoctorCheck {
  const name = 'initial_loss';
  const dl = m.loss.dataLoss;
  const probe =
    dl.kind === 'unknown' ? [] : dl.kind === 'mse' ? [PROBE.prediction, PROBE.target] : [PROBE.scores];
  const plain = atInit(m, { regularisation: false, dropout: false, probe: true }, ['loss', ...probe]);
  const l0 = plain.loss.data[0];
  const withReg =
    m.loss.regularisers.length > 0 ? atInit(m, { dropout: false }, ['loss']).loss.data[0] : undefined;
  const regNote =
    withReg === undefined
      ? ''
      : withReg >= l0
        ? `; regularisation raises it to ${num(withReg)}`
        : `; with regularisation it is ${num(withReg)}, lower, which a penalty cannot make it: check the sign of the regularisation terms`;
  if (!Number.isFinite(l0))
    return {
      name,
      status: 'fail',
      message: `the loss at initialisation is ${l0}: the initial weights overflow the model (too large), or the data holds extreme values`,
      details: { loss: l0 },
    };
  let expected: number;
  let what: string;
  if (dl.kind === 'cross_entropy' || dl.kind === 'hinge') {
    const scores = plain[PROBE.scores];
    const classes = scores.shape[scores.shape.length - 1];
    if (dl.kind === 'cross_entropy') {
      expected = Math.log(classes);
      what = `log(${classes}) = ${num(expected)}, softmax cross-entropy over ${classes} equally likely classes`;
    } else {
      expected = (classes - 1) * dl.margin;
      what = `(C − 1)·margin = ${num(expected)}, the multiclass hinge with ${classes} classes when every score is near 0`;
    }
  } else if (dl.kind === 'mse') {
    const t = plain[PROBE.target].data;
    expected = t.reduce((s, v) => s + v * v, 0) / t.length;
    what = `the mean squared target ${num(expected)} (its variance when centred), mean squared error with predictions near 0`;
  } else {
    return {
      name,
      status: 'warn',
      message: `the loss at initialisation is ${num(l0)} with regularisation off${regNote}; the doctor cannot tell what it should be: the loss is not one of mean(cross_entropy(…)), mean(hinge(…)) or mse(…) plus regularisers`,
      details: { loss: l0, ...(withReg !== undefined ? { regularised: withReg } : {}) },
    };
  }
  const ratio = l0 / expected;
  const details = { loss: l0, expected, ratio, ...(withReg !== undefined ? { regularised: withReg } : {}) };
  const head = `the loss at initialisation is ${num(l0)} with regularisation off, against the expected ${what}`;
  const off = Math.abs(Math.log(ratio));
  if (off <= Math.log(1.15) && (withReg === undefined || withReg >= l0))
    return { name, status: 'ok', message: `${head}${regNote}`, details };
  const advice =
    ratio > 1
      ? 'the initial scores are far from 0: the initial weights (or the output bias) are too large; scale them down, e.g. init glorot_uniform, or normal(std = 0.01) for the last layer'
      : 'it is below what a model that knows nothing can score: the loss may be averaged over the wrong axis, or the labels leak into the inputs';
  return {
    name,
    status: off <= Math.log(1.5) ? 'warn' : 'fail',
    message: `${head} (${num(ratio)}×)${regNote}; ${advice}`,
    details,
  };
}
