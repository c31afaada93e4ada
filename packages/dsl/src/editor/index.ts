/**
 * What editors need, as plain functions of the text and offsets (no editor's types): highlighting
 * (CodeMirror stream parser, TextMate grammar), the vocabulary, and the analysis behind hover,
 * definition, completion, the outline and rename. The language server (`@gradus/dsl/lsp`) and the
 * browser playground share them.
 */
export * from './analysis.js';
export * from './completion.js';
export * from './highlight.js';
export * from './lookup.js';
export * from './names.js';
export * from './outline.js';
export * from './rename.js';
export * from './textmate.js';
export * from './vocabulary.js';
