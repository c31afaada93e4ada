/**
 * Renaming a declared name and every use of it. Only names that nothing outside the file refers
 * to are renamed: inputs are matched to data by name, and outputs, metrics and models are named
 * in run directories, logs and flags, so renaming those in the file alone would break a run.
 */
import type { Span } from '@gradus/autodiff';
import type { Analysis } from './analysis.js';
import { declarationOf, occurrenceAt, occurrencesOf } from './lookup.js';
import type { Declaration } from './names.js';
import { BUILTIN_WORDS, CONSTANTS, KEYWORDS } from './vocabulary.js';

export const RENAMABLE: ReadonlySet<string> = new Set(['let', 'param', 'hyper', 'dim', 'fn', 'fnParam']);

const WHY_NOT: Readonly<Record<string, string>> = {
  input: 'inputs are matched to data by name',
  output: 'outputs are named in predictions and run files',
  metric: 'metrics are named in logs and run files',
  model: 'models are named in run directories and by --model',
};

export type RenameTarget =
  | { readonly declaration: Declaration; readonly span: Span }
  | { readonly error: string };

/** The name at an offset, if it can be renamed; otherwise why not. */
export function renameTarget(a: Analysis, offset: number): RenameTarget {
  const o = occurrenceAt(a, offset);
  const d = declarationOf(o);
  if (!o || !d) {
    const r = o?.kind === 'reference' ? o.reference : undefined;
    if (r?.kind === 'builtin') return { error: `'${r.name}' is built in and cannot be renamed` };
    return { error: 'there is no declared name here to rename' };
  }
  if (!RENAMABLE.has(d.kind)) {
    return {
      error: `'${d.name}' is ${d.kind === 'input' ? 'an' : 'a'} ${d.kind}, and ${WHY_NOT[d.kind] ?? 'cannot be renamed'}; rename it by hand`,
    };
  }
  return { declaration: d, span: o.span };
}

/** The spans to replace with `newName`, or why the rename is refused. */
export function renameEdits(
  a: Analysis,
  offset: number,
  newName: string,
): { edits: Span[] } | { error: string } {
  const target = renameTarget(a, offset);
  if ('error' in target) return target;
  const d = target.declaration;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(newName))
    return { error: `'${newName}' is not a name: use letters, digits and _, not starting with a digit` };
  if (KEYWORDS.includes(newName) || CONSTANTS.includes(newName))
    return { error: `'${newName}' is a reserved word` };
  if (BUILTIN_WORDS.some((w) => w.kind === 'function' && w.name === newName))
    return { error: `'${newName}' is a built-in function` };
  const clash = a.names.declarations.find(
    (x) => x.name === newName && x !== d && (x.parent === d.parent || x.kind === 'fn' || d.kind === 'fn'),
  );
  if (clash) {
    const where = clash.parent ? ` in ${clash.parent.kind} ${clash.parent.name}` : '';
    return { error: `'${newName}' is already declared${where}` };
  }
  return { edits: occurrencesOf(a, d) };
}
