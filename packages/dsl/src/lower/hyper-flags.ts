import { type Diagnostic, diagnostic } from '@gradus/autodiff';
import { HYPER_CODES, type HyperInfo, overrideProblem } from './hypers.js';

const FLAG = /^(\s*)([A-Za-z_][A-Za-z0-9_]*)(\s*)=(\s*)(.*?)\s*$/;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** One `--hyper name=value` flag, or what is wrong with it (its spans are in the flag's text). */
export type HyperFlag =
  | { readonly ok: true; readonly name: string; readonly value: number; readonly text: string }
  | { readonly ok: false; readonly text: string; readonly diagnostics: readonly Diagnostic[] };

/**
 * Reads `--hyper` flags (`lambda=1e-2`) and checks them against a model's hyper-parameters with
 * the rules of their declarations. A bad flag's diagnostics point into its own text (the name for
 * an unknown hyper, with "did you mean"; the value for a bad type or range), so the CLI renders
 * them at the flag's column. The first bad flag is returned; otherwise the overrides by name.
 */
export function readHyperFlags(
  texts: readonly string[],
  hypers: readonly Pick<HyperInfo, 'name' | 'type' | 'range'>[],
): { readonly hypers: Record<string, number> } | Extract<HyperFlag, { ok: false }> {
  const out: Record<string, number> = Object.create(null);
  for (const text of texts) {
    const at = (start: number, end: number) => ({ span: { start, end } });
    const m = FLAG.exec(text);
    if (!m) {
      return {
        ok: false,
        text,
        diagnostics: [
          diagnostic(HYPER_CODES.badFlag, '--hyper takes name=value, such as lambda=1e-2', {
            ...at(0, text.length),
          }),
        ],
      };
    }
    const [, lead, name, gap1, gap2, raw] = m;
    const nameStart = lead.length;
    const nameEnd = nameStart + name.length;
    const valueStart = nameEnd + gap1.length + 1 + gap2.length;
    const valueEnd = valueStart + raw.length;
    if (!NUMBER.test(raw)) {
      return {
        ok: false,
        text,
        diagnostics: [
          diagnostic(
            HYPER_CODES.badFlag,
            raw === ''
              ? `--hyper ${name}= needs a number`
              : `--hyper ${name}: expected a number, got '${raw}'`,
            at(valueStart, Math.max(valueEnd, valueStart + 1)),
          ),
        ],
      };
    }
    if (Object.hasOwn(out, name)) {
      return {
        ok: false,
        text,
        diagnostics: [
          diagnostic(HYPER_CODES.badFlag, `--hyper ${name} is given twice`, at(nameStart, nameEnd)),
        ],
      };
    }
    const value = Number(raw);
    const problem = overrideProblem(hypers, name, value);
    if (problem) {
      const span = problem.part === 'name' ? at(nameStart, nameEnd) : at(valueStart, valueEnd);
      return {
        ok: false,
        text,
        diagnostics: [
          diagnostic(problem.code, problem.message, {
            ...span,
            ...(problem.hint ? { hint: problem.hint } : {}),
          }),
        ],
      };
    }
    out[name] = value;
  }
  return { hypers: out };
}
