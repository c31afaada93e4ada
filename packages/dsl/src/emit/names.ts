/**
 * Names from a model (params, inputs, dims, outputs) are user text: they reach generated code only
 * through these helpers, as JSON-escaped string literals or as validated/mangled identifiers,
 * never raw. Builder-API graphs can use any string (`'gamma1.running_mean'`, `'N M'`), so this
 * matters even though the DSL's own identifiers are tame.
 */

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Property names that an object literal treats specially even when quoted. */
const SPECIAL_KEYS = new Set(['__proto__']);

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** A string literal for `text`: JSON escaping is valid TypeScript escaping. */
export function str(text: string): string {
  return JSON.stringify(text);
}

/** `name` as a property name in an interface or type literal. */
export function propName(name: string): string {
  return isIdentifier(name) ? name : str(name);
}

/**
 * `name` as a key in an object literal. `{ "__proto__": v }` would set the prototype, so that one
 * key is written computed, which defines an ordinary property.
 */
export function objectKey(name: string): string {
  if (SPECIAL_KEYS.has(name)) return `[${str(name)}]`;
  return propName(name);
}

/** `obj.name`, or `obj["name"]` when the name is not an identifier. */
export function member(obj: string, name: string): string {
  return isIdentifier(name) ? `${obj}.${name}` : `${obj}[${str(name)}]`;
}

/** Text safe inside a `//` or `/* *\/` comment: one line, no comment terminator. */
export function commentText(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/\*\//g, '* /');
}

/**
 * Hands out local identifiers for model names under a fixed prefix (`dim_N`), so they can never
 * collide with the generator's own locals (`t12`, `params`, `Math`) or with reserved words.
 * A name that is not an identifier is mangled to `prefix$k_safe`: the `$` cannot occur in a
 * valid model name, so a mangled name never collides with an unmangled one.
 */
export class Namer {
  private readonly byName = new Map<string, string>();

  constructor(private readonly prefix: string) {}

  get(name: string): string {
    let id = this.byName.get(name);
    if (id === undefined) {
      id = isIdentifier(name)
        ? `${this.prefix}${name}`
        : `${this.prefix}$${this.byName.size}_${name.replace(/[^A-Za-z0-9_]/g, '')}`;
      this.byName.set(name, id);
    }
    return id;
  }
}
