/**
 * Diagnostics as text, in the style of rustc and esbuild:
 *
 * ```
 * two_layer.model:14:26: error[E0301]: matrix product needs matching inner dimensions: ...
 *    |
 * 14 |   let logits = dense(h, W1, b2)
 *    |                         ^^ W1 declared at 9:9 as [D, H] = [2, 100]
 *    = hint: did you mean W2 ([H, C] = [100, 3])?
 * ```
 *
 * Diagnostics carry half-open offsets only; line and column (both 1-based, columns counted in
 * Unicode code points) are computed here, at render time. Spans are clamped to the text, and a
 * span running over a line break is underlined to the end of its first line, so any span renders.
 */
import type { Diagnostic, RelatedNote, Severity, Span } from '@gradus/autodiff';

export interface SourceFile {
  /** Shown in headers and `-->` lines; usually the path as the user typed it. */
  readonly name: string;
  readonly text: string;
}

export interface RenderOptions {
  /** ANSI colours; off unless asked for (the caller knows whether stdout is a terminal). */
  readonly color?: boolean;
}

export interface LineCol {
  /** 1-based line number. */
  readonly line: number;
  /** 1-based column, in code points. */
  readonly col: number;
}

/** The line and column of an offset (clamped to the text). */
export function lineCol(text: string, offset: number): LineCol {
  const at = clamp(offset, text.length);
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: codePoints(text.slice(lineStart, at)) + 1 };
}

export function renderDiagnostic(d: Diagnostic, file: SourceFile, opts: RenderOptions = {}): string {
  const paint = painter(opts.color === true);
  const { text } = file;
  const noteSpans = d.notes.map((n) => n.span).filter((s): s is Span => s !== undefined);
  const width = Math.max(1, ...[d.span, ...noteSpans].map((s) => (s ? String(lineOf(text, s)).length : 1)));
  const blank = ' '.repeat(width);
  const tone = SEVERITY_TONE[d.severity];

  const where = d.span ? `${file.name}:${position(text, d.span.start)}` : file.name;
  const lines = [
    `${paint.bold(`${where}:`)} ${paint[tone](paint.bold(`${d.severity}[${d.code}]`))}${paint.bold(`: ${d.message}`)}`,
  ];
  if (d.span) lines.push(...frame(text, d.span, width, d.label, paint, tone));
  for (const note of d.notes) lines.push(...renderNote(note, file, width, paint));
  if (d.hint !== undefined) lines.push(`${blank} ${paint.gutter('=')} ${paint.bold('hint')}: ${d.hint}`);
  return lines.join('\n');
}

/**
 * At most this many diagnostics of one file are rendered; the rest are counted. A generated file
 * with 20,000 mistakes is not read to its end, and rendering each costs a scan of the text.
 */
export const MAX_SHOWN_DIAGNOSTICS = 100;

/**
 * Several diagnostics, separated by blank lines, then a summary such as `2 errors`. Past
 * `MAX_SHOWN_DIAGNOSTICS`, a line says how many more there are.
 */
export function renderDiagnostics(
  list: readonly Diagnostic[],
  file: SourceFile,
  opts: RenderOptions = {},
): string {
  if (list.length === 0) return '';
  const paint = painter(opts.color === true);
  const counts = (['error', 'warning', 'note'] as const)
    .map((severity) => [severity, list.filter((d) => d.severity === severity).length] as const)
    .filter(([, n]) => n > 0)
    .map(([severity, n]) => `${n.toLocaleString('en-US')} ${severity}${n === 1 ? '' : 's'}`);
  const summary = paint.bold(counts.join(', '));
  const shown = list.slice(0, MAX_SHOWN_DIAGNOSTICS).map((d) => renderDiagnostic(d, file, opts));
  const rest = list.length - shown.length;
  const more = rest > 0 ? [`… and ${rest.toLocaleString('en-US')} more not shown`] : [];
  return [...shown, ...more, summary].join('\n\n');
}

// ---------------------------------------------------------------------------------------------
// Pieces
// ---------------------------------------------------------------------------------------------

function renderNote(note: RelatedNote, file: SourceFile, width: number, paint: Painter): string[] {
  const blank = ' '.repeat(width);
  const head = `${blank} ${paint.gutter('=')} ${paint.bold('note')}: ${note.message}`;
  if (note.span === undefined) return [head];
  return [
    head,
    `${blank}${paint.gutter('-->')} ${file.name}:${position(file.text, note.span.start)}`,
    ...frame(file.text, note.span, width, undefined, paint, 'note'),
  ];
}

/** Longer source lines are shown as a window of about this many code points around the span. */
const FRAME_COLUMNS = 120;
/** Code points kept before (and at least after) the span in such a window. */
const FRAME_CONTEXT = 40;

/** The code frame: an empty gutter line, the source line, and the caret line. */
function frame(
  text: string,
  span: Span,
  width: number,
  label: string | undefined,
  paint: Painter,
  tone: Tone,
): string[] {
  const start = clamp(span.start, text.length);
  const end = Math.max(start, clamp(span.end, text.length));
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const newline = text.indexOf('\n', start);
  let lineEnd = newline === -1 ? text.length : newline;
  if (lineEnd > lineStart && text[lineEnd - 1] === '\r') lineEnd--; // CRLF files
  let before = [...text.slice(lineStart, start)];
  let underlined = [...text.slice(start, Math.min(end, lineEnd))];
  let after = [...text.slice(Math.min(end, lineEnd), lineEnd)];
  // A long line (generated code, a minified model) shows only a window around the span.
  if (before.length + underlined.length + after.length > FRAME_COLUMNS) {
    if (before.length > FRAME_CONTEXT) before = ['…', ...before.slice(-FRAME_CONTEXT)];
    if (underlined.length > FRAME_COLUMNS - 2 * FRAME_CONTEXT)
      underlined = underlined.slice(0, FRAME_COLUMNS - 2 * FRAME_CONTEXT);
    const room = Math.max(FRAME_CONTEXT, FRAME_COLUMNS - before.length - underlined.length);
    if (after.length > room) after = [...after.slice(0, room), '…'];
  }
  const carets = '^'.repeat(Math.max(1, underlined.length));
  // The caret line mirrors the source line's tabs so the carets line up under any tab width.
  const pad = before.map((c) => (c === '\t' ? '\t' : ' ')).join('');
  const blank = ' '.repeat(width);
  const number = String(lineCol(text, start).line).padStart(width);
  return [
    `${blank} ${paint.gutter('|')}`,
    `${paint.gutter(number)} ${paint.gutter('|')} ${visible([...before, ...underlined, ...after].join(''))}`,
    `${blank} ${paint.gutter('|')} ${pad}${paint[tone](label ? `${carets} ${label}` : carets)}`,
  ];
}

function position(text: string, offset: number): string {
  const { line, col } = lineCol(text, offset);
  return `${line}:${col}`;
}

function lineOf(text: string, span: Span): number {
  return lineCol(text, span.start).line;
}

function clamp(offset: number, length: number): number {
  if (!Number.isFinite(offset)) return length;
  return Math.min(Math.max(0, Math.trunc(offset)), length);
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Control characters (other than tab) would garble the terminal: show them as U+FFFD. */
function visible(line: string): string {
  let shown = '';
  for (const c of line) {
    const code = c.charCodeAt(0);
    shown += c !== '\t' && (code < 0x20 || code === 0x7f) ? '\ufffd' : c;
  }
  return shown;
}

// ---------------------------------------------------------------------------------------------
// Colour
// ---------------------------------------------------------------------------------------------

type Tone = 'error' | 'warning' | 'note';

const SEVERITY_TONE: Readonly<Record<Severity, Tone>> = { error: 'error', warning: 'warning', note: 'note' };

type Paint = (s: string) => string;
interface Painter {
  readonly bold: Paint;
  readonly gutter: Paint;
  readonly error: Paint;
  readonly warning: Paint;
  readonly note: Paint;
}

function painter(color: boolean): Painter {
  const sgr =
    (open: string): Paint =>
    (s) =>
      color ? `\x1b[${open}m${s}\x1b[0m` : s;
  return { bold: sgr('1'), gutter: sgr('1;34'), error: sgr('1;31'), warning: sgr('1;33'), note: sgr('1;36') };
}
