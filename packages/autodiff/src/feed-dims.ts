/**
 * Binding symbolic dims from the shapes of fed values, shared by the reference interpreter and
 * every backend so that they accept and refuse exactly the same feeds (E0401 wrong shape, E0402
 * conflicting sizes). A plain name (`N`) is bound by the first value that carries it; a compound
 * dim (`N*T`, `D + 1`) is solved for its one unbound name once the others are known, and
 * checked otherwise.
 */

import { diagnostic, GradusError } from './diagnostic.js';
import { dimSymbols, isDimSymbol, solveDim, substituteDim } from './dim-expr.js';
import { type ConcreteShape, formatShape, type Shape } from './shape.js';

function wrongShape(name: string, declared: Shape, got: ConcreteShape): GradusError {
  return new GradusError(
    diagnostic('E0401', `'${name}' expects shape ${formatShape(declared)} but was given ${formatShape(got)}`),
  );
}

function conflict(name: string, d: string, got: number, is: number, dims: Readonly<Record<string, number>>) {
  const why = isDimSymbol(d)
    ? `${d} is already bound to ${is} by another input`
    : `${d} is ${is} with ${dimSymbols(d)
        .filter((k) => Object.hasOwn(dims, k))
        .map((k) => `${k} = ${dims[k]}`)
        .join(', ')}`;
  return new GradusError(diagnostic('E0402', `'${name}' has ${got} along ${d}, but ${why}`));
}

function unsolvable(name: string, d: string, got: number, unknown: string) {
  return new GradusError(
    diagnostic(
      'E0402',
      `'${name}' has ${got} along ${d}, which no whole, non-negative size ${unknown} gives`,
    ),
  );
}

/**
 * Binds the dims of `declared` from the shape `got` of the value fed to `name` (mutating
 * `dims`). Returns false when a compound dim still has two or more unbound names: bind the
 * other feeds, then call again (see `bindFedShapes`).
 */
export function bindFedShape(
  name: string,
  declared: Shape,
  got: ConcreteShape,
  dims: Record<string, number>,
): boolean {
  if (got.length !== declared.length) throw wrongShape(name, declared, got);
  let settled = true;
  declared.forEach((d, i) => {
    const size = got[i];
    if (typeof d === 'number') {
      if (d !== size) throw wrongShape(name, declared, got);
      return;
    }
    if (isDimSymbol(d) && !Object.hasOwn(dims, d)) {
      dims[d] = size;
      return;
    }
    const bound = substituteDim(d, dims);
    if (typeof bound === 'number') {
      if (bound !== size) throw conflict(name, d, size, bound, dims);
      return;
    }
    const solved = solveDim(d, size, dims);
    if (solved && Number.isInteger(solved.value) && solved.value >= 0) dims[solved.name] = solved.value;
    else if (solved) throw unsolvable(name, d, size, solved.name);
    else settled = false;
  });
  return settled;
}

/**
 * Binds every `[name, declared, got]` in turn, then retries the ones with unsolved compound
 * dims until no more can be solved. Dims that stay unbound are left for the caller to report
 * where it needs them (E0404).
 */
export function bindFedShapes(
  feeds: readonly (readonly [string, Shape, ConcreteShape])[],
  dims: Record<string, number>,
): void {
  let waiting = feeds.filter(([n, d, g]) => !bindFedShape(n, d, g, dims));
  while (waiting.length > 0) {
    const before = Object.keys(dims).length;
    waiting = waiting.filter(([n, d, g]) => !bindFedShape(n, d, g, dims));
    if (Object.keys(dims).length === before) return;
  }
}
