import type { Diagnostic } from '@gradus/autodiff';
import { parse } from '../syntax/index.js';
import { resolveTrainBlock, type TrainConfig } from './train.js';

/**
 * Validates a training setting given on the command line (`--optimizer 'adam(lr = 1e-3)'`) with
 * exactly the rules of a `train { }` block. The text is parsed inside a one-setting model and
 * the diagnostics' spans are shifted back onto the flag's own text, so they render against it.
 */
export function parseSettingFlag(key: string, text: string, into: TrainConfig): Diagnostic[] {
  return parseInTrainBlock(`${key} = `, text, `--${key} takes one value`, into);
}

/** What `--set key=value` flags need from their value: how to tell a key from its value. */
export interface SetFlag {
  readonly key: string;
  /** The value's text, and where it starts in the flag's text. */
  readonly value: string;
  readonly valueStart: number;
}

const SET_FLAG = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/;

/**
 * Splits `--set key=value` into its key and value; undefined when it is not of that form. The
 * value may be anything a `train { }` block takes (`adam(lr = 0.01)`, `[100, 200]`, `true`).
 */
export function splitSetFlag(text: string): SetFlag | undefined {
  const m = SET_FLAG.exec(text);
  if (!m) return undefined;
  const rest = text.slice(m[0].length);
  const valueStart = m[0].length + (rest.length - rest.trimStart().length);
  return { key: m[1], value: text.slice(valueStart).trimEnd(), valueStart };
}

/**
 * Validates `--set key=value` (`validation=0.1`, `optimizer=adam(lr = 0.01)`) with exactly the
 * rules of one line of a `train { }` block, into `into`: an unknown key is E0501 with a "did you
 * mean", a bad value the block's own error. Spans point into the flag's text.
 */
export function parseSetFlag(text: string, into: TrainConfig): Diagnostic[] {
  if (splitSetFlag(text) === undefined) {
    return [
      {
        code: 'E0514',
        severity: 'error',
        message: '--set takes key=value, such as validation=0.1',
        span: { start: 0, end: Math.max(text.length, 1) },
        notes: [],
      },
    ];
  }
  return parseInTrainBlock('', text, '--set takes one setting', into);
}

/**
 * Parses `lead + text` as the only line of a `train { }` block and resolves it into `into`;
 * diagnostics come back with spans in `text`.
 */
function parseInTrainBlock(lead: string, text: string, oneValue: string, into: TrainConfig): Diagnostic[] {
  const prefix = `model Flags {\n  train {\n    ${lead}`;
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
  const models = parsed.program.models;
  const stmts = models.length === 1 && parsed.program.fns.length === 0 ? models[0].stmts : [];
  const stmt = stmts.length === 1 ? stmts[0] : undefined;
  const settings = stmt?.kind === 'train' ? stmt.settings : [];
  if (settings.length !== 1) {
    return [
      {
        code: 'E0513',
        severity: 'error',
        message: oneValue,
        span: { start: 0, end: text.length },
        notes: [],
      },
    ];
  }
  return resolveTrainBlock(settings, into).map(shift);
}
