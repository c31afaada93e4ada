/** What editors need: highlighting (CodeMirror stream parser, TextMate grammar) and the vocabulary. */
export * from './highlight.js';
export * from './textmate.js';
export * from './vocabulary.js';
