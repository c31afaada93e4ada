/**
 * The Gradus language server over any LSP connection (`stdio.ts` makes the one `gradus lsp`
 * uses). Every answer comes from the editor analysis of `../editor/` (offsets and spans); this
 * module only converts between those and LSP's lines, characters and kinds.
 *
 * Documents are synced incrementally; each version is analysed once, on first need, and
 * diagnostics are pushed a moment after typing pauses (each keystroke restarts the wait).
 */
import type { Diagnostic as GradusDiagnostic, Span } from '@gradus/autodiff';
import {
  CompletionItemKind,
  type Connection,
  type Diagnostic,
  DiagnosticSeverity,
  type DocumentSymbol,
  type InitializeResult,
  MarkupKind,
  type Range,
  ResponseError,
  SymbolKind,
  TextDocumentSyncKind,
  TextDocuments,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { type Analysis, analyse } from '../editor/analysis.js';
import { type Completion, completionsAt } from '../editor/completion.js';
import { definitionAt, hoverAt } from '../editor/lookup.js';
import { documentOutline, type OutlineItem } from '../editor/outline.js';
import { renameEdits, renameTarget } from '../editor/rename.js';

export interface ServerOptions {
  /** Milliseconds without a change before diagnostics are recomputed and pushed. */
  readonly diagnosticsDelay?: number;
  readonly version?: string;
}

const SEVERITY: Readonly<Record<GradusDiagnostic['severity'], DiagnosticSeverity>> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  note: DiagnosticSeverity.Information,
};

const COMPLETION_KIND: Readonly<Record<string, CompletionItemKind>> = {
  keyword: CompletionItemKind.Keyword,
  type: CompletionItemKind.TypeParameter,
  constant: CompletionItemKind.Constant,
  argument: CompletionItemKind.Property,
  setting: CompletionItemKind.Property,
  function: CompletionItemKind.Function,
  initialiser: CompletionItemKind.Constructor,
  optimizer: CompletionItemKind.Class,
  schedule: CompletionItemKind.Class,
  dataset: CompletionItemKind.Module,
  fn: CompletionItemKind.Function,
  dim: CompletionItemKind.TypeParameter,
  hyper: CompletionItemKind.Constant,
  param: CompletionItemKind.Field,
};

const SYMBOL_KIND: Readonly<Record<string, SymbolKind>> = {
  model: SymbolKind.Class,
  fn: SymbolKind.Function,
  fnParam: SymbolKind.Variable,
  dim: SymbolKind.TypeParameter,
  hyper: SymbolKind.Constant,
  input: SymbolKind.Variable,
  param: SymbolKind.Field,
  let: SymbolKind.Variable,
  output: SymbolKind.Property,
  metric: SymbolKind.Property,
  loss: SymbolKind.Event,
  train: SymbolKind.Namespace,
};

/** Serves `.model` documents on a connection until it closes. */
export function serveLanguage(connection: Connection, options: ServerOptions = {}): void {
  const documents = new TextDocuments(TextDocument);
  const analyses = new Map<string, { version: number; analysis: Analysis }>();
  const pending = new Map<string, ReturnType<typeof setTimeout>>();
  const delay = options.diagnosticsDelay ?? 150;

  const analysisOf = (uri: string): { doc: TextDocument; analysis: Analysis } | undefined => {
    const doc = documents.get(uri);
    if (!doc) return undefined;
    const cached = analyses.get(uri);
    if (cached?.version === doc.version) return { doc, analysis: cached.analysis };
    const analysis = analyse(doc.getText(), fileName(uri));
    analyses.set(uri, { version: doc.version, analysis });
    return { doc, analysis };
  };
  const range = (doc: TextDocument, s: Span | undefined): Range =>
    s === undefined
      ? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }
      : { start: doc.positionAt(s.start), end: doc.positionAt(s.end) };

  const publish = (uri: string) => {
    pending.delete(uri);
    // A timer's exception would end the process: a bug here is logged, and the editor keeps its server.
    try {
      const found = analysisOf(uri);
      if (!found) return;
      const { doc, analysis } = found;
      void connection.sendDiagnostics({
        uri,
        version: doc.version,
        diagnostics: analysis.diagnostics.map((d) => toLsp(d, doc, uri, range)),
      });
    } catch (e) {
      connection.console.error(
        `gradus: no diagnostics for ${uri}: ${e instanceof Error ? e.stack : String(e)}`,
      );
    }
  };
  const schedule = (uri: string, wait: number) => {
    clearTimeout(pending.get(uri));
    pending.set(
      uri,
      setTimeout(() => publish(uri), wait),
    );
  };

  connection.onInitialize(
    (): InitializeResult => ({
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        definitionProvider: true,
        documentSymbolProvider: true,
        renameProvider: { prepareProvider: true },
        completionProvider: { triggerCharacters: ['(', ',', '[', '=', ' '] },
      },
      serverInfo: { name: 'gradus', ...(options.version ? { version: options.version } : {}) },
    }),
  );

  documents.onDidOpen((e) => schedule(e.document.uri, 0));
  documents.onDidChangeContent((e) => schedule(e.document.uri, delay));
  documents.onDidClose((e) => {
    clearTimeout(pending.get(e.document.uri));
    pending.delete(e.document.uri);
    analyses.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.onHover(({ textDocument, position }) => {
    const found = analysisOf(textDocument.uri);
    if (!found) return null;
    const hover = hoverAt(found.analysis, found.doc.offsetAt(position));
    return hover
      ? {
          contents: { kind: MarkupKind.Markdown, value: hover.markdown },
          range: range(found.doc, hover.span),
        }
      : null;
  });

  connection.onDefinition(({ textDocument, position }) => {
    const found = analysisOf(textDocument.uri);
    if (!found) return null;
    const span = definitionAt(found.analysis, found.doc.offsetAt(position));
    return span ? { uri: textDocument.uri, range: range(found.doc, span) } : null;
  });

  connection.onCompletion(({ textDocument, position }) => {
    const found = analysisOf(textDocument.uri);
    if (!found) return [];
    return completionsAt(found.analysis, found.doc.offsetAt(position)).map(toCompletionItem);
  });

  connection.onDocumentSymbol(({ textDocument }) => {
    const found = analysisOf(textDocument.uri);
    if (!found) return [];
    const toSymbol = (item: OutlineItem): DocumentSymbol => ({
      name: item.name,
      kind: SYMBOL_KIND[item.kind] ?? SymbolKind.Variable,
      ...(item.detail ? { detail: item.detail } : {}),
      range: range(found.doc, item.span),
      selectionRange: range(found.doc, item.nameSpan),
      children: item.children.map(toSymbol),
    });
    return documentOutline(found.analysis).map(toSymbol);
  });

  connection.onPrepareRename(({ textDocument, position }) => {
    const found = analysisOf(textDocument.uri);
    if (!found) return null;
    const target = renameTarget(found.analysis, found.doc.offsetAt(position));
    if ('error' in target) throw new ResponseError(0, target.error);
    return { range: range(found.doc, target.span), placeholder: target.declaration.name };
  });

  connection.onRenameRequest(({ textDocument, position, newName }) => {
    const found = analysisOf(textDocument.uri);
    if (!found) return null;
    const result = renameEdits(found.analysis, found.doc.offsetAt(position), newName);
    if ('error' in result) throw new ResponseError(0, result.error);
    return {
      changes: {
        [textDocument.uri]: result.edits.map((s) => ({ range: range(found.doc, s), newText: newName })),
      },
    };
  });

  connection.onShutdown(() => {
    for (const t of pending.values()) clearTimeout(t);
    pending.clear();
  });

  documents.listen(connection);
  connection.listen();
}

/** The file name diagnostics would carry (the last part of the URI). */
function fileName(uri: string): string {
  const path = uri.replace(/[?#].*$/, '');
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1)) || uri;
}

/**
 * An LSP diagnostic with what `gradus check` prints: the code, the message and its label, the
 * notes (as related information where they point somewhere) and the hint.
 */
export function toLsp(
  d: GradusDiagnostic,
  doc: TextDocument,
  uri: string,
  range: (doc: TextDocument, s: Span | undefined) => Range,
): Diagnostic {
  const unplaced = d.notes.filter((n) => n.span === undefined).map((n) => `note: ${n.message}`);
  const message = [
    d.message,
    ...(d.label ? [d.label] : []),
    ...unplaced,
    ...(d.hint ? [`hint: ${d.hint}`] : []),
  ];
  const related = d.notes
    .filter((n) => n.span !== undefined)
    .map((n) => ({ location: { uri, range: range(doc, n.span) }, message: n.message }));
  return {
    range: range(doc, d.span),
    severity: SEVERITY[d.severity],
    code: d.code,
    source: 'gradus',
    message: message.join('\n'),
    ...(related.length > 0 ? { relatedInformation: related } : {}),
  };
}

function toCompletionItem(c: Completion) {
  return {
    label: c.label,
    kind: COMPLETION_KIND[c.kind] ?? CompletionItemKind.Variable,
    ...(c.detail ? { detail: c.detail } : {}),
    ...(c.documentation ? { documentation: c.documentation } : {}),
    ...(c.insertText ? { insertText: c.insertText } : {}),
  };
}
