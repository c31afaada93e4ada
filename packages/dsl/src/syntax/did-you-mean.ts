/**
 * "Did you mean ...?" for keywords and element types. Builds on autodiff's `suggest` (edit
 * distance) and also accepts one swap of neighbouring letters, the commonest typo of all
 * (`modle`, `flaot`), which plain edit distance counts as two edits and rejects for short words.
 */
import { suggest } from '@gradus/autodiff';

export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  return suggest(word, candidates) ?? candidates.find((c) => isOneSwap(word.toLowerCase(), c.toLowerCase()));
}

function isOneSwap(a: string, b: string): boolean {
  if (a.length !== b.length || a === b) return false;
  const diff: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff.push(i);
  const [i, j] = diff;
  return diff.length === 2 && j === i + 1 && a[i] === b[j] && a[j] === b[i];
}
