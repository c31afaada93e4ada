/** Rendering diagnostics as text: file:line:col headers, code frames with carets, notes, hints. */
export {
  type LineCol,
  lineCol,
  MAX_SHOWN_DIAGNOSTICS,
  type RenderOptions,
  renderDiagnostic,
  renderDiagnostics,
  type SourceFile,
} from './render.js';
