import { describe, expect, it } from 'vitest';
import { emitDot, quote } from './dot.js';
import { graphParts } from './parts.js';
import { lowerModel, MODEL_FILES } from './test-helpers.js';
import { allOpsGraph } from './ts-fixtures.js';

type Token = { kind: 'id' | 'string' | 'punct'; text: string };

/** DOT's lexical structure, enough to check the emitter: ids, quoted strings, punctuation. */
function tokenize(dot: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s+|"((?:[^"\\\n]|\\.)*)"|([A-Za-z_][A-Za-z0-9_]*|-?\d+(?:\.\d+)?)|(->|[{}[\];=,])|(.)/gsy;
  for (let m = re.exec(dot); m; m = re.exec(dot)) {
    if (m[4] !== undefined) throw new Error(`unexpected character ${JSON.stringify(m[4])} at ${m.index}`);
    if (m[1] !== undefined) tokens.push({ kind: 'string', text: m[1] });
    else if (m[2] !== undefined) tokens.push({ kind: 'id', text: m[2] });
    else if (m[3] !== undefined) tokens.push({ kind: 'punct', text: m[3] });
  }
  return tokens;
}

/** Checks the structure: balanced braces and brackets, and every edge endpoint declared as a node. */
function checkStructure(dot: string): { nodes: Set<string>; edges: [string, string][]; clusters: string[] } {
  const tokens = tokenize(dot);
  const nodes = new Set<string>();
  const edges: [string, string][] = [];
  const clusters: string[] = [];
  const stack: string[] = [];
  tokens.forEach((t, i) => {
    if (t.kind === 'punct' && (t.text === '{' || t.text === '[')) stack.push(t.text);
    if (t.kind === 'punct' && (t.text === '}' || t.text === ']')) {
      const open = stack.pop();
      if (open !== (t.text === '}' ? '{' : '[')) throw new Error(`unbalanced ${t.text} at token ${i}`);
    }
    const next = tokens[i + 1];
    const prev = tokens[i - 1];
    if (t.kind === 'id' && prev?.text === 'subgraph') clusters.push(t.text);
    const atStatement = !prev || [';', '{', '}'].includes(prev.text);
    if (t.kind === 'id' && atStatement && next?.text === '[' && !['graph', 'node', 'edge'].includes(t.text)) {
      nodes.add(t.text);
    }
    if (t.text === '->') edges.push([prev.text, next.text]);
  });
  if (stack.length > 0) throw new Error(`unclosed ${stack.join('')}`);
  for (const [a, b] of edges) {
    if (!nodes.has(a) || !nodes.has(b)) throw new Error(`edge ${a} -> ${b} has an undeclared endpoint`);
  }
  return { nodes, edges, clusters };
}

describe('emitDot', () => {
  it.each(MODEL_FILES)(
    '%s: balanced, every edge endpoint declared, forward and backward clusters',
    (file) => {
      const { graph, model } = lowerModel(file);
      const dot = emitDot(graph, model);
      const { nodes, edges, clusters } = checkStructure(dot);
      expect(clusters).toEqual(['cluster_forward', 'cluster_backward']);
      const parts = graphParts(graph);
      // One node per graph node drawn, plus the output, update and gradient sinks.
      expect(nodes.size).toBeGreaterThan(parts.outputs.length + parts.params.length);
      expect(edges.length).toBeGreaterThanOrEqual(nodes.size - 1);
      for (const p of parts.params) expect(dot).toContain(quote(`${p.name}\n`).slice(0, -1));
    },
  );

  it('escapes hostile names (quotes, backslashes, newlines, comment markers)', () => {
    const { graph, model } = allOpsGraph();
    const dot = emitDot(graph, model);
    checkStructure(dot);
    expect(dot.startsWith('digraph "All \\"ops\\"\\n*/ model" {')).toBe(true);
    expect(dot).toContain('"bn \\"running\\"\\nmean\\n[4] f64"');
    expect(quote('a\\b"c\nd')).toBe('"a\\\\b\\"c\\nd"');
  });

  it('can leave out the backward graph', () => {
    const { graph, model } = lowerModel('ravine.model');
    const { clusters } = checkStructure(emitDot(graph, model, { backward: false, rankdir: 'LR' }));
    expect(clusters).toEqual(['cluster_forward']);
  });

  it('draws ravine.model as in the golden file', async () => {
    const { graph, model } = lowerModel('ravine.model');
    await expect(emitDot(graph, model)).toMatchFileSnapshot('__golden__/ravine.dot.snap');
  });
});
