import type { Executable } from '@gradus/backends';
import type { CallSpec } from '../../catalogue.js';
import { scheduleFromSpec } from '../../schedules/from-spec.js';
import { isPlateauSchedule, PLATEAU_VARIABLE } from '../../schedules/library.js';
import type { PlateauRule } from '../../schedules/plateau.js';
import type { Callback } from '../callback.js';

/**
 * Reduce-on-plateau: after each scheduled evaluation, feeds the evaluation loss to the plateau
 * rule and writes its multiplier into the step's `opt.plateau_scale` variable, so it applies from
 * the next step. The rule's state is in the run state (checkpointed). End-of-run evaluations do
 * not count. It sets the event's `plateauScale`, so it must run before callbacks that report.
 */
export function reduceLrOnPlateau(rule: PlateauRule): Callback {
  return {
    name: 'reduceLrOnPlateau',
    onTrainBegin(ctx) {
      if (!ctx.run.plateau) ctx.run = { ...ctx.run, plateau: rule.init() };
    },
    onEval(e, ctx) {
      if (e.endOfRun || !ctx.run.plateau) return;
      const plateau = rule.update(ctx.run.plateau, e.loss);
      ctx.run = { ...ctx.run, plateau };
      ctx.exe.write(PLATEAU_VARIABLE, plateau.multiplier);
      e.plateauScale = plateau.multiplier;
    },
  };
}

/**
 * The host rule behind `opt.plateau_scale`, if the compiled step has that variable: the
 * optimiser's own plateau schedule, or a `plateau` nested in the schedule spec
 * (`warmup(then = plateau(...))` reads the same variable).
 */
export function findPlateauRule(
  lr: unknown,
  schedule: CallSpec | undefined,
  exe: Executable,
): PlateauRule | undefined {
  if (!exe.variables.includes(PLATEAU_VARIABLE)) return undefined;
  if (isPlateauSchedule(lr)) return lr.rule;
  const find = (c: CallSpec): CallSpec | undefined => {
    if (c.name === 'plateau') return c;
    for (const v of Object.values(c.args))
      if (typeof v === 'object' && !Array.isArray(v)) {
        const hit = find(v as CallSpec);
        if (hit) return hit;
      }
    return undefined;
  };
  const spec = schedule && find(schedule);
  const s = spec && scheduleFromSpec(spec);
  if (isPlateauSchedule(s)) return s.rule;
  throw new Error(`internal: '${PLATEAU_VARIABLE}' exists but no plateau schedule drives it`);
}
