/**
 * Tables keyed by names a user writes (functions, initialisers, optimisers, settings, dims) are
 * plain objects, so `table[name]` for `constructor` or `toString` finds a member of
 * `Object.prototype`. Every such lookup goes through here and sees only the table's own entries.
 */
export function ownEntry<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
