import type { Diagnostic } from '@gradus/autodiff';
import { parse } from '../syntax/index.js';
import { resolveTrainBlock, type TrainConfig } from './train.js';

/**
 * Validates a training setting given on the command line (`--optimizer 'adam(lr = 1e-3)'`) with
 * exactly the rules of a `train { }` block. The text is parsed inside a one-setting model and
 * the diagnostics' spans are shifted back onto the flag's own text, so they render against it.
 */
export function parseSettingFlag(key: string, text: string, into: TrainConfig): Diagnostic[] {
  const prefix = `model Flags {\n  train {\n    ${key} = `;
  const source = `${prefix}${text}\n  }\n}\n`;
  const parsed = parse(source);
  const shift = (d: Diagnostic): Diagnostic => {
    const clamp = (o: number) => Math.max(0, Math.min(text.length, o - prefix.length));
    // Past the flag's text lies only the wrapper: say "the end of the value", not its tokens.
    const atEnd = d.span !== undefined && d.span.start - prefix.length >= text.length;
    const message = (atEnd ? d.message.replace(/found '[^']*'$/, 'found the end of the value') : d.message)
      .replace(' in the train setting', '')
      .replace(' in the train block', '');
    return {
      ...d,
      message,
      ...(d.span ? { span: { start: clamp(d.span.start), end: clamp(d.span.end) } } : {}),
      notes: d.notes.map((n) => ({
        ...n,
        ...(n.span ? { span: { start: clamp(n.span.start), end: clamp(n.span.end) } } : {}),
      })),
    };
  };
  if (parsed.diagnostics.length > 0) return parsed.diagnostics.map(shift);
  const stmt = parsed.program.models[0]?.stmts.find((s) => s.kind === 'train');
  const settings = stmt?.kind === 'train' ? stmt.settings : [];
  if (settings.length !== 1) {
    return [
      {
        code: 'E0513',
        severity: 'error',
        message: `--${key} takes one value`,
        span: { start: 0, end: text.length },
        notes: [],
      },
    ];
  }
  return resolveTrainBlock(settings, into).map(shift);
}
