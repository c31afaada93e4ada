import { diagnostic, GradusError, type Graph, type Tensor } from '@gradus/autodiff';
import type { Executable } from '@gradus/backends';
import type { Callback } from '../callback.js';

/** State name of a param's Polyak average. */
export const polyakName = (param: string): string => `polyak.${param}`;

/** The debiased Polyak average of `param` after `step` steps, read from the executable. */
export function polyakAverage(exe: Executable, param: string, decay: number, step: number): Tensor {
  const t = exe.read(polyakName(param));
  const correction = 1 - decay ** Math.max(step, 1);
  return { ...t, data: t.data.map((v) => v / correction) };
}

/**
 * Polyak evaluation: adds `polyak.<p> ← decay·polyak.<p> + (1 − decay)·p_new` to the step graph
 * for every param, and has every evaluation score the debiased averages (the zero-started moving
 * average divided by 1 − decay^step, which is the exact weighted mean of the iterates so far)
 * instead of the current params. The averages are step variables, so checkpoints carry them.
 */
export function polyakEvaluation(decay: number): Callback {
  return {
    name: 'polyakEvaluation',
    onGraph(g: Graph) {
      if (!(decay > 0 && decay < 1)) {
        throw new GradusError(
          diagnostic('E0907', `polyak must be a decay in (0, 1), such as 0.99; got ${decay}`),
        );
      }
      for (const p of g.params()) {
        const name = p.attrs.name as string;
        const next = g.updates.get(name);
        if (!next) continue;
        const avg = g.state(polyakName(name), p.shape, { kind: 'zeros' }, p.dtype);
        g.assign(polyakName(name), avg.mul(decay).add(g.value(next).mul(1 - decay)));
      }
    },
    evalParams(ctx) {
      const params: Record<string, Tensor> = Object.create(null);
      for (const p of ctx.paramNames) params[p] = polyakAverage(ctx.exe, p, decay, ctx.step);
      return params;
    },
  };
}
