/**
 * The words of the `.model` language as editors see them: keywords from the lexer's token list,
 * element types from the AST builder, and every name lowering resolves against (built-in
 * functions, initialisers, optimisers, schedules, data sets, training settings). Nothing is
 * listed twice: a keyword or built-in added where the language defines it reaches highlighting,
 * the TextMate grammar and completion with no edit here.
 */
import { type CatalogueEntry, DATASETS, OPTIMIZERS, SCHEDULES, TRAIN_SETTINGS } from '@gradus/optim';
import { Lexer, type TokenType } from 'chevrotain';
import { BUILTINS } from '../lower/builtins.js';
import { INITIALISERS } from '../lower/init-spec.js';
import { DTYPES } from '../syntax/to-ast.js';
import { allTokens, Keyword } from '../syntax/tokens.js';

/** Whether a token type is an abstract category (never produced by the lexer itself). */
export function isCategory(type: TokenType): boolean {
  return type.PATTERN === Lexer.NA;
}

/** Whether `type` is `category` or one of its members. */
export function inCategory(type: TokenType, category: TokenType): boolean {
  return type === category || (type.CATEGORIES ?? []).includes(category);
}

function keywordText(type: TokenType): string {
  const p = type.PATTERN;
  const text = p instanceof RegExp ? p.source : p;
  if (typeof text !== 'string' || !/^[A-Za-z_]\w*$/.test(text))
    throw new Error(`keyword token ${type.name} has no plain word as its pattern`);
  return text;
}

/** Every reserved word, in the lexer's order. */
export const KEYWORDS: readonly string[] = allTokens
  .filter((t) => !isCategory(t) && inCategory(t, Keyword))
  .map(keywordText);

/** Element types of declared tensors (`float[N, D]`). */
export const ELEMENT_TYPES: readonly string[] = DTYPES;

/** Names with a fixed meaning wherever a flag is read (`keepdims = true`, `shuffle = false`). */
export const CONSTANTS: readonly string[] = ['true', 'false'];

export type BuiltinKind = 'function' | 'initialiser' | 'optimizer' | 'schedule' | 'dataset';

export interface BuiltinArg {
  readonly name: string;
  readonly optional: boolean;
  readonly doc?: string;
  /** The default, as it would be written. */
  readonly default?: string;
}

/** A name the language gives a meaning to, with what an editor shows about it. */
export interface BuiltinWord {
  readonly name: string;
  readonly kind: BuiltinKind;
  readonly doc: string;
  readonly args: readonly BuiltinArg[];
  /** Takes any number of leading tensors (`l2(W1, W2)`). */
  readonly variadic: boolean;
}

/** A default as a user would write it: `lbfgs()`, `[[H], [W]]`, `0.9`. */
function writtenDefault(v: NonNullable<CatalogueEntry['args'][string]['default']>): string {
  if (typeof v === 'object' && !Array.isArray(v)) return `${(v as { name: string }).name}()`;
  return JSON.stringify(v).replaceAll('"', '');
}

function fromCatalogue(kind: BuiltinKind, table: Readonly<Record<string, CatalogueEntry>>): BuiltinWord[] {
  return Object.entries(table).map(([name, entry]) => ({
    name,
    kind,
    doc: entry.doc,
    variadic: false,
    args: Object.entries(entry.args).map(([arg, spec]) => ({
      name: arg,
      optional: spec.default !== undefined,
      doc: spec.doc,
      ...(spec.default !== undefined ? { default: writtenDefault(spec.default) } : {}),
    })),
  }));
}

/** Every built-in name, by kind: functions, initialisers, optimisers, schedules, data sets. */
export const BUILTIN_WORDS: readonly BuiltinWord[] = [
  ...Object.entries(BUILTINS).map(
    ([name, b]): BuiltinWord => ({
      name,
      kind: 'function',
      doc: b.doc,
      variadic: b.variadic === true,
      args: b.params.map((p) => ({ name: p.name, optional: p.optional === true, doc: p.kind })),
    }),
  ),
  ...Object.entries(INITIALISERS).map(
    ([name, entry]): BuiltinWord => ({
      name,
      kind: 'initialiser',
      doc: `initialiser, for a param's init clause`,
      variadic: false,
      args: entry.params.map((p, i) => ({ name: p, optional: i >= entry.required })),
    }),
  ),
  ...fromCatalogue('optimizer', OPTIMIZERS),
  ...fromCatalogue('schedule', SCHEDULES),
  ...fromCatalogue('dataset', DATASETS),
];

/** The keys of a `train { }` block, with their documentation. */
export const TRAIN_KEYS: readonly { readonly name: string; readonly type: string; readonly doc: string }[] =
  Object.entries(TRAIN_SETTINGS).map(([name, s]) => ({ name, type: s.type, doc: s.doc }));

/** Every distinct built-in name. */
export const BUILTIN_NAMES: ReadonlySet<string> = new Set(BUILTIN_WORDS.map((w) => w.name));
