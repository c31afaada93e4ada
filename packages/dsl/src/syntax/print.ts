/**
 * A fully parenthesised, one-line rendering of an expression: `-x^2` prints as `(-(x ^ 2))`.
 * Tests use it to state tree shapes readably; tools can use it to show an expression back.
 */
import type { Expr, IndexItem } from './ast.js';

export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return e.raw;
    case 'string':
      return JSON.stringify(e.value);
    case 'name':
      return e.name;
    case 'unary':
      return `(${e.op}${printExpr(e.operand)})`;
    case 'binary':
      return `(${printExpr(e.left)} ${e.op} ${printExpr(e.right)})`;
    case 'call': {
      const named = e.namedArgs.map((a) => `${a.name}=${printExpr(a.value)}`);
      return `${e.callee}(${[...e.args.map(printExpr), ...named].join(', ')})`;
    }
    case 'index':
      return `${printExpr(e.target)}[${e.indices.map(printIndex).join(', ')}]`;
    case 'tensor':
      return `[${e.elements.map(printExpr).join(', ')}]`;
  }
}

function printIndex(item: IndexItem): string {
  if (item.kind !== 'slice') return printExpr(item);
  return `${item.start ? printExpr(item.start) : ''}:${item.end ? printExpr(item.end) : ''}`;
}
