/**
 * Matching a call's arguments to a user function's parameters, with Python's rules: positional
 * arguments first, then named ones, and a parameter's default when the call does not give it
 * (`fn block(x, W, keep = 0.9)`, called `block(h, W1)` or `block(h, W1, keep = 0.8)`).
 */
import { suggest } from '@gradus/autodiff';
import type { CallExpr, Expr, FnDecl, FnParam } from '../syntax/ast.js';
import { fail } from './errors.js';

/** A parameter and what it gets: the call's expression, or (absent) its default. */
export interface BoundParam {
  readonly param: FnParam;
  readonly arg?: Expr;
}

/** `block(x, W, keep = ...)`, for hints. */
function signature(fn: FnDecl): string {
  return `${fn.name}(${fn.params.map((p) => (p.default ? `${p.name} = ...` : p.name)).join(', ')})`;
}

/**
 * Binds `call`'s arguments to `fn`'s parameters: too many positional arguments and a missing
 * argument are E0103, an unknown named one E0104 (with "did you mean"), the same one twice E0117.
 */
export function bindFnArgs(fn: FnDecl, call: CallExpr): BoundParam[] {
  const defined = [{ message: `${fn.name} is defined here`, span: fn.nameSpan }];
  if (call.args.length > fn.params.length) {
    fail(
      'E0103',
      `${fn.name} takes ${fn.params.length} argument${fn.params.length === 1 ? '' : 's'}, got ${call.args.length}`,
      call.span,
      { notes: defined, hint: signature(fn) },
    );
  }
  const given = new Map<string, Expr>();
  call.args.forEach((a, i) => {
    given.set(fn.params[i].name, a);
  });
  for (const na of call.namedArgs) {
    if (!fn.params.some((p) => p.name === na.name)) {
      const close = suggest(
        na.name,
        fn.params.map((p) => p.name),
      );
      fail('E0104', `${fn.name} has no parameter '${na.name}'`, na.nameSpan, {
        notes: defined,
        hint: close ? `did you mean ${close}?` : signature(fn),
      });
    }
    if (given.has(na.name)) {
      const positional = call.args.length > fn.params.findIndex((p) => p.name === na.name);
      fail(
        'E0117',
        `${fn.name}: argument '${na.name}' is given twice${positional ? ' (by position, and by name)' : ''}`,
        na.nameSpan,
      );
    }
    given.set(na.name, na.value);
  }
  const missing = fn.params.filter((p) => !given.has(p.name) && !p.default).map((p) => `'${p.name}'`);
  if (missing.length > 0) {
    fail(
      'E0103',
      `${fn.name} needs the argument${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`,
      call.span,
      { notes: defined, hint: signature(fn) },
    );
  }
  return fn.params.map((param) => {
    const arg = given.get(param.name);
    return arg ? { param, arg } : { param };
  });
}
