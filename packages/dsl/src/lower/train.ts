import { type Diagnostic, outOfRange, ownEntry, type Range, type Span, suggest } from '@gradus/autodiff';
import {
  type ArgType,
  argRange,
  type CallSpec,
  type CatalogueEntry,
  DATASETS,
  type DataSpec,
  OPTIMIZERS,
  SCHEDULES,
  type SettingValue,
  TRAIN_SETTINGS,
  TRANSFORMS,
} from '@gradus/optim';
import type { BinaryExpr, Expr, TrainSetting } from '../syntax/ast.js';
import { fail, LowerError } from './errors.js';

export type { CallSpec, DataSpec, SettingValue };

/** The `train { }` block after validation; absent keys take the trainer's defaults. */
export interface TrainConfig {
  optimizer?: CallSpec;
  schedule?: CallSpec;
  data?: DataSpec;
  batch?: number;
  epochs?: number;
  steps?: number;
  shuffle?: boolean;
  seed?: number;
  clip?: number;
  polyak?: number;
  early_stop?: number;
  restore_best?: boolean;
  validation?: number;
}

const ARITHMETIC = ['+', '-', '*', '/', '^'];

/**
 * The value of constant arithmetic such as `2 * 32`. The left spine of `1 + 1 + …` is walked by a
 * loop (it can be as long as the file); other nesting is bounded by the parser.
 */
function literal(e: Expr): number | undefined {
  const spine: BinaryExpr[] = [];
  let head = e;
  while (head.kind === 'binary' && ARITHMETIC.includes(head.op)) {
    spine.push(head);
    head = head.left;
  }
  let v = leafLiteral(head);
  for (let i = spine.length - 1; i >= 0 && v !== undefined; i--) {
    const { op, right } = spine[i];
    const b = literal(right);
    if (b === undefined) return undefined;
    v = op === '+' ? v + b : op === '-' ? v - b : op === '*' ? v * b : op === '/' ? v / b : v ** b;
  }
  return v;
}

function leafLiteral(e: Expr): number | undefined {
  if (e.kind === 'number') return e.value;
  if (e.kind === 'unary') {
    const v = literal(e.operand);
    return v === undefined ? undefined : e.op === '-' ? -v : v;
  }
  return undefined;
}

/** `[[H], [W]]`: groups of names (of params; the trainer checks them against the model). */
function groups(e: Expr, what: string): readonly (readonly string[])[] {
  const shape = `${what} must be a list of groups of param names, like [[H], [W]]`;
  if (e.kind !== 'tensor') return fail('E0502', shape, e.span);
  return e.elements.map((g) => {
    if (g.kind !== 'tensor' || g.elements.length === 0) return fail('E0502', shape, g.span);
    return g.elements.map((n) =>
      n.kind === 'name' ? n.name : fail('E0502', `${what}: expected a param name`, n.span),
    );
  });
}

function scalar(e: Expr, type: ArgType, what: string): number | boolean | readonly number[] {
  if (type === 'boolean') {
    if (e.kind === 'name' && (e.name === 'true' || e.name === 'false')) return e.name === 'true';
    return fail('E0502', `${what} must be true or false`, e.span);
  }
  if (type === 'numbers') {
    if (e.kind !== 'tensor')
      return fail('E0502', `${what} must be a list of numbers like [100, 200]`, e.span);
    return e.elements.map((el) => {
      const v = literal(el);
      if (v === undefined) fail('E0502', `${what} must contain only numbers`, el.span);
      return v as number;
    });
  }
  const n = literal(e);
  if (n === undefined || !Number.isFinite(n)) return fail('E0502', `${what} must be a number`, e.span);
  if (type === 'int' && (!Number.isInteger(n) || n < 0))
    return fail('E0502', `${what} must be a non-negative integer, got ${n}`, e.span);
  return n;
}

/** Resolves `name` or `name(args)` against one catalogue (optimisers, schedules or data sets). */
export function resolveCall(
  e: Expr,
  table: Readonly<Record<string, CatalogueEntry>>,
  what: string,
): CallSpec {
  const name = e.kind === 'name' ? e.name : e.kind === 'call' ? e.callee : undefined;
  if (name === undefined)
    return fail('E0503', `expected ${what} such as ${Object.keys(table)[0]}(...)`, e.span);
  const nameSpan = e.kind === 'call' ? e.calleeSpan : e.span;
  const entry = ownEntry(table, name);
  if (!entry) {
    const s = suggest(name, Object.keys(table));
    return fail('E0504', `unknown ${what} '${name}'`, nameSpan, {
      hint: s ? `did you mean ${s}?` : `known: ${Object.keys(table).join(', ')}`,
    });
  }
  const given = new Map<string, Expr>();
  const rest: Expr[] = [];
  if (e.kind === 'call') {
    if (entry.rest !== undefined) rest.push(...e.args.slice(entry.positional.length));
    if (e.args.length > entry.positional.length && entry.rest === undefined) {
      fail(
        'E0505',
        `${name} takes at most ${entry.positional.length} positional argument${entry.positional.length === 1 ? '' : 's'}, got ${e.args.length}`,
        e.span,
      );
    }
    e.args.slice(0, entry.positional.length).forEach((a, i) => {
      given.set(entry.positional[i], a);
    });
    for (const na of e.namedArgs) {
      if (na.name === entry.rest)
        fail(
          'E0506',
          `${name} takes its ${na.name} as positional arguments: ${name}(a(...), b(...))`,
          na.nameSpan,
        );
      if (!ownEntry(entry.args, na.name)) {
        const s = suggest(na.name, Object.keys(entry.args));
        fail('E0506', `${name} has no argument '${na.name}'`, na.nameSpan, {
          hint: s ? `did you mean ${s}?` : `its arguments: ${Object.keys(entry.args).join(', ') || 'none'}`,
        });
      }
      if (given.has(na.name)) fail('E0507', `${name}: argument '${na.name}' is given twice`, na.nameSpan);
      given.set(na.name, na.value);
    }
  }
  const args: Record<string, SettingValue> = {};
  for (const [arg, spec] of Object.entries(entry.args)) {
    if (arg === entry.rest) {
      if (rest.length === 0)
        fail('E0508', `${name} needs at least one argument (${spec.doc})`, e.span, {
          hint: `for example ${name}(scale_by_adam(), scale_by_learning_rate(1e-3))`,
        });
      args[arg] = rest.map((r) => resolveCall(r, TRANSFORMS, 'transformation'));
      continue;
    }
    const ex = given.get(arg);
    if (ex === undefined) {
      if (spec.default === undefined)
        fail('E0508', `${name} needs the argument '${arg}' (${spec.doc})`, e.span);
      args[arg] = spec.default as SettingValue;
      continue;
    }
    args[arg] =
      spec.type === 'schedule'
        ? resolveCall(ex, SCHEDULES, 'schedule')
        : spec.type === 'optimizer'
          ? resolveCall(ex, OPTIMIZERS, 'optimizer')
          : spec.type === 'groups'
            ? groups(ex, `${name}: '${arg}'`)
            : scalar(ex, spec.type, `${name}: '${arg}'`);
    if (
      typeof args[arg] === 'number' &&
      spec.type !== 'numbers' &&
      (args[arg] as number) < 0 &&
      arg !== 'min' &&
      !spec.signed
    ) {
      fail('E0509', `${name}: '${arg}' must not be negative, got ${args[arg]}`, ex.span);
    }
    checkRange(args[arg], argRange(spec), `${name}: '${arg}'`, ex);
  }
  return { name, args, span: e.span };
}

/** A value outside its catalogue range is E0509 at its span (each element of a list at its own). */
function checkRange(v: SettingValue, range: Range | undefined, what: string, ex: Expr): void {
  if (range === undefined) return;
  if (typeof v === 'number') {
    const problem = outOfRange(what, v, range);
    if (problem) fail('E0509', problem, ex.span);
  } else if (Array.isArray(v) && ex.kind === 'tensor') {
    v.forEach((el, i) => {
      const problem = outOfRange(`${what}: every element`, el as number, range);
      if (problem) fail('E0509', problem, ex.elements[i].span);
    });
  }
}

/** Validates one setting; throws a LowerError at the offending span. */
export function resolveSetting(config: TrainConfig, key: string, value: Expr, keySpan: Span): void {
  const spec = ownEntry(TRAIN_SETTINGS, key);
  if (!spec) {
    const s = suggest(key, Object.keys(TRAIN_SETTINGS));
    fail('E0501', `unknown training setting '${key}'`, keySpan, {
      hint: s ? `did you mean ${s}?` : `known settings: ${Object.keys(TRAIN_SETTINGS).join(', ')}`,
    });
  }
  const c = config as Record<string, unknown>;
  switch (spec.type) {
    case 'optimizer':
      c[key] = resolveCall(value, OPTIMIZERS, 'optimizer');
      return;
    case 'schedule':
      c[key] = resolveCall(value, SCHEDULES, 'schedule');
      return;
    case 'data':
      c[key] =
        value.kind === 'string'
          ? { path: value.value, span: value.span }
          : resolveCall(value, DATASETS, 'data set');
      return;
    default:
      c[key] = scalar(value, spec.type, `'${key}'`);
      checkRange(c[key] as SettingValue, spec.range, `'${key}'`, value);
  }
}

/** Validates a whole `train { }` block, reporting every bad setting. */
export function resolveTrainBlock(settings: readonly TrainSetting[], config: TrainConfig = {}): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const seen = new Map<string, Span>();
  for (const s of settings) {
    const prev = seen.get(s.key);
    if (prev) {
      diagnostics.push({
        code: 'E0510',
        severity: 'error',
        message: `training setting '${s.key}' is set twice`,
        span: s.keySpan,
        notes: [{ message: 'first set here', span: prev }],
      });
      continue;
    }
    seen.set(s.key, s.keySpan);
    try {
      resolveSetting(config, s.key, s.value, s.keySpan);
    } catch (e) {
      if (e instanceof LowerError) diagnostics.push(e.diagnostic);
      else throw e;
    }
  }
  if (config.epochs !== undefined && config.steps !== undefined) {
    diagnostics.push({
      code: 'E0511',
      severity: 'error',
      message: "set either 'epochs' or 'steps', not both",
      span: seen.get('steps'),
      notes: [{ message: "'epochs' is set here", span: seen.get('epochs') }],
    });
  }
  return diagnostics;
}
