import type { CallSpec } from '@gradus/optim';
import { describeCall } from './cli/run-config.js';

/**
 * The steps a schedule takes to run its course, when it has a length: `cosine` and `linear`
 * decay over `steps`, and `warmup(steps, then)` lasts its steps plus `then`'s (whose count starts
 * at the end of the warmup). Undefined for schedules without an end (step, exponential, …).
 */
export function scheduleLength(s: CallSpec): number | undefined {
  const steps = typeof s.args.steps === 'number' ? s.args.steps : undefined;
  if (s.name === 'cosine' || s.name === 'linear') return steps;
  if (s.name === 'warmup') {
    const then = s.args.then;
    const rest =
      typeof then === 'object' && then !== null && !Array.isArray(then)
        ? scheduleLength(then as CallSpec)
        : undefined;
    return steps === undefined || rest === undefined ? undefined : steps + rest;
  }
  return undefined;
}

/** How far a schedule's length may be from the run's before `gradus train` warns: 5 %. */
export const SCHEDULE_LENGTH_TOLERANCE = 0.05;

/**
 * A warning when the schedule's length and the run's differ by more than 5 %: a decay longer than
 * the run never reaches its end (cosine(steps = 2000) in a 500-step run stops near its start), a
 * shorter one sits at its final rate for the rest of the run.
 */
export function scheduleLengthWarning(s: CallSpec, runSteps: number): string | undefined {
  const len = scheduleLength(s);
  if (len === undefined || Math.abs(len - runSteps) <= SCHEDULE_LENGTH_TOLERANCE * runSteps) return undefined;
  const what =
    len > runSteps
      ? `the run ends ${len - runSteps} steps before the schedule does`
      : `the rate stays at the schedule's final value for the last ${runSteps - len} steps`;
  return `warning: the schedule ${describeCall(s)} lasts ${len} steps, but the run has ${runSteps}: ${what}`;
}
