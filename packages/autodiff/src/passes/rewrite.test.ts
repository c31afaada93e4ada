import { describe, expect, it } from 'vitest';
import { dropout } from '../composites.js';
import { GradusError } from '../diagnostic.js';
import { graph } from '../graph.js';
import { run } from '../interpreter.js';
import type { Node } from '../node.js';
import { cse, dce, optimize } from './index.js';
import { countLiveNodes, type Rule, rewrite } from './rewrite.js';

describe('rewrite engine', () => {
  it('drops dead nodes but keeps every named input and variable', () => {
    const g = graph();
    const x = g.input('x', [2]);
    g.input('unused', [3]);
    g.param('W', [2]);
    x.exp().log(); // dead
    g.output('y', x.mul(2));
    expect(g.nodes.length).toBe(7); // x, unused, W, exp, log, 2, mul
    const h = dce(g);
    expect(h.nodes.map((n) => n.op)).toEqual(['Input', 'Input', 'Variable', 'Const', 'Mul']);
    expect([...h.inputs.keys()]).toEqual(['x', 'unused']);
    expect([...h.variables.keys()]).toEqual(['W']);
    expect(countLiveNodes(h)).toBe(5);
    expect(g.nodes.length).toBe(7); // the original is untouched
  });

  it('merges commutative duplicates (a + b and b + a)', () => {
    const g = graph();
    const a = g.input('a', [2]);
    const b = g.input('b', [2]);
    g.output('s', a.add(b).mul(b.add(a)));
    const h = cse(g);
    const mul = h.outputs.get('s')!.node;
    expect(mul.inputs[0]).toBe(mul.inputs[1]);
    expect(Array.from(run(h, { feeds: { a: [1, 2], b: [3, 5] } }).outputs.s.data)).toEqual([16, 49]);
  });

  it('gives rules nodes whose inputs are already rewritten, and applies them to a fixed point', () => {
    const g = graph();
    const x = g.input('x', [2]);
    g.output('y', x.exp().exp().exp());
    // Exp(Exp(a)) → Sin(a): bottom-up, the inner pair is rewritten first, so the outer Exp sees Sin.
    const seen: string[] = [];
    const rule: Rule = (n, ctx) => {
      seen.push(`${n.op}(${n.inputs.map((i) => i.op).join()})`);
      return n.op === 'Exp' && n.inputs[0].op === 'Exp' ? ctx.add('Sin', [n.inputs[0].inputs[0]]) : undefined;
    };
    const h = rewrite(g, [rule]);
    const y = h.outputs.get('y')!.node;
    expect(`${y.op}(${y.inputs[0].op}(${y.inputs[0].inputs[0].op}))`).toBe('Exp(Sin(Input))');
    expect(seen).toContain('Exp(Sin)');
  });

  it('accepts a builder Value as a replacement, and gives new nodes the rewritten node’s span', () => {
    const g = graph();
    const x = g.input('x', [2]);
    g.withSpan({ start: 5, end: 9 }, () => g.output('y', x.neg()));
    const rule: Rule = (n, ctx) =>
      n.op === 'Neg' ? ctx.graph.value(n.inputs[0]).mul(ctx.graph.constant(-1)) : undefined;
    const h = rewrite(g, [rule]);
    const y = h.outputs.get('y')!.node;
    expect(y.op).toBe('Mul');
    expect(y.span).toEqual({ start: 5, end: 9 });
    expect(y.inputs[1].span).toEqual({ start: 5, end: 9 });
  });

  it('rejects a rule that changes a node’s shape or dtype', () => {
    const g = graph();
    const x = g.input('x', [2, 3]);
    g.output('y', x.sum({ axis: 1 }));
    const bad: Rule = (n) => (n.op === 'Sum' ? n.inputs[0] : undefined);
    expect(() => rewrite(g, [bad])).toThrow(GradusError);
    expect(() => rewrite(g, [bad])).toThrow(
      /rule bad replaced %\d+ = Sum\(%\d+\) of type f64\[2\] by .* f64\[2, 3\]/,
    );
  });

  it('stops rules that never reach a fixed point', () => {
    const g = graph();
    const x = g.input('x', [2]);
    g.output('y', x.exp());
    const flip: Rule = (n, ctx) => (n.op === 'Exp' ? ctx.add('Sin', n.inputs) : undefined);
    const flop: Rule = (n, ctx) => (n.op === 'Sin' ? ctx.add('Exp', n.inputs) : undefined);
    expect(() => rewrite(g, [flip, flop])).toThrow(/fixed point/);
  });

  it('keeps graph options and the random-stream counter, so new streams do not collide', () => {
    const g = graph({ seed: 11, mode: 'train', floatDtype: 'f32' });
    const x = g.input('x', [4]);
    g.output('y', dropout(dropout(x, 0.5), 0.5));
    const h = optimize(g);
    expect([h.seed, h.mode, h.floatDtype]).toEqual([11, 'train', 'f32']);
    expect(h.nextStream()).toBe(2); // streams 0 and 1 belong to the two dropouts
    const streams = h.nodes.filter((n) => n.op === 'RandomUniform').map((n) => n.attrs.stream);
    expect(streams.sort()).toEqual([0, 1]);
  });

  it('keeps outputs, metrics, loss and updates under their names', () => {
    const g = graph();
    const x = g.input('x', []);
    const w = g.param('w', []);
    const loss = x.sub(w).square();
    g.output('loss', loss, 'loss');
    g.output('err', x.sub(w).abs(), 'metric');
    g.assign('w', w.add(x.sub(w).mul(0.1)));
    const h = optimize(g);
    expect([...h.outputs].map(([k, o]) => `${k}:${o.kind}`)).toEqual(['loss:loss', 'err:metric']);
    const r = run(h, { feeds: { x: 3, w: 1 } });
    expect(r.outputs.loss.data[0]).toBe(4);
    expect(r.outputs.err.data[0]).toBe(2);
    expect(r.updates.w.data[0]).toBeCloseTo(1.2, 15);
  });

  it('maps a root that is itself a leaf', () => {
    const g = graph();
    const x = g.input('x', [2]);
    g.output('x', x);
    const h = optimize(g);
    expect(h.outputs.get('x')!.node).toBe(h.inputs.get('x') as Node);
  });
});
