import type { Hyper } from '../schedules/schedule.js';
import { numDefault } from './defaults.js';
import { describeTransform, hyper, oneMinus, perParameter } from './types.js';

export interface AdadeltaOptions {
  readonly rho?: Hyper;
  readonly eps?: Hyper;
}

/**
 * AdaDelta's scaling (Zeiler; as PyTorch computes it): `s ← ρs + (1−ρ)g²`,
 * `Δ = √(u + eps)/√(s + eps)·g`, `u ← ρu + (1−ρ)Δ²`, output Δ. PyTorch then multiplies by lr
 * (default 1); the lectures' update `x ← x − Δ` is lr = 1. Slots: `square_avg`, `acc_delta`.
 */
export function scaleByAdadelta(opts: AdadeltaOptions = {}) {
  const rho = opts.rho ?? numDefault('adadelta', 'rho');
  const eps = opts.eps ?? numDefault('adadelta', 'eps');
  return perParameter(
    describeTransform('scaleByAdadelta', { rho, eps }),
    { square_avg: { kind: 'zeros' }, acc_delta: { kind: 'zeros' } },
    (g, s, _p, ctx) => {
      const r = hyper(rho, ctx);
      const e = hyper(eps, ctx);
      const sq = s.square_avg.mul(r).add(g.mul(g).mul(oneMinus(r)));
      const delta = s.acc_delta.add(e).sqrt().div(sq.add(e).sqrt()).mul(g);
      const acc = s.acc_delta.mul(r).add(delta.mul(delta).mul(oneMinus(r)));
      return { update: delta, state: { square_avg: sq, acc_delta: acc } };
    },
  );
}
