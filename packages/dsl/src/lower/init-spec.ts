import { type InitSpec, outOfRange, ownEntry, type Range, type Span, suggest } from '@gradus/autodiff';
import type { Expr } from '../syntax/ast.js';
import { fail } from './errors.js';

export interface InitEntry {
  readonly params: readonly string[];
  readonly required: number;
  readonly make: (args: readonly number[]) => InitSpec;
  /** The values each argument accepts (a standard deviation ≥ 0, a count ≥ 0); E0146 at the argument. */
  readonly ranges?: Readonly<Record<string, Range>>;
  /** A rule over several arguments; the problem, reported at the call. */
  readonly check?: (args: readonly (number | undefined)[]) => string | undefined;
}

const NON_NEGATIVE: Range = { min: 0 };

/** Initialisers by the names users write; positional or named arguments in `params` order. */
export const INITIALISERS: Readonly<Record<string, InitEntry>> = {
  zeros: { params: [], required: 0, make: () => ({ kind: 'zeros' }) },
  ones: { params: [], required: 0, make: () => ({ kind: 'ones' }) },
  constant: { params: ['value'], required: 1, make: ([value]) => ({ kind: 'constant', value }) },
  normal: {
    params: ['std', 'mean'],
    required: 0,
    make: ([std = 1, mean = 0]) => ({ kind: 'normal', std, mean }),
    ranges: { std: NON_NEGATIVE },
  },
  uniform: {
    params: ['lo', 'hi'],
    required: 0,
    make: ([lo = -1, hi = 1]) => ({ kind: 'uniform', lo, hi }),
    check: ([lo = -1, hi = 1]) =>
      lo < hi ? undefined : `uniform: 'lo' must be below 'hi', got lo = ${lo}, hi = ${hi}`,
  },
  lecun_uniform: { params: [], required: 0, make: () => ({ kind: 'lecun_uniform' }) },
  lecun_normal: { params: [], required: 0, make: () => ({ kind: 'lecun_normal' }) },
  glorot_uniform: { params: [], required: 0, make: () => ({ kind: 'glorot_uniform' }) },
  glorot_normal: { params: [], required: 0, make: () => ({ kind: 'glorot_normal' }) },
  he_normal: { params: [], required: 0, make: () => ({ kind: 'he_normal' }) },
  he_uniform: { params: [], required: 0, make: () => ({ kind: 'he_uniform' }) },
  orthogonal: { params: ['gain'], required: 0, make: ([gain = 1]) => ({ kind: 'orthogonal', gain }) },
  sparse: {
    params: ['k', 'std'],
    required: 1,
    make: ([k, std = 1]) => ({ kind: 'sparse', k, std }),
    ranges: { k: NON_NEGATIVE, std: NON_NEGATIVE },
  },
  lsuv: {
    params: ['tolerance'],
    required: 0,
    make: ([tolerance = 0.05]) => ({ kind: 'lsuv', tolerance }),
    ranges: { tolerance: { min: 0, minOpen: true } },
  },
};

export const INITIALISER_NAMES = Object.keys(INITIALISERS);

/** A number from a literal, allowing a unary minus. */
function literalNumber(e: Expr): number | undefined {
  if (e.kind === 'number') return e.value;
  if (e.kind === 'unary') {
    const v = literalNumber(e.operand);
    return v === undefined ? undefined : e.op === '-' ? -v : v;
  }
  return undefined;
}

/** Flattens a (nested) literal, checking it is rectangular. */
function flattenLiteral(e: Expr, out: number[]): number[] | undefined {
  const n = literalNumber(e);
  if (n !== undefined) {
    out.push(n);
    return [];
  }
  if (e.kind !== 'tensor') return fail('E0141', 'an initial value literal may contain only numbers', e.span);
  let inner: number[] | undefined;
  for (const el of e.elements) {
    const s = flattenLiteral(el, out);
    if (inner && s && inner.join() !== s.join())
      fail('E0142', 'ragged literal: rows have different lengths', e.span);
    inner = s;
  }
  return [e.elements.length, ...(inner ?? [])];
}

/** The InitSpec an `init` clause denotes; `size` is the param's element count when known. */
export function resolveInit(
  e: Expr,
  paramName: string,
  shapeText: string,
  size: number | undefined,
): InitSpec {
  const n = literalNumber(e);
  if (n !== undefined) return { kind: 'constant', value: n };
  if (e.kind === 'tensor') {
    const values: number[] = [];
    flattenLiteral(e, values);
    if (size !== undefined && values.length !== size) {
      fail(
        'E0140',
        `the initial value of '${paramName}' has ${values.length} numbers, but its shape ${shapeText} holds ${size}`,
        e.span,
      );
    }
    return { kind: 'literal', value: values };
  }
  const name = e.kind === 'name' ? e.name : e.kind === 'call' ? e.callee : undefined;
  const span = e.kind === 'call' ? e.calleeSpan : e.span;
  if (name === undefined)
    return fail(
      'E0143',
      'expected an initialiser: a name like glorot_uniform, a call like normal(std = 0.1), or a literal',
      e.span,
    );
  const entry = ownEntry(INITIALISERS, name);
  if (!entry) {
    const s = suggest(name, INITIALISER_NAMES);
    return fail(
      'E0144',
      `unknown initialiser '${name}'`,
      span,
      s ? { hint: `did you mean ${s}?` } : { hint: `known initialisers: ${INITIALISER_NAMES.join(', ')}` },
    );
  }
  const args: (number | undefined)[] = [];
  const spans: Span[] = [];
  if (e.kind === 'call') {
    if (e.args.length > entry.params.length) {
      fail(
        'E0103',
        `${name} takes at most ${entry.params.length} argument${entry.params.length === 1 ? '' : 's'}, got ${e.args.length}`,
        e.span,
      );
    }
    e.args.forEach((a, i) => {
      const v = literalNumber(a);
      if (v === undefined) fail('E0105', `${name}: arguments must be numbers`, a.span);
      args[i] = v;
      spans[i] = a.span;
    });
    for (const na of e.namedArgs) {
      const i = entry.params.indexOf(na.name);
      if (i < 0) {
        const s = suggest(na.name, entry.params);
        fail(
          'E0104',
          `${name} has no argument '${na.name}'`,
          na.nameSpan,
          s ? { hint: `did you mean ${s}?` } : {},
        );
      }
      const v = literalNumber(na.value);
      if (v === undefined) fail('E0105', `${name}: '${na.name}' must be a number`, na.value.span);
      args[i] = v;
      spans[i] = na.value.span;
    }
  }
  for (let i = 0; i < entry.required; i++) {
    if (args[i] === undefined) fail('E0103', `${name} needs the argument '${entry.params[i]}'`, e.span);
  }
  entry.params.forEach((p, i) => {
    const range = entry.ranges && ownEntry(entry.ranges, p);
    const problem =
      range && args[i] !== undefined ? outOfRange(`${name}: '${p}'`, args[i], range) : undefined;
    if (problem) fail('E0146', problem, spans[i]);
  });
  const problem = entry.check?.(args);
  if (problem) fail('E0146', problem, e.span);
  return entry.make(args as number[]);
}
