import { describe, expect, it } from 'vitest';
import { grad } from './grad.js';
import { graph } from './graph.js';
import { init } from './init.js';
import { describeNode, formatAttrValue, formatGraph, formatNode, formatNodes, formatNumber } from './text.js';

/** A one-layer classifier with a mean cross-entropy loss and an SGD update of W. */
function smallGraph() {
  const g = graph({ floatDtype: 'f32', seed: 1 });
  const x = g.input('x', ['N', 2]);
  const y = g.input('y', ['N'], 'i32');
  const W = g.param('W', [2, 3], init.glorotUniform());
  const loss = g.withSpan({ start: 10, end: 24 }, () => x.matMul(W).crossEntropy(y).mean());
  g.output('loss', loss, 'loss');
  g.output('pred', x.matMul(W).argmax({ axis: 1 }));
  const [dW] = grad(loss, [W]);
  g.assign('W', W.sub(dW.mul(0.1)));
  return g;
}

describe('text form', () => {
  it('prints a small graph, one line per node, then its roles', () => {
    const g = graph();
    const x = g.input('x', ['N', 2]);
    const W = g.param('W', [2, 100], init.heNormal());
    const b = g.param('b', [100]);
    const h = x.matMul(W).add(b).relu();
    g.output('h', h);
    g.output('s', h.sum(), 'loss');
    expect(formatGraph(g)).toMatchInlineSnapshot(`
      "graph f64 train seed=0
      %0: f64[N, 2] = Input {name: x}
      %1: f64[2, 100] = Variable {name: W, kind: param, init: {kind: he_normal}}
      %2: f64[100] = Variable {name: b, kind: param, init: {kind: zeros}}
      %3: f64[N, 100] = MatMul(%0, %1) {transA: false, transB: false}
      %4: f64[N, 100] = Add(%3, %2)
      %5: f64[] = Const 0
      %6: bool[N, 100] = Greater(%4, %5)
      %7: f64[N, 100] = Where(%6, %4, %5)
      %8: f64[] = Sum(%7) {axes: [0, 1], keepdims: false}
      output h = %7
      loss s = %8"
    `);
  });

  it('prints a classifier with its gradient and update, spans on request', () => {
    const g = smallGraph();
    expect(formatGraph(g, { reachableOnly: true, spans: true })).toMatchInlineSnapshot(`
      "graph f32 train seed=1
      %0: f32[N, 2] = Input {name: x}
      %1: i32[N] = Input {name: y}
      %2: f32[2, 3] = Variable {name: W, kind: param, init: {kind: glorot_uniform}}
      %3: f32[N, 3] = MatMul(%0, %2) {transA: false, transB: false} @10:24
      %4: f32[N, 1] = Max(%3) {axes: [1], keepdims: true} @10:24
      %5: f32[N, 1] = StopGradient(%4) @10:24
      %6: f32[N, 3] = Sub(%3, %5) @10:24
      %7: f32[N, 3] = Exp(%6) @10:24
      %8: f32[N, 1] = Sum(%7) {axes: [1], keepdims: true} @10:24
      %9: f32[N, 1] = Log(%8) @10:24
      %10: f32[N, 1] = Add(%9, %5) @10:24
      %11: f32[N, 3] = Sub(%3, %10) @10:24
      %12: f32[N] = Gather(%11, %1) {axis: 1} @10:24
      %13: f32[N] = Neg(%12) @10:24
      %14: f32[] = Sum(%13) {axes: [0], keepdims: false} @10:24
      %15: f32[] = Size {dims: [N], dtype: f32} @10:24
      %16: f32[] = Div(%14, %15) @10:24
      %17: i32[N] = ArgMax(%3) {axis: 1, keepdims: false}
      %18: f32[] = Const 1
      %19: f32[] = Div(%18, %15) @10:24
      %20: f32[1] = Reshape(%19) {shape: [1]} @10:24
      %21: f32[N] = BroadcastTo(%20) {shape: [N]} @10:24
      %22: f32[N] = Neg(%21) @10:24
      %23: bool[N, 3] = OneHot(%1) {depth: 3, axis: 1, dtype: bool} @10:24
      %24: f32[N, 1] = Reshape(%22) {shape: [N, 1]} @10:24
      %25: f32[] = Const 0 @10:24
      %26: f32[N] = BroadcastTo(%25) {shape: [N]} @10:24
      %27: f32[N, 1] = Reshape(%26) {shape: [N, 1]} @10:24
      %28: f32[N, 3] = Where(%23, %24, %27) @10:24
      %29: f32[N, 3] = Neg(%28) @10:24
      %30: f32[N] = Sum(%29) {axes: [1], keepdims: false} @10:24
      %31: f32[N, 1] = Reshape(%30) {shape: [N, 1]} @10:24
      %32: f32[N, 1] = Div(%31, %8) @10:24
      %33: f32[N, 3] = BroadcastTo(%32) {shape: [N, 3]} @10:24
      %34: f32[N, 3] = Mul(%33, %7) @10:24
      %35: f32[N, 3] = Add(%28, %34) @10:24
      %40: f32[2, 3] = MatMul(%0, %35) {transA: true, transB: false} @10:24
      %41: f32[] = Const 0.1
      %42: f32[2, 3] = Mul(%40, %41)
      %43: f32[2, 3] = Sub(%2, %42)
      loss loss = %16
      output pred = %17
      update W = %43"
    `);
  });

  it('abbreviates long constants and spells out non-finite numbers', () => {
    const g = graph();
    const c = g.constant(Array.from({ length: 20 }, (_, i) => i));
    expect(formatNode(c.node)).toBe('%0: f64[20] = Const [0, 1, 2, 3, 4, 5, 6, 7, ... 12 more]');
    expect(formatNode(c.node, { maxItems: 3 })).toBe('%0: f64[20] = Const [0, 1, 2, ... 17 more]');
    const m = g.constant([-Infinity, Infinity, Number.NaN, -0]);
    expect(formatNode(m.node)).toBe('%1: f64[4] = Const [-inf, inf, nan, -0]');
    expect(formatNode(g.constant(-Infinity).node)).toBe('%2: f64[] = Const -inf');
    expect([formatNumber(1e-7), formatNumber(0.1), formatNumber(-3)]).toEqual(['1e-7', '0.1', '-3']);
  });

  it('quotes strings that are not plain names', () => {
    expect(formatAttrValue('x')).toBe('x');
    expect(formatAttrValue('bn0.running_mean')).toBe('bn0.running_mean');
    expect(formatAttrValue('two words')).toBe('"two words"');
    expect(formatAttrValue('true')).toBe('"true"');
    expect(formatAttrValue({ 'a-b': [1, 'c'], ok: null })).toBe('{"a-b": [1, c], ok: null}');
  });

  it('describes nodes briefly for messages', () => {
    const g = graph();
    const x = g.input('x', [2, 2]);
    const y = x.matMul(x);
    expect(describeNode(x.node)).toBe('%0 = Input {name: x}');
    expect(describeNode(y.node)).toBe('%1 = MatMul(%0, %0)');
    expect(formatNodes([y.node])).toBe(
      '%0: f64[2, 2] = Input {name: x}\n%1: f64[2, 2] = MatMul(%0, %0) {transA: false, transB: false}',
    );
  });
});
