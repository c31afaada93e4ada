import { diagnostic, GradusError, outOfRange, suggest } from '@gradus/autodiff';
import { argRange, type CallSpec, type CatalogueEntry, type SettingValue } from '../catalogue.js';

const at = (spec: CallSpec) => (spec.span ? { span: spec.span } : {});

/** The error for a name missing from a catalogue, with a "did you mean". */
export function unknownName(kind: string, spec: CallSpec, known: readonly string[]): GradusError {
  const s = suggest(spec.name, known);
  return new GradusError(
    diagnostic('E0901', `unknown ${kind} '${spec.name}'`, {
      hint: s ? `did you mean ${s}?` : `known: ${known.join(', ')}`,
      ...at(spec),
    }),
  );
}

/**
 * Every argument of a call, given or defaulted from its catalogue entry, checked against the
 * entry's types (a validated `CallSpec` always passes; hand-written ones get clear errors).
 */
export function resolveArgs(
  kind: string,
  spec: CallSpec,
  entry: CatalogueEntry,
): Record<string, SettingValue> {
  const fail = (code: string, message: string, hint?: string): never => {
    throw new GradusError(diagnostic(code, message, { ...at(spec), ...(hint ? { hint } : {}) }));
  };
  for (const k of Object.keys(spec.args)) {
    if (!Object.hasOwn(entry.args, k)) {
      const s = suggest(k, Object.keys(entry.args));
      fail(
        'E0902',
        `${kind} ${spec.name} has no argument '${k}'`,
        s ? `did you mean ${s}?` : `its arguments: ${Object.keys(entry.args).join(', ') || 'none'}`,
      );
    }
  }
  const out: Record<string, SettingValue> = {};
  for (const [k, a] of Object.entries(entry.args)) {
    const v =
      (Object.hasOwn(spec.args, k) ? spec.args[k] : undefined) ?? (a.default as SettingValue | undefined);
    if (v === undefined) return fail('E0903', `${kind} ${spec.name} needs the argument '${k}' (${a.doc})`);
    const ok =
      a.type === 'boolean'
        ? typeof v === 'boolean'
        : a.type === 'numbers'
          ? Array.isArray(v) && v.every((e) => typeof e === 'number')
          : a.type === 'groups'
            ? Array.isArray(v) && v.every((g) => Array.isArray(g) && g.every((e) => typeof e === 'string'))
            : a.type === 'schedule' || a.type === 'optimizer'
              ? typeof v === 'object' && v !== null && !Array.isArray(v) && 'name' in v
              : a.type === 'transforms'
                ? Array.isArray(v) && v.every((t) => typeof t === 'object' && t !== null && 'name' in t)
                : typeof v === 'number' && Number.isFinite(v) && (a.type !== 'int' || Number.isInteger(v));
    if (!ok)
      fail('E0903', `${kind} ${spec.name}: '${k}' must be ${describe(a.type)}, got ${JSON.stringify(v)}`);
    const range = argRange(a);
    const values = typeof v === 'number' ? [v] : Array.isArray(v) ? (v as number[]) : [];
    for (const x of range ? values : []) {
      const problem = outOfRange(`${kind} ${spec.name}: '${k}'`, x, range!);
      if (problem) fail('E0903', problem);
    }
    out[k] = v;
  }
  return out;
}

function describe(type: string): string {
  switch (type) {
    case 'boolean':
      return 'true or false';
    case 'numbers':
      return 'a list of numbers';
    case 'schedule':
      return 'a schedule such as cosine(steps = 100)';
    case 'optimizer':
      return 'an optimizer such as lbfgs()';
    case 'transforms':
      return 'a list of transformations such as [scale_by_adam(), scale_by_learning_rate(1e-3)]';
    case 'groups':
      return 'a list of lists of param names such as [[H], [W]]';
    case 'int':
      return 'an integer';
    default:
      return 'a number';
  }
}
