import { describe, expect, it } from 'vitest';
import { batchnorm, dropout } from './composites.js';
import { GradusError } from './diagnostic.js';
import { grad } from './grad.js';
import { type Graph, graph } from './graph.js';
import { init } from './init.js';
import type { Node } from './node.js';
import { assertValidGraph, validateGraph } from './validate.js';

/** Appends a hand-made node to a graph, bypassing `Graph.add` (which would refuse it). */
function forge(g: Graph, node: Omit<Node, 'id'> & { id?: number }): Node {
  const n = { id: g.nodes.length, ...node } as Node;
  g.nodes.push(n);
  return n;
}

function net(): { g: Graph; x: Node; W: Node } {
  const g = graph();
  const x = g.input('x', ['N', 2]);
  const W = g.param('W', [2, 3], init.glorotUniform());
  const h = batchnorm(dropout(x.matMul(W), 0.9), g.param('gamma', [3], init.ones()), g.param('beta', [3]));
  const loss = h.square().mean();
  g.output('loss', loss, 'loss');
  const [dW] = grad(loss, [W]);
  g.assign('W', W.sub(dW.mul(0.1)));
  return { g, x: x.node, W: W.node };
}

const codes = (g: Graph) => validateGraph(g).map((d) => d.code);

describe('validateGraph', () => {
  it('accepts graphs built with the builder (with grad, dropout, batchnorm and updates)', () => {
    const { g } = net();
    expect(validateGraph(g)).toEqual([]);
    expect(() => assertValidGraph(g)).not.toThrow();
  });

  it('reports an unknown op with a suggestion, naming the node', () => {
    const { g, x } = net();
    const n = forge(g, { op: 'Matmul' as never, inputs: [x, x], attrs: {}, dtype: 'f64', shape: [] });
    const [d] = validateGraph(g);
    expect(d.code).toBe('E0221');
    expect(d.message).toBe(`%${n.id} = Matmul(%0, %0): unknown op 'Matmul'`);
    expect(d.hint).toBe(`did you mean 'MatMul'?`);
  });

  it('reports a wrong number of inputs', () => {
    const { g, x } = net();
    forge(g, { op: 'Neg', inputs: [x, x], attrs: {}, dtype: 'f64', shape: ['N', 2] });
    expect(codes(g)).toEqual(['E0222']);
    expect(validateGraph(g)[0].message).toMatch(/Neg takes 1 inputs, got 2/);
  });

  it('reports inputs that come later or belong to another graph, and bad ids', () => {
    const { g, x } = net();
    const later = { ...x, id: g.nodes.length + 1 } as Node;
    forge(g, { op: 'Neg', inputs: [later], attrs: {}, dtype: 'f64', shape: ['N', 2] });
    const other = graph().input('z', [2]).node;
    forge(g, { op: 'Neg', inputs: [other], attrs: {}, dtype: 'f64', shape: [2] });
    forge(g, { id: 999, op: 'Neg', inputs: [x], attrs: {}, dtype: 'f64', shape: ['N', 2] });
    expect(codes(g)).toEqual(['E0223', 'E0223', 'E0224']);
  });

  it('reports a recorded type that the shape rule does not give, with the node’s span', () => {
    const { g, x } = net();
    forge(g, {
      op: 'Exp',
      inputs: [x],
      attrs: {},
      dtype: 'f64',
      shape: ['N', 3],
      span: { start: 4, end: 7 },
    });
    const [d] = validateGraph(g);
    expect(d.code).toBe('E0226');
    expect(d.span).toEqual({ start: 4, end: 7 });
    expect(d.message).toMatch(/recorded as f64\[N, 3\] but its shape rule gives f64\[N, 2\]/);
  });

  it('reports a node its shape rule rejects', () => {
    const { g, x } = net();
    forge(g, {
      op: 'MatMul',
      inputs: [x, x],
      attrs: { transA: false, transB: false },
      dtype: 'f64',
      shape: ['N', 2],
    });
    expect(codes(g)).toEqual(['E0225']);
    expect(validateGraph(g)[0].message).toMatch(/inner dimensions differ/);
  });

  it('reports attrs that are not JSON', () => {
    const { g, x } = net();
    forge(g, {
      op: 'Reshape',
      inputs: [x],
      attrs: { shape: new Float64Array(2) as never },
      dtype: 'f64',
      shape: [2],
    });
    forge(g, {
      op: 'Sum',
      inputs: [x],
      attrs: { axes: [0], keepdims: undefined as never },
      dtype: 'f64',
      shape: [2],
    });
    expect(codes(g)).toEqual(['E0227', 'E0227']);
    expect(validateGraph(g)[0].message).toMatch(/attrs\.shape is a Float64Array/);
    expect(validateGraph(g)[1].message).toMatch(/attrs\.keepdims is undefined/);
  });

  it('reports outputs and updates that refer to nodes outside the graph', () => {
    const { g } = net();
    const stray = graph().input('q', []).node;
    g.outputs.set('stray', { node: stray, kind: 'output' });
    g.updates.set('W', stray);
    expect(codes(g)).toEqual(['E0228', 'E0228']);
  });

  it('reports updates of unknown variables or with another type, and a non-scalar loss', () => {
    const { g, x, W } = net();
    g.updates.set('Wx', W);
    g.updates.set('gamma', W);
    g.outputs.set('loss2', { node: x, kind: 'loss' });
    const ds = validateGraph(g);
    expect(ds.map((d) => d.code)).toEqual(['E0232', 'E0229', 'E0230']);
    expect(ds[1].hint).toBe(`did you mean 'W'?`);
    expect(ds[2].message).toMatch(/is f64\[2, 3\], but it updates 'gamma' of type f64\[3\]/);
  });

  it('reports duplicate Input/Variable names and role maps that disagree with the nodes', () => {
    const { g, W } = net();
    forge(g, {
      op: 'Input',
      inputs: [],
      attrs: { name: 'W', shape: [2], dtype: 'f64' },
      dtype: 'f64',
      shape: [2],
    });
    g.inputs.set('w', W);
    const ds = validateGraph(g);
    expect(ds.map((d) => d.code)).toEqual(['E0233', 'E0234']);
    expect(ds[0].message).toMatch(/the name 'W' is already used by %1 = Variable \{name: W\}/);
  });

  it('never throws, even on garbage', () => {
    const g = graph();
    g.nodes.push(null as never);
    g.nodes.push({ id: 1, op: 'Neg', inputs: null, attrs: null } as never);
    g.nodes.push({ id: 2, op: 'toString', inputs: [], attrs: {} } as never);
    g.nodes.push({ id: 3, op: 'Add', inputs: [undefined, 5], attrs: {}, dtype: 'f64', shape: [] } as never);
    g.outputs.set('o', undefined as never);
    expect(() => validateGraph(g)).not.toThrow();
    expect(codes(g)).toEqual(['E0220', 'E0220', 'E0221', 'E0223', 'E0223', 'E0231', 'E0228']);
    expect(() => assertValidGraph(g)).toThrow(GradusError);
  });
});
