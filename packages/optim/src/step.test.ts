import { GradusError, graph, init } from '@gradus/autodiff';
import { cpu } from '@gradus/backends';
import { describe, expect, it } from 'vitest';
import { adam, deltaBarDelta, momentum, NAMED_OPTIMIZERS, optimizerFromSpec, sgd } from './optimizers.js';
import { schedules } from './schedules/library.js';
import { buildTrainStep, interpretSteps, paramsOf, STEP_COUNTER } from './step.js';
import {
  addDecayedWeights,
  chain,
  clipByGlobalNorm,
  clipByValue,
  identity,
  scale,
  scaleBySchedule,
  trace,
} from './transforms/index.js';

/** Two params, loss = ½‖W − A‖² + ½‖b − c‖²: gradients are W − A and b − c. */
function problem() {
  const g = graph();
  const W = g.param('W', [2, 2], init.literal([1, 2, 3, 4]));
  const b = g.param('b', [2], init.literal([-1, 0.5]));
  const loss = W.sub(
    g.constant([
      [0, 0],
      [0, 1],
    ]),
  )
    .square()
    .sum()
    .mul(0.5)
    .add(
      b
        .sub(g.constant([1, 1]))
        .square()
        .sum()
        .mul(0.5),
    );
  return { g, loss };
}

describe('buildTrainStep', () => {
  it('is one graph: params, optimiser state and the counter all update by assignment', () => {
    const { g, loss } = problem();
    const ts = buildTrainStep(g, loss, paramsOf(g), adam());
    expect(ts.stateNames).toEqual([STEP_COUNTER, 'opt.W.m', 'opt.W.v', 'opt.b.m', 'opt.b.v']);
    expect([...g.updates.keys()].sort()).toEqual(['W', 'b', ...ts.stateNames].sort());
    expect([...g.outputs.keys()]).toEqual(['loss', 'lr', 'grad_norm']);
    const { variables, history } = interpretSteps(g, { steps: 3 });
    expect(variables[STEP_COUNTER].data[0]).toBe(3);
    expect(history.map((h) => h.lr)).toEqual([1e-3, 1e-3, 1e-3]);
  });

  it('reports the loss at the parameters the step starts from, and the gradient norm', () => {
    const { g, loss } = problem();
    buildTrainStep(g, loss, paramsOf(g), sgd(1));
    const [first, second] = interpretSteps(g, { steps: 2 }).history;
    // W − A = [[1, 2], [3, 3]], b − c = [−2, −0.5]: loss = ½(1+4+9+9+4+0.25).
    expect(first.loss).toBeCloseTo(13.625, 14);
    expect(first.outputs.grad_norm.data[0]).toBeCloseTo(Math.sqrt(27.25), 14);
    expect(second.loss).toBe(0); // sgd(1) on ½‖x − a‖² lands on a
  });

  it('clips to a global norm before the optimiser (PyTorch clip_grad_norm_)', () => {
    const { g, loss } = problem();
    buildTrainStep(g, loss, paramsOf(g), sgd(1), { clip: 1 });
    const { history } = interpretSteps(g, { steps: 1 });
    const n = Math.sqrt(27.25);
    const coef = 1 / (n + 1e-6);
    const W = [...history[0].updates.W.data];
    expect(W[0]).toBeCloseTo(1 - coef * 1, 14);
    expect(W[3]).toBeCloseTo(4 - coef * 3, 14);
    expect(history[0].outputs.grad_norm.data[0]).toBeCloseTo(n, 14); // the norm before clipping
  });

  it('rejects a non-scalar loss and a second step on one graph', () => {
    const { g, loss } = problem();
    expect(() => buildTrainStep(g, g.constant([1, 2]), paramsOf(g), sgd())).toThrow(GradusError);
    buildTrainStep(g, loss, paramsOf(g), sgd());
    expect(() => buildTrainStep(g, loss, paramsOf(g), sgd())).toThrow(/already has a training step/);
  });

  it('names repeated state slots deterministically', () => {
    const { g, loss } = problem();
    const ts = buildTrainStep(
      g,
      loss,
      paramsOf(g),
      chain(trace({ decay: 0.5 }), trace({ decay: 0.5 }), scale(-0.1)),
    );
    expect(ts.stateNames).toEqual([
      STEP_COUNTER,
      'opt.W.momentum',
      'opt.b.momentum',
      'opt.W.momentum_2',
      'opt.b.momentum_2',
    ]);
  });
});

describe('transforms', () => {
  const oneStep = (t: Parameters<typeof buildTrainStep>[3], x0: number[], target: number[]) => {
    const g = graph();
    const x = g.param('x', [x0.length], init.literal(x0));
    buildTrainStep(g, x.sub(g.constant(target)).square().sum().mul(0.5), paramsOf(g), t);
    return interpretSteps(g, { steps: 1 }).history[0];
  };

  it('clipByValue clamps each component', () => {
    const h = oneStep(chain(clipByValue(0.5), sgd(1)), [2, 0.2, -3], [0, 0, 0]);
    expect([...h.updates.x.data]).toEqual([1.5, 0, -2.5]);
  });

  it('clipByGlobalNorm leaves small gradients alone', () => {
    const h = oneStep(chain(clipByGlobalNorm(10), sgd(1)), [0.3, 0.4], [0, 0]);
    expect([...h.updates.x.data]).toEqual([0, 0]);
  });

  it('addDecayedWeights adds λx to the update, scaled by the learning rate', () => {
    const h = oneStep(chain(identity(), addDecayedWeights(0.5), scale(-0.1)), [2, -4], [2, -4]);
    expect([...h.updates.x.data]).toEqual([2 - 0.1 * 0.5 * 2, -4 + 0.1 * 0.5 * 4]);
  });

  it('scaleBySchedule multiplies by the schedule at the step count', () => {
    const g = graph();
    const x = g.param('x', [1], init.literal([1]));
    buildTrainStep(
      g,
      x.sum(),
      paramsOf(g),
      chain(scaleBySchedule(schedules.exponential({ rate: 0.5 })), scale(-1)),
    );
    const xs = interpretSteps(g, { steps: 4 }).history.map((h) => h.updates.x.data[0]);
    expect(xs).toEqual([0, -0.5, -0.75, -0.875]);
  });

  it('any hyper-parameter may be a schedule (here the momentum coefficient)', () => {
    const rho = schedules.linear({ base: 0.9, steps: 10, end: 0 });
    const g = graph();
    const x = g.param('x', [1], init.literal([1]));
    buildTrainStep(g, x.square().sum(), paramsOf(g), momentum(0.1, rho));
    const ours = interpretSteps(g, { steps: 12 }).history.map((h) => h.updates.x.data[0]);
    let xv = 1;
    let v = 0;
    const expected = ours.map((_, k) => {
      v = rho.host(k) * v + 2 * xv;
      xv -= 0.1 * v;
      return xv;
    });
    ours.forEach((o, k) => {
      expect(o).toBeCloseTo(expected[k], 14);
    });
  });

  it('delta-bar-delta reports the mean of the rates it used', () => {
    const g = graph();
    const x = g.param('x', [2], init.literal([1, -1]));
    buildTrainStep(g, x.square().sum(), paramsOf(g), deltaBarDelta(0.1, 0.05, 0.5, 0.5));
    const { history } = interpretSteps(g, { steps: 3 });
    // A step uses the current rates, then adapts them: step 1 sees an empty trace (no change),
    // step 2 sees the gradient keep its sign (+κ, used from step 3 on).
    expect(history.map((h) => h.lr)).toEqual([0.1, 0.1, 0.1 + 0.05]);
  });
});

describe('on the CPU backend', () => {
  it.each(Object.keys(NAMED_OPTIMIZERS))(
    '%s trains exactly as the interpreter does (one compiled graph)',
    (name) => {
      const build = () => {
        const g = graph();
        const x = g.param('x', [3], init.literal([1, -2, 0.5]));
        const W = g.param('W', [3, 2], init.glorotUniform());
        const loss = x.reshape([1, 3]).matMul(W).tanh().square().sum().add(x.square().sum());
        const schedule = schedules.warmup(3, schedules.cosine({ base: 0.01, steps: 10 }));
        buildTrainStep(g, loss, paramsOf(g), optimizerFromSpec({ name, args: { lr: 0.01 } }, { schedule }), {
          clip: 5,
        });
        return g;
      };
      const ref = interpretSteps(build(), { steps: 12, initSeed: 3 });
      const exe = cpu.compile(build(), { seed: 3 });
      for (let k = 0; k < 12; k++) {
        const out = exe.run({});
        expect(out.loss.data[0]).toBe(ref.history[k].loss);
        expect(out.lr.data[0]).toBe(ref.history[k].lr);
      }
      for (const v of exe.variables) expect([...exe.read(v).data], v).toEqual([...ref.variables[v].data]);
    },
  );
});
