import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchnorm, dropout } from './composites.js';
import { GradusError } from './diagnostic.js';
import { grad } from './grad.js';
import { type Graph, graph } from './graph.js';
import { init } from './init.js';
import { run } from './interpreter.js';
import type { AttrValue } from './node.js';
import { randomGraphArb } from './passes/random-graphs.js';
import { decodeAttr, encodeAttr, fromJSON, type GraphJSON, serializeGraph, toJSON } from './serialize.js';
import { validateGraph } from './validate.js';

/** The lectures' two-layer net with dropout, batchnorm, its gradients and an SGD update. */
function twoLayerNet(): Graph {
  const g = graph({ seed: 5 });
  const x = g.input('x', ['N', 2]);
  const y = g.input('y', ['N'], 'i32');
  const W1 = g.param('W1', [2, 8], init.glorotUniform());
  const W2 = g.param('W2', [8, 3], init.glorotUniform());
  const b2 = g.param('b2', [3]);
  const h = g.withSpan({ start: 0, end: 12 }, () =>
    batchnorm(dropout(x.matMul(W1), 0.8).relu(), g.param('g', [8], init.ones()), g.param('b', [8])),
  );
  const logits = h.matMul(W2).add(b2);
  const loss = logits.crossEntropy(y).mean();
  g.output('loss', loss, 'loss');
  g.output('acc', logits.argmax({ axis: 1 }).eq(y).mean(), 'metric');
  const params = [W1, W2, b2];
  grad(loss, params).forEach((d, k) => {
    g.assign(params[k].node.attrs.name as string, params[k].sub(d.mul(0.1)));
  });
  return g;
}

const roundTrip = (g: Graph) => fromJSON(JSON.parse(JSON.stringify(toJSON(g))));

/** Exact equality of every output and update (NaN equals NaN). */
function expectSameRuns(a: Graph, b: Graph, opts: Parameters<typeof run>[1]): void {
  const ra = run(a, opts);
  const rb = run(b, opts);
  expect(rb.outputs).toEqual(ra.outputs);
  expect(rb.updates).toEqual(ra.updates);
}

const netFeeds = {
  x: [
    [0.5, -1],
    [2, 0.25],
    [-1.5, 1],
  ],
  y: [2, 0, 1],
  $step: 3,
};

function expectError(json: unknown, code: string, message?: RegExp): GradusError {
  try {
    fromJSON(json);
  } catch (e) {
    expect(e).toBeInstanceOf(GradusError);
    const err = e as GradusError;
    expect(err.code).toBe(code);
    if (message) expect(err.message).toMatch(message);
    return err;
  }
  throw new Error('fromJSON accepted a bad document');
}

describe('toJSON / fromJSON', () => {
  it('round-trips the two-layer net: same results, same JSON, same spans, roles and options', () => {
    const g = twoLayerNet();
    const json = toJSON(g);
    const text = JSON.stringify(json);
    const h = fromJSON(JSON.parse(text));
    expect(JSON.stringify(toJSON(h))).toBe(text);
    expect(h.nodes.length).toBe(g.nodes.length);
    expect(h.nodes.map((n) => n.span)).toEqual(g.nodes.map((n) => n.span));
    expect([...h.outputs].map(([k, o]) => [k, o.kind, o.node.id])).toEqual(
      [...g.outputs].map(([k, o]) => [k, o.kind, o.node.id]),
    );
    expect([h.floatDtype, h.mode, h.seed]).toEqual(['f64', 'train', 5]);
    expect(validateGraph(h)).toEqual([]);
    expectSameRuns(g, h, { feeds: netFeeds, initSeed: 9 });
  });

  it('writes the documented format', () => {
    const g = graph({ floatDtype: 'f32', seed: 2 });
    const x = g.input('x', ['N']);
    g.withSpan({ start: 3, end: 8 }, () => g.output('y', x.exp(), 'output'));
    expect(toJSON(g)).toEqual({
      format: 'gradus-ir',
      version: 1,
      floatDtype: 'f32',
      mode: 'train',
      seed: 2,
      streams: 0,
      nodes: [
        {
          id: 0,
          op: 'Input',
          inputs: [],
          attrs: { name: 'x', shape: ['N'], dtype: 'f32' },
          dtype: 'f32',
          shape: ['N'],
        },
        { id: 1, op: 'Exp', inputs: [0], attrs: {}, dtype: 'f32', shape: ['N'], span: { start: 3, end: 8 } },
      ],
      inputs: { x: 0 },
      variables: {},
      outputs: { y: { node: 1, kind: 'output' } },
      updates: {},
    });
  });

  it('round-trips random graphs (fast-check)', () => {
    fc.assert(
      fc.property(randomGraphArb(), ({ g, feeds, dims }) => {
        const text = serializeGraph(g);
        const h = fromJSON(JSON.parse(text));
        expect(serializeGraph(h)).toBe(text);
        expect(validateGraph(h)).toEqual([]);
        expectSameRuns(g, h, { feeds, dims });
      }),
      { numRuns: 150 },
    );
  });

  it('keeps non-finite numbers and −0 in attrs', () => {
    const g = graph();
    const c = g.constant([-Infinity, Infinity, Number.NaN, -0, 1.5]);
    g.output('c', c);
    g.output('m', c.max());
    g.param('w', [2], init.literal([-Infinity, -0]));
    const text = JSON.stringify(toJSON(g));
    expect(text).toContain('{"$float":"-Infinity"}');
    expect(text).toContain('{"$float":"-0"}');
    const h = fromJSON(JSON.parse(text));
    expect(h.outputs.get('c')!.node.attrs.value).toEqual([-Infinity, Infinity, Number.NaN, -0, 1.5]);
    expect(Object.is((h.outputs.get('c')!.node.attrs.value as number[])[3], -0)).toBe(true);
    expect(h.variables.get('w')!.attrs.init).toEqual({ kind: 'literal', value: [-Infinity, -0] });
    expect(run(h).outputs.m.data[0]).toBeNaN(); // max with a NaN is NaN, as before
  });

  it('encodes any attr value losslessly, `$` keys included', () => {
    const finiteOrNot = fc.oneof(fc.double(), fc.constantFrom(-0, Infinity, -Infinity, Number.NaN));
    const attr = fc.letrec<{ v: AttrValue }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        finiteOrNot,
        fc.string(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('$float', '$$x', '$')), tie('v'), { maxKeys: 4 }),
      ),
    })).v;
    fc.assert(
      fc.property(attr, (v) => {
        expect(decodeAttr(JSON.parse(JSON.stringify(encodeAttr(v))))).toEqual(v);
      }),
      { numRuns: 300 },
    );
  });

  it('restores the random-stream counter, so later streams do not collide', () => {
    const g = twoLayerNet();
    const h = roundTrip(g);
    expect(h.streamCount).toBe(g.streamCount);
    expect(h.nextStream()).toBe(g.nextStream());
  });
});

describe('fromJSON errors', () => {
  const good = () => toJSON(twoLayerNet()) as unknown as Record<string, unknown> & GraphJSON;

  it('rejects documents that are not Gradus IR, or of another version', () => {
    expectError({ format: 'onnx' }, 'E0251', /not a Gradus IR document/);
    expectError(null, 'E0251');
    expectError('{ nope', 'E0251', /not JSON/);
    expectError({ ...good(), version: 2 }, 'E0252', /unsupported IR version 2/);
    expectError({ ...good(), mode: 'test' }, 'E0251', /mode/);
  });

  it('rejects an unknown op, with a suggestion', () => {
    const json = good();
    json.nodes[7] = { ...json.nodes[7], op: 'Matmul' as never };
    const err = expectError(json, 'E0253', /node %7 has unknown op "Matmul"/);
    expect(err.diagnostics[0].hint).toBe(`did you mean 'MatMul'?`);
  });

  it('rejects dangling input ids and roles that name missing nodes', () => {
    const json = good();
    const mm = json.nodes.findIndex((n) => n.op === 'MatMul');
    json.nodes[mm] = { ...json.nodes[mm], inputs: [0, 4000] };
    expectError(
      json,
      'E0255',
      new RegExp(`node %${mm} \\(MatMul\\) uses input 4000, which is not an earlier node`),
    );
    const json2 = good();
    json2.outputs.loss = { node: 12345, kind: 'loss' };
    expectError(json2, 'E0255', /output 'loss' refers to missing node 12345/);
  });

  it('rejects nodes whose shape rule fails or whose recorded type is wrong', () => {
    const json = good();
    const mm = json.nodes.findIndex((n) => n.op === 'MatMul');
    json.nodes[mm] = { ...json.nodes[mm], inputs: [json.nodes[mm].inputs[0], json.nodes[mm].inputs[0]] };
    expectError(json, 'E0256', /inner dimensions differ/);
    const json2 = good();
    json2.nodes[mm] = { ...json2.nodes[mm], shape: ['N', 7] };
    expectError(json2, 'E0257', /recorded as f64\[N, 7\] but .* gives f64\[N, 8\]/);
  });

  it('keeps compound dims (N*T, T - 1) exactly, and refuses a dim not in canonical form', () => {
    const g = graph();
    const x = g.input('x', ['N', 'T', 2]);
    const y = x
      .reshape([-1, 2])
      .reshape([-1, 'T', 2])
      .index(['all', { start: 1 }]);
    g.output('y', y.sum({ axis: 1 }));
    const back = roundTrip(g);
    expect(back.nodes.map((n) => n.shape)).toEqual(g.nodes.map((n) => n.shape));
    expect(JSON.stringify(toJSON(back))).toBe(JSON.stringify(toJSON(g)));
    const json = toJSON(g) as GraphJSON;
    const flat = json.nodes.findIndex((n) => n.op === 'Reshape');
    json.nodes[flat] = { ...json.nodes[flat], shape: ['T*N', 2] };
    expectError(json, 'E0254', /malformed shape/);
  });

  it('rejects a graph that does not validate (an update of the wrong shape)', () => {
    const json = good();
    json.updates.W1 = json.updates.b2;
    expectError(json, 'E0230', /fromJSON: .* updates 'W1' of type f64\[2, 8\]/);
  });

  it('throws only GradusErrors, never a TypeError, whatever part of a document is replaced', () => {
    const base = good();
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (v && typeof v === 'object')
        for (const [k, e] of Object.entries(v)) walk(e, [...path, Array.isArray(v) ? Number(k) : k]);
    };
    walk(base, []);
    const junk = fc.oneof(
      fc.anything(),
      fc.constant(undefined),
      fc.integer({ min: -3, max: 200 }),
      fc.constant('N'),
    );
    fc.assert(
      fc.property(fc.nat({ max: paths.length - 1 }), junk, (k, replacement) => {
        const doc = structuredClone(base) as unknown as Record<string | number, unknown>;
        const path = paths[k];
        let target: Record<string | number, unknown> | undefined = path.length === 0 ? undefined : doc;
        for (const key of path.slice(0, -1)) target = target?.[key] as Record<string | number, unknown>;
        if (target) target[path[path.length - 1]] = replacement;
        const parsed = target ? doc : replacement;
        try {
          const g = fromJSON(parsed);
          expect(validateGraph(g).filter((d) => d.severity === 'error')).toEqual([]);
        } catch (e) {
          if (!(e instanceof GradusError)) throw e;
        }
      }),
      { numRuns: 500 },
    );
  });
});
