/**
 * Property tests of the passes: on random graphs, every pass leaves the interpreter's results
 * unchanged, produces a graph that validates, and never grows the live part of the graph; on
 * gradient graphs, `optimize` shrinks them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad } from '../grad.js';
import { type Graph, graph } from '../graph.js';
import { init } from '../init.js';
import { run } from '../interpreter.js';
import type { Tensor } from '../tensor.js';
import { exprGraphArb } from '../testing/arbitraries.js';
import { formatGraph } from '../text.js';
import { validateGraph } from '../validate.js';
import { constantFold, cse, dce, optimize, simplify } from './index.js';
import { randomGraphArb } from './random-graphs.js';
import { countLiveNodes } from './rewrite.js';

const passes: [string, (g: Graph) => Graph][] = [
  ['dce', dce],
  ['cse', cse],
  ['constantFold', constantFold],
  ['simplify', simplify],
  ['optimize', optimize],
];

/** Element-for-element equality (NaN equals NaN; +0 equals −0, see simplify's documented exception). */
function sameTensor(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join()) return false;
  return a.data.every((v, i) => v === b.data[i] || (Number.isNaN(v) && Number.isNaN(b.data[i])));
}

function expectSameResults(
  before: Graph,
  after: Graph,
  opts: Parameters<typeof run>[1],
  context: () => string,
): void {
  const r0 = run(before, opts);
  const r1 = run(after, opts);
  expect(Object.keys(r1.outputs)).toEqual(Object.keys(r0.outputs));
  expect(Object.keys(r1.updates)).toEqual(Object.keys(r0.updates));
  for (const [kind, want, got] of [
    ['output', r0.outputs, r1.outputs],
    ['update', r0.updates, r1.updates],
  ] as const) {
    for (const name of Object.keys(want)) {
      if (!sameTensor(want[name], got[name])) {
        throw new Error(
          `${kind} '${name}' changed: ${Array.from(want[name].data)} → ${Array.from(got[name].data)}\n${context()}`,
        );
      }
    }
  }
}

describe.each(passes)('%s on random graphs', (name, pass) => {
  it('keeps every output and update, validates, and keeps named roles and options', () => {
    fc.assert(
      fc.property(randomGraphArb(), ({ g, feeds, dims }) => {
        const h = pass(g);
        expect(validateGraph(h)).toEqual([]);
        expect([...h.inputs.keys()]).toEqual([...g.inputs.keys()]);
        expect([...h.variables.keys()]).toEqual([...g.variables.keys()]);
        expect([...h.outputs].map(([k, o]) => [k, o.kind])).toEqual(
          [...g.outputs].map(([k, o]) => [k, o.kind]),
        );
        expect([h.floatDtype, h.mode, h.seed, h.streamCount]).toEqual([
          g.floatDtype,
          g.mode,
          g.seed,
          g.streamCount,
        ]);
        expectSameResults(g, h, { feeds, dims }, () => `${name}:\n${formatGraph(g)}\n---\n${formatGraph(h)}`);
      }),
      { numRuns: 150 },
    );
  });

  it('never increases the number of live nodes, and is idempotent in size', () => {
    fc.assert(
      fc.property(randomGraphArb(), ({ g }) => {
        const h = pass(g);
        expect(countLiveNodes(h)).toBeLessThanOrEqual(countLiveNodes(g));
        // Everything in the result is live: the engine compacts.
        expect(h.nodes.length).toBe(countLiveNodes(h));
        expect(countLiveNodes(pass(h))).toBe(countLiveNodes(h));
      }),
      { numRuns: 100 },
    );
  });
});

describe('optimize on gradient graphs', () => {
  it('keeps values and gradients of random expression graphs, and does not grow them', () => {
    fc.assert(
      fc.property(exprGraphArb({ maxOps: 6 }), (e) => {
        const g = graph();
        const xs = e.shapes.map((s, k) => g.input(`x${k}`, s));
        const out = e.build(...xs);
        const loss = out.mul(out).sum();
        g.output('loss', loss, 'loss');
        grad(loss, xs).forEach((d, k) => {
          g.output(`d${k}`, d);
        });
        const h = optimize(g);
        expect(validateGraph(h)).toEqual([]);
        expect(countLiveNodes(h)).toBeLessThanOrEqual(countLiveNodes(g));
        const feeds = Object.fromEntries(e.inputs.map((v, k) => [`x${k}`, v]));
        expectSameResults(g, h, { feeds }, () => e.steps.join('\n'));
      }),
      { numRuns: 100 },
    );
  });

  // The lectures' two-layer net (softmax cross-entropy, L2 penalty) with its four gradients and an
  // SGD update: 77 live nodes before optimize, 68 after. Counted by hand from the text forms, the
  // nine nodes that go are: 1·0.001 (folds into the existing 0.001); the broadcasts of the L2
  // seed to [4, 3] and [2, 4] (absorbed by the multiplies); the reshape of 1/N to [1] before its
  // broadcast to [N]; the broadcast of 0 to [N] and its reshape to [N, 1] (absorbed by the
  // where); the reshape after the softmax-gradient sum (keepdims instead); the broadcast into
  // the multiply by the softmax; the broadcast of 0 to [N, 4] in relu's gradient.
  it('shrinks the two-layer net with its gradients (77 → 68 live nodes)', () => {
    const g = graph({ seed: 7 });
    const x = g.input('x', ['N', 2]);
    const y = g.input('y', ['N'], 'i32');
    const W1 = g.param('W1', [2, 4], init.glorotUniform());
    const b1 = g.param('b1', [4]);
    const W2 = g.param('W2', [4, 3], init.glorotUniform());
    const b2 = g.param('b2', [3]);
    const logits = x.matMul(W1).add(b1).relu().matMul(W2).add(b2);
    const loss = logits.crossEntropy(y).mean().add(W1.square().sum().add(W2.square().sum()).mul(1e-3));
    g.output('loss', loss, 'loss');
    const params = [W1, b1, W2, b2];
    grad(loss, params).forEach((d, k) => {
      g.assign(params[k].node.attrs.name as string, params[k].sub(d.mul(0.5)));
    });
    const h = optimize(g);
    const before = countLiveNodes(g);
    const after = countLiveNodes(h);
    expect(after).toBeLessThan(before);
    expect([before, after]).toEqual([77, 68]);
    expect(validateGraph(h)).toEqual([]);
    const feeds = {
      x: [
        [0.1, 0.2],
        [-0.3, 0.4],
        [1, -1],
      ],
      y: [0, 2, 1],
    };
    expectSameResults(g, h, { feeds, initSeed: 3 }, () => formatGraph(h));
  });
});
