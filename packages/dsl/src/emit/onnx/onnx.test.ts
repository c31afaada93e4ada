/**
 * The ONNX writer's wire format byte by byte, and what the exporter refuses. That exported files
 * run in onnxruntime with Gradus's results is `test/onnx-export.test.ts`.
 */
import { conv2d, GradusError, grad, graph, initVariables } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../../model-file.js';
import { emitOnnx } from './emit-onnx.js';
import { ProtoWriter } from './protobuf.js';
import { readMessage, summariseOnnx } from './read-proto.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function errorOf(fn: () => unknown): GradusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof GradusError) return e;
    throw e;
  }
  throw new Error('expected a GradusError');
}

describe('the protobuf writer', () => {
  it('writes varints, negative int64s, floats, strings and nested messages as protoc does', () => {
    // protoc's encodings: field 1 = 150 is 08 96 01; -1 as int64 is ten bytes ending in 01.
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe('089601');
    expect(hex(new ProtoWriter().int(3, -1).finish())).toBe('18ffffffffffffffffff01');
    expect(hex(new ProtoWriter().float(2, 1).finish())).toBe('150000803f');
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    expect(hex(new ProtoWriter().message(3, new ProtoWriter().int(1, 150)).finish())).toBe('1a03089601');
    expect(() => new ProtoWriter().int(1, 0.5)).toThrow(/needs an integer/);
  });

  it('reads back what it wrote', () => {
    const m = readMessage(new ProtoWriter().int(1, -7).string(2, 'x').float(3, 0.5).int(1, 2).finish());
    expect(m.get(1)).toEqual([-7, 2]);
    expect(new TextDecoder().decode(m.get(2)?.[0] as Uint8Array)).toBe('x');
    expect(m.get(3)).toEqual([0.5]);
  });
});

const MODEL = `model Tiny {
  dim N, D = 3, C = 2
  input x: float[N, D]
  input y: int[N]
  param W: [D, C]
  let h = dropout(x, keep = 0.5)
  output scores = h @ W
  loss = mean(cross_entropy(h @ W, y))
}
`;

function lowered(mode: 'train' | 'eval') {
  const checked = checkSource({ name: 'tiny.model', text: MODEL }, { floatDtype: 'f32', mode });
  if (!checked.lowered) throw new Error(JSON.stringify(checked.diagnostics));
  return checked.lowered.graph;
}

describe('emitOnnx', () => {
  it('exports the outputs by default, with their inputs and a symbolic batch', () => {
    const g = lowered('eval');
    const s = summariseOnnx(emitOnnx(g, { variables: initVariables(g, 1) }));
    expect(s.outputs).toEqual([{ name: 'scores', elemType: 1, dims: ['N', 2] }]);
    // The labels are not read by the scores, so they are not an input of the file.
    expect(s.inputs).toEqual([{ name: 'x', elemType: 1, dims: ['N', 3] }]);
    expect(s.initializers).toContain('W');
    expect(s.ops).toEqual(['MatMul']);
  });

  it('names an op with no ONNX form, at its line in the .model', () => {
    const g = lowered('train');
    const e = errorOf(() => emitOnnx(g, { variables: initVariables(g, 1) }));
    expect(e.code).toBe('E0280');
    expect(e.message).toContain('RandomUniform has no ONNX form');
    const span = e.diagnostics[0].span;
    expect(span && MODEL.slice(span.start, span.end)).toBe('dropout(x, keep = 0.5)');
  });

  it('refuses a gradient through a convolution: Col2Im is not in opset 17', () => {
    const g = graph({ floatDtype: 'f32' });
    const x = g.input('x', ['N', 1, 4, 4]);
    const [dx] = grad(conv2d(x, g.param('w', [1, 1, 3, 3])).sum(), [x]);
    g.output('dx', dx);
    const e = errorOf(() => emitOnnx(g, { variables: initVariables(g, 1) }));
    expect(e.code).toBe('E0280');
    expect(e.message).toMatch(/Col2Im has no ONNX form: ONNX has Col2Im only from opset 18/);
  });

  it('says which result, variable or size is missing', () => {
    const g = lowered('eval');
    const vars = initVariables(g, 1);
    expect(errorOf(() => emitOnnx(g, { variables: vars, outputs: ['score'] })).message).toBe(
      "E0282: ONNX export: there is no result named 'score'",
    );
    expect(errorOf(() => emitOnnx(g, { variables: vars, outputs: ['score'] })).diagnostics[0].hint).toBe(
      'did you mean scores?',
    );
    expect(errorOf(() => emitOnnx(g, { variables: {} })).message).toBe(
      "E0283: ONNX export: no value for the variable 'W'",
    );
    const wrong = { W: { ...vars.W, shape: [2, 3] } };
    expect(errorOf(() => emitOnnx(g, { variables: wrong })).code).toBe('E0283');

    // A size that only a param has cannot be read off the inputs when the model runs.
    const h = graph({ floatDtype: 'f32' });
    const v = h.param('v', ['K']);
    h.output('y', v.op('BroadcastTo', [], { shape: [2, 'K'] }));
    const e = errorOf(() =>
      emitOnnx(h, { variables: { v: { shape: [2], dtype: 'f32', data: Float64Array.of(1, 2) } } }),
    );
    expect(e.code).toBe('E0281');
    expect(e.message).toContain('the size K is not an axis of any exported input');
  });
});
