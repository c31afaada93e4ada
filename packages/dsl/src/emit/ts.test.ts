import {
  type Graph,
  initVariables,
  interpret,
  type Mode,
  OP_NAMES,
  run,
  type Tensor,
  topoSort,
} from '@gradus/autodiff';
import { beforeAll, describe, expect, it } from 'vitest';
import { graphParts } from './parts.js';
import {
  type EmittedModule,
  loadModule,
  lowerModel,
  MODEL_FILES,
  makeInputs,
  maxRelDiff,
  typeCheck,
} from './test-helpers.js';
import { emitTypeScript } from './ts.js';
import {
  allOpsGraph,
  compoundDimsGraph,
  type EmitInput,
  layersGraph,
  symbolicDimsGraph,
} from './ts-fixtures.js';

const TOL = 1e-12;
const N = 5;
/** Sizes of every symbolic dim the test graphs use. */
const DIMS: Record<string, number> = { N, $N: N, M: 3, K: 2, T: 4 };

interface Case {
  readonly name: string;
  readonly lowered: EmitInput;
  readonly precision: 'f64' | 'f32';
}

const cases: Case[] = [
  ...MODEL_FILES.map((f) => ({ name: f, lowered: lowerModel(f), precision: 'f64' as const })),
  // Evaluation graphs read the batchnorm running statistics and have no dropout.
  ...['bn_mlp.model', 'two_layer.model'].map((f) => ({
    name: `${f} (eval)`,
    lowered: lowerModel(f, { mode: 'eval' as Mode }),
    precision: 'f64' as const,
  })),
  // f32 graphs round every float result, as the interpreter's f32 mode does.
  ...['bn_mlp.model', 'two_layer.model'].map((f) => ({
    name: `${f} (f32)`,
    lowered: lowerModel(f, { floatDtype: 'f32' }),
    precision: 'f32' as const,
  })),
  { name: 'all ops (builder graph, hostile names)', lowered: allOpsGraph(), precision: 'f64' },
  { name: 'dims bound by solving or by options', lowered: symbolicDimsGraph(), precision: 'f64' },
  { name: 'compound dims (N*T, T - 1, N*T/2)', lowered: compoundDimsGraph(), precision: 'f64' },
  { name: 'convolution, pooling and embedding layers', lowered: layersGraph(), precision: 'f64' },
];

const sources = new Map<string, string>();
const modules = new Map<string, EmittedModule>();

// Emitting and transpiling every case takes seconds on a loaded machine: the tests' own timeout.
beforeAll(() => {
  for (const c of cases) {
    const src = emitTypeScript(c.lowered.graph, c.lowered.model, { source: c.name });
    sources.set(c.name, src);
    modules.set(c.name, loadModule(src));
  }
}, 60_000);

/** Params and state from the seeded initialisers; data inputs from a seeded batch with N = 5. */
function point(g: Graph) {
  const vars = initVariables(g, 11);
  const data = makeInputs(g, DIMS);
  const typed = (t: Tensor) => (t.dtype === 'f32' ? Float32Array.from(t.data) : Float64Array.from(t.data));
  const parts = graphParts(g);
  const params = Object.fromEntries(parts.params.map((p) => [p.name, typed(vars[p.name])]));
  const state = Object.fromEntries(parts.state.map((s) => [s.name, typed(vars[s.name])]));
  const inputs = Object.fromEntries(
    parts.inputs.map((i) => [
      i.name,
      i.node.dtype === 'i32'
        ? Int32Array.from(data[i.name])
        : i.node.dtype === 'f32'
          ? Float32Array.from(data[i.name])
          : Float64Array.from(data[i.name]),
    ]),
  );
  const feeds = (step: number) => ({
    ...vars,
    ...Object.fromEntries(
      parts.inputs.map((i) => [
        i.name,
        { shape: shapeOf(i.node.shape), dtype: i.node.dtype, data: Float64Array.from(data[i.name]) },
      ]),
    ),
    ...(parts.step ? { $step: step } : {}),
  });
  return { params, state, inputs, feeds, parts };
}

function shapeOf(shape: readonly (number | string)[]): number[] {
  return shape.map((d) => (typeof d === 'number' ? d : DIMS[d]));
}

describe('emitTypeScript', () => {
  it('emits modules that pass tsc --strict (one program for all)', () => {
    const named = Object.fromEntries(
      [...sources].map(([name, src], i) => [`m${i}_${name.replace(/\W+/g, '_')}`, src]),
    );
    expect(typeCheck(named)).toBe('');
  });

  it('covers every op of the IR across the test graphs', () => {
    const seen = new Set<string>();
    for (const c of cases) {
      const parts = graphParts(c.lowered.graph);
      for (const n of topoSort([...c.lowered.graph.roots(), ...parts.grads])) seen.add(n.op);
    }
    expect(OP_NAMES.filter((op) => !seen.has(op))).toEqual([]);
  });

  describe.each(cases)('$name', ({ name, lowered, precision }) => {
    const g = lowered.graph;
    const steps = g.inputs.has('$step') ? [0, 3] : [0];

    it.each(steps)('lossAndGrad equals the interpreter (step %i)', (step) => {
      const mod = modules.get(name) as EmittedModule;
      const { params, state, inputs, feeds, parts } = point(g);
      if (!parts.loss || !mod.lossAndGrad) throw new Error('no loss');
      const expected = interpret([parts.loss.node, ...parts.grads], {
        feeds: feeds(step),
        precision,
        dims: DIMS,
      });
      const got = mod.lossAndGrad(params, inputs, { step, state, dims: DIMS });
      expect(maxRelDiff(got.loss, expected[0].data)).toBeLessThanOrEqual(TOL);
      parts.params.forEach((p, i) => {
        expect(maxRelDiff(got.grads[p.name], expected[i + 1].data), p.name).toBeLessThanOrEqual(TOL);
      });
      expect(Number.isFinite(got.loss)).toBe(true);
    });

    it.each(steps)('forward equals the interpreter: outputs, metrics, loss, state (step %i)', (step) => {
      const mod = modules.get(name) as EmittedModule;
      const { params, state, inputs, feeds, parts } = point(g);
      const expected = run(g, { feeds: feeds(step), precision, dims: DIMS });
      const got = mod.forward(params, inputs, { step, state, dims: DIMS });
      for (const o of parts.outputs) {
        const value =
          o.kind === 'loss' ? got.loss : o.kind === 'metric' ? got.metrics[o.name] : got.outputs[o.name];
        expect(value, o.name).toBeDefined();
        expect(maxRelDiff(value as number, expected.outputs[o.name].data), o.name).toBeLessThanOrEqual(TOL);
      }
      for (const s of parts.state) {
        const want = expected.updates[s.name]?.data ?? state[s.name];
        expect(maxRelDiff(got.state[s.name], want), s.name).toBeLessThanOrEqual(TOL);
      }
    });
  });

  it('draws different dropout masks at different steps, as the interpreter does', () => {
    const mod = modules.get('two_layer.model') as EmittedModule;
    const { params, inputs } = point(lowerModel('two_layer.model').graph);
    const losses = [0, 1, 2].map((step) => mod.lossAndGrad?.(params, inputs, { step }).loss);
    expect(new Set(losses).size).toBe(3);
  });

  it('binds N from the inputs and rejects arrays of the wrong length', () => {
    const mod = modules.get('spiral_softmax.model') as EmittedModule;
    const { params, inputs } = point(lowerModel('spiral_softmax.model').graph);
    expect(() => mod.forward(params, { ...inputs, x: new Float64Array(2 * N + 1) })).toThrow(/input x/);
    expect(() => mod.forward(params, { ...inputs, y: new Int32Array(N + 1) })).toThrow(
      /input y: expected 5 elements, got 6/,
    );
    expect(() => mod.forward({ ...params, W: new Float64Array(5) }, inputs)).toThrow(/param W/);
    // Another batch size works without regenerating: N is a run-time value.
    const two = mod.forward(params, { x: Float64Array.of(1, 2, 3, 4), y: Int32Array.of(0, 2) });
    expect(Number.isFinite(two.loss)).toBe(true);
  });

  it('asks for a dim no input determines', () => {
    const mod = modules.get('dims bound by solving or by options') as EmittedModule;
    const { params, inputs } = point(symbolicDimsGraph().graph);
    expect(() => mod.forward(params, inputs)).toThrow(/dim K is not determined by any input/);
    expect(Number.isFinite(mod.forward(params, inputs, { dims: { K: 2 } }).loss)).toBe(true);
  });

  it('computes compound dims from the bound names and refuses a quotient that is not whole', () => {
    const mod = modules.get('compound dims (N*T, T - 1, N*T/2)') as EmittedModule;
    const { params } = point(compoundDimsGraph().graph);
    const x = (n: number) => Float64Array.from({ length: n * 3 * 2 }, (_, i) => Math.sin(i));
    const t = Float64Array.of(1, 2, 3);
    expect(Number.isFinite(mod.forward(params, { x: x(2), t }).loss)).toBe(true);
    expect(() => mod.forward(params, { x: x(3), t })).toThrow(
      /with N = 3, T = 3, the dim N\*T\/2 is 4.5, not a size/,
    );
  });

  it('returns fresh arrays, never the caller’s', () => {
    const mod = modules.get('ravine.model') as EmittedModule;
    const params = { x: Float64Array.of(4, 0.5) };
    const grads = mod.lossAndGrad?.(params, {}).grads ?? {};
    expect(Array.from(grads.x)).toEqual([8, 50]);
    expect(grads.x).not.toBe(params.x);
  });

  it('threads batchnorm running statistics through state', () => {
    const mod = modules.get('bn_mlp.model') as EmittedModule;
    const { params, inputs } = point(lowerModel('bn_mlp.model').graph);
    const init = mod.initialState();
    expect(Object.keys(init)).toEqual([
      'gamma1.running_mean',
      'gamma1.running_var',
      'gamma2.running_mean',
      'gamma2.running_var',
    ]);
    const first = mod.forward(params, inputs);
    const second = mod.forward(params, inputs, { state: first.state });
    expect(maxRelDiff(first.state['gamma1.running_mean'], init['gamma1.running_mean'])).toBeGreaterThan(0);
    expect(
      maxRelDiff(second.state['gamma1.running_mean'], first.state['gamma1.running_mean']),
    ).toBeGreaterThan(0);
  });

  it('forward takes only the inputs the outputs read: rows without labels give the outputs', () => {
    const mod = modules.get('two_layer.model (eval)') as EmittedModule;
    const { params, inputs } = point(lowerModel('two_layer.model', { mode: 'eval' as Mode }).graph);
    const full = mod.forward(params, inputs);
    const alone = mod.forward(params, { x: inputs.x });
    expect(Object.keys(alone).sort()).toEqual(['outputs', 'state']);
    expect(maxRelDiff(alone.outputs.probs, full.outputs.probs)).toBe(0);
    expect(() => mod.forward(params, { y: inputs.y })).toThrow(/input x is missing; the outputs read it/);
  });

  it('types the two forms: the outputs alone have no loss or metrics (tsc --strict)', () => {
    const src = sources.get('two_layer.model (eval)') as string;
    // A caller's code appended to the module (one file: forward and Params are in scope).
    const use = (body: string) => ({
      model: `${src}\ndeclare const p: Params;\nconst x = new Float64Array(4);\nconst y = new Int32Array(2);\nexport const use = () => { ${body} };\n`,
    });
    expect(typeCheck(use('const a: Float64Array = forward(p, { x }).outputs.probs; return [a, y];'))).toBe(
      '',
    );
    expect(typeCheck(use('const l: number = forward(p, { x, y }).loss; return l;'))).toBe('');
    expect(typeCheck(use('return [forward(p, { x }).loss, y];'))).toMatch(/Property 'loss' does not exist/);
    expect(typeCheck(use('return [forward(p, { y }), x];'))).toMatch(/No overload matches this call/);
  });

  it('keeps one forward when the outputs need every input', () => {
    const src = sources.get('ravine.model') as string;
    expect(src).not.toMatch(/OutputInputs/);
    expect(src.match(/export function forward/g)).toHaveLength(1);
  });

  it('emits ravine.model as in the golden file', async () => {
    await expect(sources.get('ravine.model')).toMatchFileSnapshot('__golden__/ravine.ts.snap');
  });
});
