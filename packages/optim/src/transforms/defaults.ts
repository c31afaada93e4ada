import { ownEntry } from '@gradus/autodiff';
import { OPTIMIZERS } from '../catalogue.js';

/** A numeric default from the optimiser catalogue, so every default is written once (there). */
export function numDefault(optimizer: string, arg: string): number {
  const entry = ownEntry(OPTIMIZERS, optimizer);
  const d = entry && ownEntry(entry.args, arg)?.default;
  if (typeof d !== 'number')
    throw new Error(`catalogue: optimizer ${optimizer}.${arg} has no numeric default`);
  return d;
}

/** A boolean default from the optimiser catalogue. */
export function boolDefault(optimizer: string, arg: string): boolean {
  const entry = ownEntry(OPTIMIZERS, optimizer);
  const d = entry && ownEntry(entry.args, arg)?.default;
  if (typeof d !== 'boolean')
    throw new Error(`catalogue: optimizer ${optimizer}.${arg} has no boolean default`);
  return d;
}
