import { describeRange, inRange } from '@gradus/autodiff';
import { MAX_SEED, MAX_STEPS } from '@gradus/optim';
import { InvalidArgumentError } from 'commander';

/**
 * Commander parsers that reject bad numbers with a message naming the flag's expectation.
 * Counts (steps, epochs, batch sizes, rows) stop at 2³¹ − 1, the step counter's range.
 */
export function intArg(min: number, max = MAX_STEPS) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || !inRange(n, { min, max }))
      throw new InvalidArgumentError(`expected an integer ${describeRange({ min, max })}, got '${v}'`);
    return n;
  };
}

/** A seed: a 32-bit unsigned integer. */
export const seedArg = intArg(0, MAX_SEED);

export function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${v}'`);
  return n;
}
