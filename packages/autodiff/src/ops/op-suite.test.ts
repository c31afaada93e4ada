/**
 * The op suite: every case of the op table (one per primitive op and per composite) through the
 * same checks — shape rule on hand-written examples and a typed error on a bad shape, value
 * against an independent plain-JS reference, reverse-mode gradient against central differences
 * over fast-check samples, and for smooth cases second order (Hessian-vector products, and the
 * gradient of the gradient of a scalar function of a scalar).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../diagnostic.js';
import { type DType, isFloat } from '../dtype.js';
import { grad, vjp } from '../grad.js';
import { graph } from '../graph.js';
import { interpret } from '../interpreter.js';
import { type Shape, sameShape } from '../shape.js';
import { toTensor } from '../tensor.js';
import {
  argTensor,
  caseGraph,
  gradcheck,
  hvpcheck,
  type OpCase,
  opTable,
  type Sample,
  scalarArb,
} from '../testing/index.js';
import * as N from '../testing/naive.js';
import type { Value } from '../value.js';
import { OP_NAMES } from './index.js';

/** fast-check runs per property (CI budget: the whole suite stays well under a minute on 2 cores). */
const RUNS = 100;
const SECOND_ORDER_RUNS = 25;

function expectShapeError(fn: () => unknown, mentions: readonly string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a ShapeError').toBeInstanceOf(ShapeError);
  const message = (caught as Error).message;
  for (const m of mentions) expect(message).toContain(m);
}

function buildOn(
  c: OpCase,
  shapes: readonly Shape[],
  params: unknown,
  dtypes?: readonly DType[],
  build: OpCase['build'] = c.build,
): Value {
  const g = graph({ floatDtype: 'f64' });
  const xs = shapes.map((s, i) => g.input(`arg${i}`, s, dtypes?.[i] ?? c.dtypes?.[i] ?? 'f64'));
  return build(xs, params);
}

const evalOut = (c: OpCase, s: Sample<unknown>) => {
  const { out, feeds } = caseGraph(c, s);
  return interpret([out.node], { feeds, initSeed: c.check?.initSeed })[0];
};

describe('the op table', () => {
  it('has a primitive case for every op', () => {
    const covered = new Set(opTable.filter((c) => c.kind === 'primitive').flatMap((c) => c.ops));
    expect(OP_NAMES.filter((op) => !covered.has(op))).toEqual([]);
  });

  it('has a case for every composite', () => {
    const names = new Set(opTable.filter((c) => c.kind === 'composite').map((c) => c.name));
    const composites = [
      'relu',
      'leaky_relu',
      'sigmoid',
      'softplus',
      'square',
      'softmax',
      'log_softmax',
      'logsumexp',
      'cross_entropy',
      'hinge',
      'mse',
      'l1',
      'l2',
      'elastic_net',
      'dropout (train)',
      'dropout (eval)',
      'batchnorm (train)',
      'batchnorm (eval)',
      'argmax',
      'mean',
      'concat',
      'conv2d',
      'conv1d',
      'max_pool',
      'avg_pool',
      'global_avg_pool',
      'layernorm',
      'instancenorm',
      'embedding',
      'maxout',
      'flatten',
      'unflatten',
      'gaussian_noise (train)',
      'gaussian_noise (eval)',
      'dropout vanilla (train)',
      'dropout vanilla (eval)',
      'stochastic_depth (train)',
      'stochastic_depth (eval)',
      'stochastic_depth inverted (train)',
      'stochastic_depth inverted (eval)',
    ];
    expect(composites.filter((n) => !names.has(n))).toEqual([]);
  });

  it('has unique case names', () => {
    const names = opTable.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

for (const c of opTable) {
  describe(`${c.kind} ${c.name} (${c.domain})`, () => {
    it('follows its shape rule', () => {
      for (const e of c.shapeRule.ok) {
        const out = buildOn(c, e.shapes, e.params, e.dtypes);
        expect(out.shape, `shapes ${JSON.stringify(e.shapes)}`).toEqual(e.out);
        if (e.dtype) expect(out.dtype).toBe(e.dtype);
      }
    });

    const bad = c.shapeRule.bad;
    if (bad) {
      it('rejects a bad shape with a ShapeError naming the op and the shapes', () => {
        expectShapeError(() => buildOn(c, bad.shapes, bad.params, bad.dtypes, bad.build), bad.mentions);
      });
    }

    const reference = c.reference;
    if (reference) {
      it('evaluates like an independent plain-JS reference', () => {
        const check = (s: Sample<unknown>) => {
          const got = N.plainOf(evalOut(c, s));
          const want = reference(
            s.args.map((a) => N.plainOf(a)),
            s.params,
          );
          const close = N.allClose(got, want, 1e-10, 1e-12);
          expect(close.ok, close.message).toBe(true);
        };
        check(c.example);
        fc.assert(fc.property(c.samples, check), { numRuns: 50 });
      });
    }

    if (c.gradient === 'check') {
      it('has gradients that match central differences', () => {
        fc.assert(
          fc.property(c.samples, (s) => {
            const r = gradcheck((...xs) => c.build(xs, s.params), s.args, c.check);
            expect(r.ok, r.message).toBe(true);
          }),
          { numRuns: RUNS },
        );
      });
    } else {
      it('passes no gradient to its inputs, and asking for one is no error', () => {
        fc.assert(
          fc.property(c.samples, (s) => {
            const { inputs, out, feeds } = caseGraph(c, s);
            const floats = inputs.filter((x) => isFloat(x.dtype));
            const loss = out.toFloat().mul(out.toFloat()).add(out.toFloat()).sum();
            const grads = grad(loss, floats);
            const vals = interpret(
              grads.map((v) => v.node),
              { feeds, initSeed: c.check?.initSeed },
            );
            vals.forEach((v, i) => {
              expect(v.shape).toEqual(floats[i].shape);
              expect([...v.data].every((d) => d === 0)).toBe(true);
            });
          }),
          { numRuns: RUNS },
        );
      });
    }

    const fixedInputs = c.example.args
      .map((a, i) => (isFloat(argTensor(a).dtype) ? -1 : i))
      .filter((i) => i >= 0);
    if (fixedInputs.length > 0) {
      it('gives its label and mask inputs a zero gradient without error', () => {
        const { inputs, out, feeds } = caseGraph(c, c.example);
        const loss = out.toFloat().sum();
        const grads = vjp(
          loss,
          fixedInputs.map((i) => inputs[i]),
        );
        const vals = interpret(
          grads.map((v) => v.node),
          { feeds, initSeed: c.check?.initSeed },
        );
        vals.forEach((v, k) => {
          expect(v.shape).toEqual(inputs[fixedInputs[k]].shape);
          expect([...v.data].every((d) => d === 0)).toBe(true);
        });
      });
    }

    if (c.smooth) {
      it('has Hessian-vector products that match differences of its gradient', () => {
        fc.assert(
          fc.property(c.samples, (s) => {
            const r = hvpcheck((...xs) => c.build(xs, s.params), s.args, c.check);
            expect(r.ok, r.message).toBe(true);
          }),
          { numRuns: SECOND_ORDER_RUNS },
        );
      });

      it('has grad(grad(f)) of f(t) = ⟨r, op(x + t·v)⟩ matching differences', () => {
        fc.assert(
          fc.property(c.samples, (s) => {
            const line = alongLine(c, s);
            // The case's own step and tolerance for values (f32 rounding needs a wide step). Along
            // the line every element moves at once, so rounded cases get one rtol of noise per element.
            const h1 = c.check?.eps ?? 1e-6;
            const rtol1 = Math.max(1e-5, c.check?.rtol ?? 0);
            const atol1 = c.check?.eps === undefined ? 1e-7 : rtol1 * movedElements(s);
            const h2 = 1e-5;
            const [f0, d1, d2] = line(0);
            const slope = (line(h1)[0] - line(-h1)[0]) / (2 * h1);
            const curvature = (line(h2)[1] - line(-h2)[1]) / (2 * h2);
            expect(Number.isFinite(f0)).toBe(true);
            expectClose(d1, slope, rtol1, atol1, 'first derivative');
            expectClose(d2, curvature, 1e-4, 1e-6, 'second derivative');
          }),
          { numRuns: SECOND_ORDER_RUNS },
        );
      });
    }

    const derivatives = c.derivatives;
    if (derivatives) {
      it("has grad(x) and grad(grad(x)) equal to the closed-form f' and f''", () => {
        const g = graph({ floatDtype: 'f64' });
        const x = g.input('x', []);
        const y = c.build([x], {});
        const [d1] = grad(y, [x]);
        const [d2] = grad(d1, [x]);
        fc.assert(
          fc.property(scalarArb(derivatives.domain), (v) => {
            const [a1, a2] = interpret([d1.node, d2.node], { feeds: { x: v } });
            expectClose(a1.data[0], derivatives.d1(v), 1e-12, 1e-12, `f'(${v})`);
            expectClose(a2.data[0], derivatives.d2(v), 1e-12, 1e-12, `f''(${v})`);
          }),
          { numRuns: RUNS },
        );
      });
    }
  });
}

function expectClose(got: number, want: number, rtol: number, atol: number, what: string): void {
  const err = Math.abs(got - want);
  expect(
    err <= atol || err <= rtol * Math.max(Math.abs(got), Math.abs(want)),
    `${what}: got ${got}, expected ${want}`,
  ).toBe(true);
}

/** How many elements of a sample are differentiated (they all move along the line). */
function movedElements(s: Sample<unknown>): number {
  return s.args
    .filter((a) => isFloat(argTensor(a).dtype))
    .reduce<number>((n, a) => n + N.plainOf(a).data.length, 0);
}

/**
 * f(t) = ⟨r, op(x + t·v)⟩ for fixed directions v (differentiable inputs only) and weights r,
 * with f'(t) = grad(f, t) and f''(t) = grad(grad(f, t), t) built as graphs. Returns t ↦ [f, f', f''].
 */
function alongLine(c: OpCase, s: Sample<unknown>): (t: number) => [number, number, number] {
  const g = graph({ floatDtype: 'f64', seed: 1234, mode: c.check?.mode ?? 'train' });
  const t = g.input('t', []);
  const xs = s.args.map((a, i) => {
    const { value, dtype } = argTensor(a);
    const x = toTensor(value, dtype);
    const base = g.constant(Array.from(x.data), dtype, x.shape);
    if (
      !isFloat(dtype) ||
      (typeof a === 'object' && a !== null && 'differentiate' in a && !a.differentiate)
    ) {
      return base;
    }
    const v = Array.from(x.data, (_, j) => Math.sin(3 * i + j + 1));
    return base.add(t.mul(g.constant(v, 'f64', x.shape)));
  });
  const out = c.build(xs, s.params).toFloat();
  const n = out.shape.reduce((p: number, d) => p * (d as number), 1);
  const f =
    out.rank === 0
      ? out
      : out
          .mul(
            g.constant(
              Array.from({ length: n }, (_, j) => 0.5 + ((j * 7) % 5) / 5),
              'f64',
              out.shape,
            ),
          )
          .sum();
  const [d1] = grad(f, [t]);
  const [d2] = grad(d1, [t]);
  return (tv) => {
    const [a, b, cc] = interpret([f.node, d1.node, d2.node], {
      feeds: { t: tv, $step: c.check?.step ?? 1 },
      initSeed: c.check?.initSeed,
    });
    return [a.data[0], b.data[0], cc.data[0]];
  };
}

describe('shape rules on symbolic dims', () => {
  it('keep a symbolic batch dim through a dense layer', () => {
    const g = graph();
    const x = g.input('x', ['N', 3]);
    const W = g.param('W', [3, 2]);
    const y = x
      .matMul(W)
      .add(g.param('b', [2]))
      .relu();
    expect(sameShape(y.shape, ['N', 2])).toBe(true);
  });
});
