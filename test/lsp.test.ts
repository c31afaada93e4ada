/**
 * `gradus lsp` as an editor meets it: a child process spoken to over stdio (initialize, open,
 * incremental changes, hover, definition, completion, symbols, rename, shutdown and exit).
 */
import { readFileSync } from 'node:fs';
import { checkSource } from 'gradus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoModel } from './helpers.js';
import { LspClient } from './lsp-client.js';

const uri = 'file:///work/two_layer.model';
const text = readFileSync(repoModel('two_layer.model'), 'utf8');

interface Position {
  line: number;
  character: number;
}
interface Range {
  start: Position;
  end: Position;
}
interface PublishedDiagnostics {
  uri: string;
  version?: number;
  diagnostics: {
    range: Range;
    code: string;
    severity: number;
    source: string;
    message: string;
    relatedInformation?: { location: { uri: string; range: Range }; message: string }[];
  }[];
}

/** The position of the `into`-th character of the first occurrence of `needle` in `source`. */
function pos(source: string, needle: string, into = 0): Position {
  const offset = source.indexOf(needle) + into;
  if (offset < into) throw new Error(`no ${needle} in the text`);
  return positionOf(source, offset);
}

function positionOf(source: string, offset: number): Position {
  const before = source.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

describe('gradus lsp over stdio', () => {
  let client: LspClient;
  let version = 1;
  let current = text;

  /** Replaces the first `from` with `to` by an incremental change, as an editor sends it. */
  const change = (from: string, to: string) => {
    const start = pos(current, from);
    const end = pos(current, from, from.length);
    current = current.replace(from, to);
    client.notify('textDocument/didChange', {
      textDocument: { uri, version: ++version },
      contentChanges: [{ range: { start, end }, text: to }],
    });
  };
  const diagnosticsOf = (v: number) =>
    client.notification<PublishedDiagnostics>(
      'textDocument/publishDiagnostics',
      (p) => p.uri === uri && p.version === v,
    );
  const at = (needle: string, into = 0) => ({ textDocument: { uri }, position: pos(current, needle, into) });

  beforeAll(async () => {
    client = new LspClient();
    const init = await client.call<{ capabilities: Record<string, unknown>; serverInfo: { name: string } }>(
      'initialize',
      { processId: process.pid, rootUri: null, capabilities: {} },
    );
    expect(init.serverInfo.name).toBe('gradus');
    expect(init.capabilities).toMatchObject({
      textDocumentSync: { openClose: true, change: 2 },
      hoverProvider: true,
      definitionProvider: true,
      documentSymbolProvider: true,
      renameProvider: { prepareProvider: true },
    });
    client.notify('initialized', {});
    client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'gradus', version, text } });
  }, 60_000);

  afterAll(() => client?.kill());

  it('publishes no diagnostics for a valid model', async () => {
    expect((await diagnosticsOf(1)).diagnostics).toEqual([]);
  });

  it('publishes the diagnostics of gradus check as the user types, with notes as related information', async () => {
    change('dense(h, W2, b2)', 'h @ W1 + b2');
    const { diagnostics } = await diagnosticsOf(version);
    const expected = checkSource({ name: 'two_layer.model', text: current }).diagnostics;
    expect(diagnostics.map((d) => d.code)).toEqual(expected.map((d) => d.code));
    const [d] = diagnostics;
    expect(d).toMatchObject({ code: 'E0301', severity: 1, source: 'gradus' });
    const span = expected[0].span!;
    expect(d.range).toEqual({ start: positionOf(current, span.start), end: positionOf(current, span.end) });
    expect(d.message).toContain(expected[0].message);
    expect(expected[0].hint).toMatch(/did you mean W2/);
    expect(d.message).toContain(`hint: ${expected[0].hint}`);
    expect(d.relatedInformation?.map((r) => r.message)).toEqual(expected[0].notes.map((n) => n.message));
    const note = expected[0].notes.find((n) => n.span)!;
    expect(d.relatedInformation?.find((r) => r.message === note.message)?.location).toEqual({
      uri,
      range: { start: positionOf(current, note.span!.start), end: positionOf(current, note.span!.end) },
    });
    change('h @ W1 + b2', 'dense(h, W2, b2)');
    expect((await diagnosticsOf(version)).diagnostics).toEqual([]);
  });

  it('survives half-typed text: a syntax error at the right line, then recovery', async () => {
    change('  output probs    = softmax(logits)', '  output probs    = softmax(logits');
    const { diagnostics } = await diagnosticsOf(version);
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics[0].code).toMatch(/^E0/);
    expect(diagnostics[0].range.start.line).toBeGreaterThanOrEqual(pos(current, 'softmax(logits').line);
    // Hover still answers in a file that does not parse.
    const hover = await client.call<{ contents: { value: string } }>('textDocument/hover', at('let h', 4));
    expect(hover.contents.value).toContain('let h: float[N, H] = [N, 100]');
    change('  output probs    = softmax(logits', '  output probs    = softmax(logits)');
    expect((await diagnosticsOf(version)).diagnostics).toEqual([]);
  });

  it('hovers a name with its type and shape, symbolic and bound', async () => {
    const hover = await client.call<{ contents: { kind: string; value: string }; range: Range }>(
      'textDocument/hover',
      at('dense(h', 6),
    );
    expect(hover.contents.kind).toBe('markdown');
    expect(hover.contents.value).toContain('let h: float[N, H] = [N, 100]');
    expect(hover.range).toEqual({ start: pos(current, 'dense(h', 6), end: pos(current, 'dense(h', 7) });
    const param = await client.call<{ contents: { value: string } }>('textDocument/hover', at('param W2', 7));
    expect(param.contents.value).toContain('param W2: float[H, C] = [100, 3]');
  });

  it('goes to the definition', async () => {
    const def = await client.call<{ uri: string; range: Range }>('textDocument/definition', at('l2(W1', 3));
    expect(def).toEqual({ uri, range: { start: pos(current, 'W1: [D'), end: pos(current, 'W1: [D', 2) } });
  });

  it('completes named arguments of built-ins and names in scope', async () => {
    change('  output probs    = softmax(logits)', '  output probs    = softmax(logits, ');
    const items = await client.call<{ label: string; kind: number; insertText?: string }[]>(
      'textDocument/completion',
      at('softmax(logits, ', 'softmax(logits, '.length),
    );
    expect(items[0]).toMatchObject({ label: 'axis', insertText: 'axis = ' });
    expect(items.map((i) => i.label)).toEqual(expect.arrayContaining(['h', 'logits', 'W1', 'relu', 'dense']));
    change('  output probs    = softmax(logits, ', '  output probs    = softmax(logits)');
    await diagnosticsOf(version);
  });

  it('lists the document symbols', async () => {
    const symbols = await client.call<
      { name: string; kind: number; children: { name: string; detail?: string }[] }[]
    >('textDocument/documentSymbol', { textDocument: { uri } });
    expect(symbols.map((s) => s.name)).toEqual(['dense', 'TwoLayerNet']);
    expect(symbols[1].children.find((c) => c.name === 'h')?.detail).toBe('float[N, H] = [N, 100]');
  });

  it('renames a let everywhere, and refuses to rename an input with the reason', async () => {
    const prepared = await client.call<{ range: Range; placeholder: string }>(
      'textDocument/prepareRename',
      at('let h', 4),
    );
    expect(prepared.placeholder).toBe('h');
    const edit = await client.call<{ changes: Record<string, { range: Range; newText: string }[]> }>(
      'textDocument/rename',
      { ...at('let h', 4), newName: 'hidden' },
    );
    const edits = edit.changes[uri];
    expect(edits).toHaveLength(2);
    expect(edits.every((e) => e.newText === 'hidden')).toBe(true);
    expect(edits.map((e) => e.range.start)).toEqual([pos(current, 'let h', 4), pos(current, 'dense(h', 6)]);
    const refused = await client.request('textDocument/rename', { ...at('input y', 6), newName: 'labels' });
    expect(refused.error?.message).toMatch(/inputs are matched to data by name/);
  });

  it('shuts down and exits cleanly', async () => {
    expect(await client.call('shutdown', null)).toBeNull();
    client.notify('exit');
    expect(await client.exited).toBe(0);
    expect(client.stderr).toBe('');
  });
});
