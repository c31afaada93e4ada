/**
 * The outline of a document: its functions and models, each with what it declares (and, for a
 * model, its loss and train block), in source order.
 */
import type { Span } from '@gradus/autodiff';
import type { Analysis } from './analysis.js';

export interface OutlineItem {
  readonly name: string;
  /** A declaration's kind (`model`, `fn`, `fnParam`, `dim`, `param`, `let`, ...), or `loss`, `train`. */
  readonly kind: string;
  readonly span: Span;
  readonly nameSpan: Span;
  /** Its type and shape, when lowering found one. */
  readonly detail?: string;
  readonly children: readonly OutlineItem[];
}

export function documentOutline(a: Analysis): OutlineItem[] {
  const item = (d: (typeof a.names.declarations)[number], children: OutlineItem[] = []): OutlineItem => {
    const detail = a.types.get(d.nameSpan.start)?.[0];
    return {
      name: d.name,
      kind: d.kind,
      span: d.span,
      nameSpan: d.nameSpan,
      ...(detail ? { detail } : {}),
      children,
    };
  };
  const tops = a.names.declarations.filter((d) => d.parent === undefined);
  return tops
    .map((top) => {
      const children = a.names.declarations.filter((d) => d.parent === top).map((d) => item(d));
      const model =
        top.kind === 'model'
          ? a.program.models.find((m) => m.nameSpan.start === top.nameSpan.start)
          : undefined;
      for (const s of model?.stmts ?? []) {
        if (s.kind === 'loss')
          children.push({ name: 'loss', kind: 'loss', span: s.span, nameSpan: s.keywordSpan, children: [] });
        if (s.kind === 'train')
          children.push({ name: 'train', kind: 'train', span: s.span, nameSpan: s.span, children: [] });
      }
      children.sort((x, y) => x.span.start - y.span.start);
      return item(top, children);
    })
    .sort((x, y) => x.span.start - y.span.start);
}
