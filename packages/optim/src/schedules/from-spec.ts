import { ownEntry } from '@gradus/autodiff';
import { type CallSpec, SCHEDULES } from '../catalogue.js';
import { schedules } from './library.js';
import type { Schedule } from './schedule.js';
import { resolveArgs, unknownName } from './spec-args.js';

/**
 * Builds a schedule from a validated call such as `cosine(steps = 1000)`; the result is `base`
 * times the catalogue's schedule (its fractions are fractions of `base`). `warmup`'s `then`
 * is built with the same base. Unknown names and bad arguments are GradusErrors.
 */
export function scheduleFromSpec(spec: CallSpec, base = 1): Schedule {
  const entry = ownEntry(SCHEDULES, spec.name);
  if (!entry || !Object.hasOwn(schedules, spec.name))
    throw unknownName('schedule', spec, Object.keys(SCHEDULES));
  const a = resolveArgs('schedule', spec, entry);
  const num = (k: string) => a[k] as number;
  switch (spec.name as keyof typeof schedules) {
    case 'constant':
      return schedules.constant({ base });
    case 'step':
      return schedules.step({ base, every: num('every'), factor: num('factor') });
    case 'multistep':
      return schedules.multistep({ base, milestones: a.milestones as number[], factor: num('factor') });
    case 'exponential':
      return schedules.exponential({ base, rate: num('rate') });
    case 'cosine':
      return schedules.cosine({ base, steps: num('steps'), min: num('min') });
    case 'linear':
      return schedules.linear({ base, steps: num('steps'), end: num('end') });
    case 'inverse_sqrt':
      return schedules.inverse_sqrt({ base, scale: num('scale') });
    case 'inverse_time':
      return schedules.inverse_time({ base, scale: num('scale') });
    case 'warmup':
      return schedules.warmup(num('steps'), scheduleFromSpec(a.then as CallSpec, base));
    case 'cyclical':
      return schedules.cyclical({ base, period: num('period'), low: num('low') });
    case 'plateau':
      return schedules.plateau({ base, factor: num('factor'), patience: num('patience') });
  }
}
