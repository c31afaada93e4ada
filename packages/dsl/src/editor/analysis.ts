/**
 * One document as an editor needs it, computed once per version: the diagnostics `gradus check`
 * prints, which name is which (`names.ts`), and the type and shape every name is bound to.
 *
 * Shapes come from lowering twice, told each binding (`onBind`): once as usual, giving the
 * bound shape (`[N, 100]`), and once with every dim kept symbolic, giving the shape as written
 * (`[N, H]`). A file with syntax errors is still lowered (its recovered tree) for shapes, but
 * its diagnostics stay those of `gradus check`, which stops at syntax errors.
 */
import type { Diagnostic, Shape, Span } from '@gradus/autodiff';
import { formatShape, substituteDim } from '@gradus/autodiff';
import { checkSource } from '../check.js';
import { type Bound, lower } from '../lower/lower.js';
import { describeVal } from '../lower/values.js';
import type { Program } from '../syntax/ast.js';
import { type Names, resolveNames } from './names.js';

export interface Analysis {
  readonly text: string;
  readonly program: Program;
  readonly diagnostics: readonly Diagnostic[];
  readonly names: Names;
  /** What each declared name is bound to, shown as text (`float[N, H] = [N, 100]`), by the start of its name. */
  readonly types: ReadonlyMap<number, readonly string[]>;
}

export function analyse(text: string, fileName = 'untitled.model'): Analysis {
  const checked = checkSource({ name: fileName, text });
  const program = checked.program;
  return {
    text,
    program,
    diagnostics: checked.diagnostics,
    names: resolveNames(program),
    types: bindingTypes(program),
  };
}

type Bindings = Map<number, Bound[]>;

function record(into: Bindings) {
  return (_name: string, span: Span, bound: Bound) => {
    const list = into.get(span.start);
    if (list) list.push(bound);
    else into.set(span.start, [bound]);
  };
}

/** Lowers every model of the file both ways; a lowering that throws (a bug) only loses shapes. */
function bindingTypes(program: Program): Map<number, string[]> {
  const bound: Bindings = new Map();
  const symbolic: Bindings = new Map();
  for (const model of program.models) {
    for (const [into, symbolicDims] of [
      [bound, false],
      [symbolic, true],
    ] as const) {
      try {
        lower(program, { model: model.name, symbolicDims, onBind: record(into) });
      } catch {
        // Shapes are a courtesy: the diagnostics come from checkSource, which does not throw.
      }
    }
  }
  const dims = new Map<string, number>();
  for (const model of program.models)
    for (const s of model.stmts)
      if (s.kind === 'dim') for (const d of s.dims) if (d.value !== undefined) dims.set(d.name, d.value);
  const types = new Map<number, string[]>();
  for (const [start, list] of bound) {
    const written = symbolic.get(start) ?? [];
    const shown = list.map((b, i) => describeBound(b, written[i], dims));
    types.set(start, [...new Set(shown)]);
  }
  return types;
}

function elementType(dtype: string): string {
  return dtype === 'i32' ? 'int' : dtype === 'bool' ? 'bool' : 'float';
}

/**
 * Whether a shape written with dims is the bound one: each dim, with the dims' values put in
 * (`H` → 100, `2 * H` → 200), is the bound size.
 */
function sameUpToDims(written: Shape, bound: Shape, dims: ReadonlyMap<string, number>): boolean {
  const values = Object.fromEntries(dims);
  return written.length === bound.length && written.every((d, i) => substituteDim(d, values) === bound[i]);
}

/** `float[N, H] = [N, 100]`, `= 100` (a dim's value), `number = 0.5`. */
export function describeBound(
  b: Bound,
  written: Bound | undefined,
  dims: ReadonlyMap<string, number>,
): string {
  switch (b.kind) {
    case 'dim':
      return b.value === undefined ? '# sized by the data' : `= ${b.value}`;
    case 'tensor': {
      const type = elementType(b.v.dtype);
      const shape = b.v.shape;
      if (shape.length === 0) return type;
      const sym = written?.kind === 'tensor' ? written.v.shape : undefined;
      if (sym && formatShape(sym) !== formatShape(shape) && sameUpToDims(sym, shape, dims))
        return `${type}${formatShape(sym)} = ${formatShape(shape)}`;
      return `${type}${formatShape(shape)}`;
    }
    case 'number':
      return `number = ${b.n}`;
    default:
      return describeVal(b);
  }
}
