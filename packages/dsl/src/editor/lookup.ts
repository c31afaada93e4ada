/**
 * Questions about one position of an analysed document: what is here (hover), where was it
 * declared (definition), and every place a declared name occurs (rename). Positions are UTF-16
 * offsets, as in spans; the language server converts them to lines and characters.
 */
import type { Span } from '@gradus/autodiff';
import type { Analysis } from './analysis.js';
import type { Declaration, Reference } from './names.js';
import type { BuiltinWord } from './vocabulary.js';

/** A declaration or a use of a name at an offset (a cursor at either end of the name counts). */
export type Occurrence =
  | { readonly kind: 'declaration'; readonly span: Span; readonly declaration: Declaration }
  | { readonly kind: 'reference'; readonly span: Span; readonly reference: Reference };

const touches = (s: Span, offset: number) => s.start <= offset && offset <= s.end;

export function occurrenceAt(a: Analysis, offset: number): Occurrence | undefined {
  const d = a.names.declarations.find((x) => touches(x.nameSpan, offset));
  if (d) return { kind: 'declaration', span: d.nameSpan, declaration: d };
  const r = a.names.references.find((x) => touches(x.span, offset));
  return r ? { kind: 'reference', span: r.span, reference: r } : undefined;
}

/** The declaration an occurrence means, if the file declares it. */
export function declarationOf(o: Occurrence | undefined): Declaration | undefined {
  if (o?.kind === 'declaration') return o.declaration;
  if (o?.reference.kind === 'declared') return o.reference.target;
  return undefined;
}

/** Where the name at an offset is declared. */
export function definitionAt(a: Analysis, offset: number): Span | undefined {
  return declarationOf(occurrenceAt(a, offset))?.nameSpan;
}

/** The declaration's name and every use of it: what a rename edits. */
export function occurrencesOf(a: Analysis, d: Declaration): Span[] {
  const uses = a.names.references.filter((r) => r.kind === 'declared' && r.target === d).map((r) => r.span);
  return [d.nameSpan, ...uses].sort((x, y) => x.start - y.start);
}

const KIND_WORDS: Readonly<Record<string, string>> = {
  fnParam: 'parameter',
  fn: 'fn',
  model: 'model',
};

/** `relu(x)`, `normal(std = 1, mean = 0)`, `l2(...)`. */
export function signature(w: BuiltinWord): string {
  const args = w.args.map((a) => (a.optional ? `${a.name} = ${a.default ?? '…'}` : a.name));
  return `${w.name}(${[...(w.variadic ? ['...'] : []), ...args].join(', ')})`;
}

function code(text: string): string {
  return `\`\`\`gradus\n${text}\n\`\`\``;
}

/** Markdown for the name at an offset: its kind, its type and shape, or a built-in's documentation. */
export function hoverAt(a: Analysis, offset: number): { span: Span; markdown: string } | undefined {
  const o = occurrenceAt(a, offset);
  if (!o) return undefined;
  const d = declarationOf(o);
  if (d) return { span: o.span, markdown: describeDeclaration(a, d) };
  const r = o.kind === 'reference' ? o.reference : undefined;
  switch (r?.kind) {
    case 'builtin':
      return { span: r.span, markdown: `${code(signature(r.word))}\n\n${r.word.kind}: ${r.word.doc}` };
    case 'argument': {
      const arg = r.word?.args.find((x) => x.name === r.name);
      const about = arg
        ? [arg.doc, arg.optional ? `optional${arg.default ? `, default ${arg.default}` : ''}` : 'required']
            .filter(Boolean)
            .join('; ')
        : `not an argument of ${r.callee}`;
      return { span: r.span, markdown: `${code(`${r.callee}(${r.name} = …)`)}\n\n${about}` };
    }
    case 'setting':
      return {
        span: r.span,
        markdown: `${code(`train { ${r.name} = … }`)}\n\n${r.doc ?? 'not a training setting'}`,
      };
    case 'unknown':
      return { span: r.span, markdown: `\`${r.name}\` is not declared here` };
    default:
      return undefined;
  }
}

function describeDeclaration(a: Analysis, d: Declaration): string {
  const keyword = KIND_WORDS[d.kind] ?? d.kind;
  const where = d.parent ? `\n\nin ${d.parent.kind} ${d.parent.name}` : '';
  if (d.kind === 'model' || d.kind === 'fn') {
    const fn = d.kind === 'fn' ? a.program.fns.find((f) => f.nameSpan.start === d.nameSpan.start) : undefined;
    const text = fn ? `fn ${fn.name}(${fn.params.map((p) => p.name).join(', ')})` : `model ${d.name}`;
    return code(text);
  }
  const types = a.types.get(d.nameSpan.start) ?? [];
  if (types.length === 0)
    return `${code(`${keyword} ${d.name}`)}\n\n(no type: its statement did not lower)${where}`;
  const lines = types.map((t) =>
    d.kind === 'dim' ? `${keyword} ${d.name} ${t}` : `${keyword} ${d.name}: ${t}`,
  );
  const calls = d.kind === 'fnParam' || d.parent?.kind === 'fn' ? '\n\n(one line per distinct call)' : '';
  return `${code(lines.join('\n'))}${types.length > 1 ? calls : ''}${where}`;
}
