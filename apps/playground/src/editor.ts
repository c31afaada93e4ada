/**
 * The `.model` editor: CodeMirror 6 with the language's own highlighter (the lexer's tokens, the
 * same source as the TextMate grammar) and `gradus check`'s diagnostics as you type.
 */
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, HighlightStyle, StreamLanguage, syntaxHighlighting } from '@codemirror/language';
import { type Diagnostic as CmDiagnostic, linter, lintGutter } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view';
import type { Diagnostic } from '@gradus/autodiff';
import { analyse, gradusStreamParser } from '@gradus/dsl';
import { tags as t } from '@lezer/highlight';

const gradusLanguage = StreamLanguage.define(gradusStreamParser);

const gradusHighlight = HighlightStyle.define([
  { tag: t.comment, color: '#6a737d', fontStyle: 'italic' },
  { tag: t.string, color: '#0a7f3f' },
  { tag: t.number, color: '#005cc5' },
  { tag: t.keyword, color: '#b3126b', fontWeight: 'bold' },
  { tag: t.typeName, color: '#6f42c1' },
  { tag: t.special(t.variableName), color: '#b05a00' },
  { tag: t.standard(t.variableName), color: '#0366a6' },
  { tag: t.bool, color: '#005cc5' },
  { tag: t.operator, color: '#b3126b' },
  { tag: t.invalid, color: '#fff', backgroundColor: '#d73a49' },
]);

/** Where a diagnostic is, as 1-based line and column (what `gradus check` prints). */
export interface Located {
  readonly diagnostic: Diagnostic;
  readonly line: number;
  readonly column: number;
}

export function locate(text: string, diagnostics: readonly Diagnostic[]): Located[] {
  return diagnostics.map((d) => {
    const at = Math.min(d.span?.start ?? 0, text.length);
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    return { diagnostic: d, line, column: at - before.lastIndexOf('\n') };
  });
}

export interface Editor {
  readonly view: EditorView;
  text(): string;
  setText(text: string): void;
}

/**
 * Makes the editor in `parent`; `onCheck` gets the located diagnostics of every version of the
 * text (once the typing pauses), `onChange` every change.
 */
export function makeEditor(
  parent: HTMLElement,
  text: string,
  onCheck: (located: Located[], text: string) => void,
  onChange: () => void,
): Editor {
  const check = linter(
    (view) => {
      const doc = view.state.doc.toString();
      const { diagnostics } = analyse(doc, 'playground.model');
      onCheck(locate(doc, diagnostics), doc);
      return diagnostics.map((d): CmDiagnostic => {
        const from = Math.min(d.span?.start ?? 0, doc.length);
        const to = Math.max(from, Math.min(d.span?.end ?? from, doc.length));
        return {
          from,
          to,
          severity: d.severity === 'note' ? 'info' : d.severity,
          source: d.code,
          message: d.message + (d.hint ? `\nhint: ${d.hint}` : ''),
        };
      });
    },
    { delay: 300 },
  );
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(),
        history(),
        bracketMatching(),
        highlightActiveLine(),
        gradusLanguage,
        syntaxHighlighting(gradusHighlight),
        lintGutter(),
        check,
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) onChange();
        }),
      ],
    }),
  });
  return {
    view,
    text: () => view.state.doc.toString(),
    setText(next: string) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: next } });
    },
  };
}
