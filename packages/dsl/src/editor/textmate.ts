/**
 * The TextMate grammar for `.model` files (VS Code, shiki, GitHub's linguist, Sublime), generated
 * from the lexer's token patterns and the vocabulary rather than written by hand, so it has the
 * same keywords, built-ins and number syntax as the compiler. Its scopes mirror the classes of
 * `highlight.ts`, and a test tokenises every shipped model with both and compares them.
 */
import type { TokenType } from 'chevrotain';
import {
  allTokens,
  Comment,
  Identifier,
  NumberLiteral,
  QuotedString,
  UnterminatedString,
} from '../syntax/tokens.js';
import type { HighlightClass } from './highlight.js';
import { tokenClass } from './highlight.js';
import { BUILTIN_NAMES, CONSTANTS, ELEMENT_TYPES, isCategory, KEYWORDS } from './vocabulary.js';

export const SCOPE_NAME = 'source.gradus';

/** The TextMate scope of each highlight class. */
export const TEXTMATE_SCOPES: Readonly<Record<HighlightClass, string>> = {
  comment: 'comment.line.gradus',
  string: 'string.quoted.double.gradus',
  number: 'constant.numeric.gradus',
  keyword: 'keyword.other.gradus',
  type: 'storage.type.gradus',
  dim: 'entity.name.type.dimension.gradus',
  builtin: 'support.function.gradus',
  constant: 'constant.language.gradus',
  name: 'variable.other.gradus',
  operator: 'keyword.operator.gradus',
  bracket: 'punctuation.section.brackets.gradus',
  punctuation: 'punctuation.separator.gradus',
  invalid: 'invalid.illegal.gradus',
};

/** A token's pattern as an Oniguruma regular expression. */
function patternOf(type: TokenType): string {
  const p = type.PATTERN;
  if (typeof p === 'string') return p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  if (p instanceof RegExp) return p.source.replace(/\\u([0-9a-fA-F]{4})/g, '\\x{$1}');
  throw new Error(`token ${type.name} has no pattern a TextMate grammar can use`);
}

const words = (list: Iterable<string>) =>
  `\\b(?:${[...list].sort((a, b) => b.length - a.length || a.localeCompare(b)).join('|')})\\b`;

/** One `match` rule for every lexable token of a class, in lexing order (longer operators first). */
function tokensOfClass(cls: HighlightClass): { match: string; name: string } {
  const patterns = allTokens.filter((t) => !isCategory(t) && tokenClass(t) === cls).map(patternOf);
  return { match: patterns.join('|'), name: TEXTMATE_SCOPES[cls] };
}

type Rule = Record<string, unknown>;

/** The grammar as the JSON object a `.tmLanguage.json` file holds. */
export function textMateGrammar(): Rule {
  const include = (...names: string[]) => names.map((n) => ({ include: `#${n}` }));
  // Names are dimensions in these two contexts; an element type is still a type.
  const dimNames = [
    { match: words(ELEMENT_TYPES), name: TEXTMATE_SCOPES.type },
    { match: patternOf(Identifier), name: TEXTMATE_SCOPES.dim },
  ];
  const inShape = [...include('comment', 'number', 'operator', 'punctuation', 'innerShape'), ...dimNames];
  return {
    $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
    name: 'Gradus',
    scopeName: SCOPE_NAME,
    fileTypes: ['model'],
    patterns: include(
      'comment',
      'string',
      'dimStatement',
      'shape',
      'number',
      'keyword',
      'words',
      'operator',
      'bracket',
      'punctuation',
    ),
    repository: {
      comment: { match: patternOf(Comment), name: TEXTMATE_SCOPES.comment },
      string: {
        patterns: [QuotedString, UnterminatedString].map((t) => ({
          match: patternOf(t),
          name: TEXTMATE_SCOPES.string,
        })),
      },
      number: { match: patternOf(NumberLiteral), name: TEXTMATE_SCOPES.number },
      keyword: { match: words(KEYWORDS), name: TEXTMATE_SCOPES.keyword },
      // `dim N, D = 2`: the names it declares, up to the next statement.
      dimStatement: {
        begin: '\\b(dim)\\b',
        beginCaptures: { '1': { name: TEXTMATE_SCOPES.keyword } },
        end: `(?=${words(KEYWORDS)}|[;}])`,
        patterns: [
          ...include('comment', 'string', 'number', 'operator', 'bracket', 'punctuation'),
          ...dimNames,
        ],
      },
      // `: float[N, D]` or `: [D, H]`: the names of a declared shape.
      shape: {
        begin: `(:)\\s*(?:(${words(ELEMENT_TYPES)})\\s*)?(\\[)`,
        beginCaptures: {
          '1': { name: TEXTMATE_SCOPES.punctuation },
          '2': { name: TEXTMATE_SCOPES.type },
          '3': { name: TEXTMATE_SCOPES.bracket },
        },
        end: '\\]',
        endCaptures: { '0': { name: TEXTMATE_SCOPES.bracket } },
        patterns: inShape,
      },
      innerShape: {
        begin: '\\[',
        beginCaptures: { '0': { name: TEXTMATE_SCOPES.bracket } },
        end: '\\]',
        endCaptures: { '0': { name: TEXTMATE_SCOPES.bracket } },
        patterns: inShape,
      },
      words: {
        patterns: [
          { match: words(ELEMENT_TYPES), name: TEXTMATE_SCOPES.type },
          { match: words(CONSTANTS), name: TEXTMATE_SCOPES.constant },
          { match: words(BUILTIN_NAMES), name: TEXTMATE_SCOPES.builtin },
          { match: patternOf(Identifier), name: TEXTMATE_SCOPES.name },
        ],
      },
      operator: { patterns: [tokensOfClass('invalid'), tokensOfClass('operator')] },
      bracket: tokensOfClass('bracket'),
      punctuation: tokensOfClass('punctuation'),
    },
  };
}
