/** The `.model` front end: `parse(text)` → `{ program, diagnostics }`, and the AST it builds. */
export type * from './ast.js';
export { SYNTAX_CODES, type SyntaxCode } from './errors.js';
export { type ParseResult, parse } from './parse.js';
export { printExpr } from './print.js';
