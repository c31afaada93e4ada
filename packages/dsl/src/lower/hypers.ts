/**
 * Hyper-parameters: `hyper lambda = 1e-3`, `hyper H: int = 256 in [16, 1024]`,
 * `hyper keep = 0.9 in (0, 1]`, `hyper lr = 1e-2 in [1e-5, 1] log`. A model uses one like a
 * constant; a run overrides it (`gradus train --hyper lambda=1e-2`, `lower(p, { hypers })`),
 * and a search samples it from its range and scale. One set of rules checks a declaration's
 * default, an override given to the API, and a `--hyper` flag.
 */
import { type Span, suggest } from '@gradus/autodiff';
import type { Expr, HyperStmt } from '../syntax/ast.js';
import { didYouMean } from '../syntax/did-you-mean.js';
import { fail } from './errors.js';

export const HYPER_CODES = {
  /** A declaration that cannot be: unknown type or scale, a range whose ends are the wrong way round. */
  badDeclaration: 'E0170',
  /** A default of the wrong type or outside the declared range. */
  badDefault: 'E0171',
  /** A `float` hyper used as a dimension. */
  notInt: 'E0172',
  /** An override naming no hyper of the model. */
  unknown: 'E0173',
  /** An override of the wrong type or outside the declared range. */
  badOverride: 'E0174',
  /** A `--hyper` flag that is not `name=number`. */
  badFlag: 'E0175',
} as const;

export type HyperType = 'int' | 'float';
export type HyperScale = 'linear' | 'log';

/** A declared range: `[lo, hi]` with either end open, and the scale a search samples it on. */
export interface HyperRangeInfo {
  readonly lo: number;
  readonly hi: number;
  readonly loOpen: boolean;
  readonly hiOpen: boolean;
  readonly scale: HyperScale;
}

/** A hyper-parameter as declared, with the value this lowering used. */
export interface HyperInfo {
  readonly name: string;
  readonly type: HyperType;
  readonly default: number;
  /** The default, or the override given for this lowering. */
  readonly value: number;
  readonly range?: HyperRangeInfo;
  readonly span: Span;
  readonly nameSpan: Span;
}

/** `[1e-5, 1]`, `(0, 1]`. */
export function formatRange(r: HyperRangeInfo): string {
  return `${r.loOpen ? '(' : '['}${r.lo}, ${r.hi}${r.hiOpen ? ')' : ']'}${r.scale === 'log' ? ' log' : ''}`;
}

/** Why `value` cannot be a value of a hyper of this type and range; undefined when it can. */
export function hyperProblem(h: Pick<HyperInfo, 'type' | 'range'>, value: number): string | undefined {
  if (!Number.isFinite(value)) return `must be a finite number, got ${value}`;
  if (h.type === 'int' && !Number.isInteger(value)) return `is an int, got ${value}`;
  const r = h.range;
  if (!r) return undefined;
  const below = r.loOpen ? value <= r.lo : value < r.lo;
  const above = r.hiOpen ? value >= r.hi : value > r.hi;
  return below || above ? `must be in ${formatRange(r)}, got ${value}` : undefined;
}

const TYPES: readonly HyperType[] = ['int', 'float'];
const SCALES = ['log'] as const;

/**
 * Resolves one `hyper` statement. `evaluate` turns an expression into a number (the default and
 * the range ends may use numbers, earlier hypers and constant dims); `override` is the value a
 * run gives, which must obey the same rules as the default.
 */
export function resolveHyper(
  s: HyperStmt,
  evaluate: (e: Expr) => number,
  override: number | undefined,
): HyperInfo {
  let type: HyperType = 'float';
  if (s.typeName !== undefined) {
    const t = TYPES.find((x) => x === s.typeName);
    if (!t) {
      const close = didYouMean(s.typeName, TYPES);
      fail(
        HYPER_CODES.badDeclaration,
        `unknown hyper-parameter type '${s.typeName}'`,
        s.typeSpan ?? s.nameSpan,
        {
          hint: close ? `did you mean ${close}?` : 'a hyper-parameter is an int or a float',
        },
      );
    }
    type = t;
  }
  let range: HyperRangeInfo | undefined;
  if (s.range) {
    const r = s.range;
    if (r.scale !== undefined && !SCALES.includes(r.scale as 'log')) {
      fail(HYPER_CODES.badDeclaration, `unknown scale '${r.scale}'`, r.scaleSpan ?? r.span, {
        hint: 'write log for a range sampled on a log scale, or nothing for a linear one',
      });
    }
    range = {
      lo: evaluate(r.lo),
      hi: evaluate(r.hi),
      loOpen: r.loOpen,
      hiOpen: r.hiOpen,
      scale: r.scale === 'log' ? 'log' : 'linear',
    };
    if (!(range.lo < range.hi))
      fail(
        HYPER_CODES.badDeclaration,
        `the range ${formatRange(range)} is empty: write the lower end first`,
        r.span,
      );
    if (range.scale === 'log' && !(range.lo > 0))
      fail(
        HYPER_CODES.badDeclaration,
        `a log-scale range must lie above 0, not start at ${range.lo}`,
        r.span,
      );
  }
  const value = evaluate(s.value);
  const info = { type, ...(range ? { range } : {}) };
  const bad = hyperProblem(info, value);
  if (bad) fail(HYPER_CODES.badDefault, `hyper-parameter '${s.name}' ${bad}`, s.value.span);
  if (override !== undefined) {
    const wrong = hyperProblem(info, override);
    if (wrong) {
      fail(HYPER_CODES.badOverride, `the value given for hyper-parameter '${s.name}' ${wrong}`, s.nameSpan, {
        notes: [{ message: `'${s.name}' is declared here`, span: s.span }],
      });
    }
  }
  return {
    name: s.name,
    type,
    default: value,
    value: override ?? value,
    ...(range ? { range } : {}),
    span: s.span,
    nameSpan: s.nameSpan,
  };
}

/** What is wrong with an override given as `name = value`, located in the override's own text. */
export interface OverrideProblem {
  readonly code: string;
  readonly message: string;
  /** Whether the name or the value is wrong. */
  readonly part: 'name' | 'value';
  readonly hint?: string;
}

/** Checks an override against the model's hypers; undefined when it is good. */
export function overrideProblem(
  hypers: readonly Pick<HyperInfo, 'name' | 'type' | 'range'>[],
  name: string,
  value: number,
): OverrideProblem | undefined {
  const h = hypers.find((x) => x.name === name);
  if (!h) {
    const close = suggest(
      name,
      hypers.map((x) => x.name),
    );
    return {
      code: HYPER_CODES.unknown,
      message: `the model has no hyper-parameter '${name}'`,
      part: 'name',
      hint: close
        ? `did you mean ${close}?`
        : hypers.length > 0
          ? `its hyper-parameters: ${hypers.map((x) => x.name).join(', ')}`
          : 'it declares none: add `hyper name = value` to the model',
    };
  }
  const bad = hyperProblem(h, value);
  return bad
    ? { code: HYPER_CODES.badOverride, message: `hyper-parameter '${name}' ${bad}`, part: 'value' }
    : undefined;
}
