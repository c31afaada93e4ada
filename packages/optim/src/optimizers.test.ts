/**
 * One table runs every optimiser through the same checks: it descends on a quadratic,
 * `chain(identity(), t)` behaves as `t`, its state round-trips through a checkpoint, the
 * catalogue spec builds the same optimiser, and its trajectory agrees with an independent
 * plain-JS transcription of the torch.optim algorithm (written from the torch docs'
 * pseudocode, not from this package) to float64 rounding.
 */
import { GradusError, type Graph, graph, init, type Tensor, type Value } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import type { CallSpec } from './catalogue.js';
import {
  adadelta,
  adagrad,
  adam,
  adamw,
  deltaBarDelta,
  momentum,
  NAMED_OPTIMIZERS,
  nesterov,
  optimizerFromSpec,
  rmsprop,
  sgd,
} from './optimizers.js';
import { isPlateauSchedule, PLATEAU_VARIABLE } from './schedules/library.js';
import { buildTrainStep, interpretSteps, paramsOf } from './step.js';
import { addL2, chain, type GradientTransformation, identity } from './transforms/index.js';

// ---- problems --------------------------------------------------------------------------------

type Vec = number[];

interface Problem {
  readonly name: string;
  readonly x0: Vec;
  loss(x: Value, g: Graph): Value;
  grad(x: Vec): Vec;
}

/** f(x) = ½ Σ aᵢxᵢ² + bᵢxᵢ, minimum at −b/a. */
const quadratic: Problem = {
  name: 'quadratic',
  x0: [1.5, -2, 0.5],
  loss: (x, g) =>
    x
      .mul(x)
      .mul(g.constant([1, 4, 0.5]))
      .mul(0.5)
      .add(x.mul(g.constant([0.3, -0.2, 0])))
      .sum(),
  grad: (x) => [1 * x[0] + 0.3, 4 * x[1] - 0.2, 0.5 * x[2]],
};

/** The lectures' Rosenbrock f(x) = (x₁ − 1)² + 100(x₂ − x₁²)², from (−1.2, 1). */
const rosenbrock: Problem = {
  name: 'rosenbrock',
  x0: [-1.2, 1],
  loss: (x) => {
    const a = x.index([0]);
    const b = x.index([1]);
    return a.sub(1).square().add(b.sub(a.square()).square().mul(100));
  },
  grad: ([a, b]) => [2 * (a - 1) - 400 * a * (b - a * a), 200 * (b - a * a)],
};

// ---- independent references: torch.optim pseudocode, line by line --------------------------

type Ref = (x: Vec, g: Vec, t: number) => Vec; // one step; t is 1-based; keeps its own state

const zeros = (n: number) => new Array<number>(n).fill(0);

const torchSgd = (lr: number, momentum = 0, nesterov = false, weightDecay = 0): Ref =>
  (() => {
    let b: Vec = [];
    return (x, g0, t) => {
      const g = g0.map((gi, i) => (weightDecay !== 0 ? gi + weightDecay * x[i] : gi));
      let d = g;
      if (momentum !== 0) {
        b = t > 1 ? b.map((bi, i) => momentum * bi + g[i]) : [...g];
        d = nesterov ? g.map((gi, i) => gi + momentum * b[i]) : b;
      }
      return x.map((xi, i) => xi - lr * d[i]);
    };
  })();

const torchAdagrad = (lr: number, eps: number): Ref => {
  let sum: Vec = [];
  return (x, g, t) => {
    if (t === 1) sum = zeros(x.length);
    const clr = lr / (1 + (t - 1) * 0); // lr_decay = 0
    sum = sum.map((s, i) => s + g[i] * g[i]);
    return x.map((xi, i) => xi - (clr * g[i]) / (Math.sqrt(sum[i]) + eps));
  };
};

const torchRmsprop = (lr: number, alpha: number, eps: number, centered: boolean): Ref => {
  let v: Vec = [];
  let gAve: Vec = [];
  return (x, g, t) => {
    if (t === 1) {
      v = zeros(x.length);
      gAve = zeros(x.length);
    }
    v = v.map((vi, i) => alpha * vi + (1 - alpha) * g[i] * g[i]);
    let vt = v;
    if (centered) {
      gAve = gAve.map((a, i) => alpha * a + (1 - alpha) * g[i]);
      vt = v.map((vi, i) => vi - gAve[i] * gAve[i]);
    }
    return x.map((xi, i) => xi - (lr * g[i]) / (Math.sqrt(vt[i]) + eps));
  };
};

const torchAdadelta = (lr: number, rho: number, eps: number): Ref => {
  let v: Vec = [];
  let u: Vec = [];
  return (x, g, t) => {
    if (t === 1) {
      v = zeros(x.length);
      u = zeros(x.length);
    }
    v = v.map((vi, i) => rho * vi + (1 - rho) * g[i] * g[i]);
    const dx = g.map((gi, i) => (Math.sqrt(u[i] + eps) / Math.sqrt(v[i] + eps)) * gi);
    u = u.map((ui, i) => rho * ui + (1 - rho) * dx[i] * dx[i]);
    return x.map((xi, i) => xi - lr * dx[i]);
  };
};

const torchAdam = (lr: number, b1: number, b2: number, eps: number, amsgrad: boolean, decoupled = 0): Ref => {
  let m: Vec = [];
  let v: Vec = [];
  let vMax: Vec = [];
  return (x0, g, t) => {
    if (t === 1) {
      m = zeros(x0.length);
      v = zeros(x0.length);
      vMax = zeros(x0.length);
    }
    const x = x0.map((xi) => xi - lr * decoupled * xi); // AdamW: θ ← θ − γλθ
    m = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]);
    v = v.map((vi, i) => b2 * vi + (1 - b2) * g[i] * g[i]);
    const mHat = m.map((mi) => mi / (1 - b1 ** t));
    let vHat: Vec;
    if (amsgrad) {
      vMax = vMax.map((a, i) => Math.max(a, v[i]));
      vHat = vMax.map((a) => a / (1 - b2 ** t));
    } else vHat = v.map((vi) => vi / (1 - b2 ** t));
    return x.map((xi, i) => xi - (lr * mHat[i]) / (Math.sqrt(vHat[i]) + eps));
  };
};

/** AdaGrad as one lecture writes it: x ← x − η·g/√(G + ε), eps inside the root. */
const lectureAdagrad = (lr: number, eps: number): Ref => {
  let G: Vec = [];
  return (x, g, t) => {
    if (t === 1) G = zeros(x.length);
    G = G.map((s, i) => s + g[i] * g[i]);
    return x.map((xi, i) => xi - (lr / Math.sqrt(G[i] + eps)) * g[i]);
  };
};

/** RMSProp as the lectures write it: r ← ρr + (1−ρ)g², Δθ = −ε/√(δ + r) ⊙ g. */
const lectureRmsprop = (lr: number, rho: number, delta: number): Ref => {
  let r: Vec = [];
  return (x, g, t) => {
    if (t === 1) r = zeros(x.length);
    r = r.map((ri, i) => rho * ri + (1 - rho) * g[i] * g[i]);
    return x.map((xi, i) => xi - (lr / Math.sqrt(delta + r[i])) * g[i]);
  };
};

/** The lectures' "Adam (almost)": moments without bias correction. */
const lectureAdamAlmost = (lr: number, b1: number, b2: number, eps: number): Ref => {
  let first: Vec = [];
  let second: Vec = [];
  return (x, g, t) => {
    if (t === 1) {
      first = zeros(x.length);
      second = zeros(x.length);
    }
    first = first.map((m, i) => b1 * m + (1 - b1) * g[i]);
    second = second.map((v, i) => b2 * v + (1 - b2) * g[i] * g[i]);
    return x.map((xi, i) => xi - (lr * first[i]) / (Math.sqrt(second[i]) + eps));
  };
};

/** Delta-bar-delta has no torch.optim counterpart: this transcribes the lectures' statement. */
const lectureDeltaBarDelta = (lr: number, kappa: number, phi: number, gamma: number): Ref => {
  let eps: Vec = [];
  let bar: Vec = [];
  return (x, g, t) => {
    if (t === 1) {
      eps = x.map(() => lr);
      bar = zeros(x.length);
    }
    const next = x.map((xi, i) => xi - eps[i] * g[i]);
    eps = eps.map((e, i) => {
      const s = bar[i] * g[i];
      return s > 0 ? e + kappa : s < 0 ? e - phi * e : e;
    });
    bar = bar.map((b, i) => (1 - gamma) * g[i] + gamma * b);
    return next;
  };
};

function referenceTrajectory(make: () => Ref, p: Problem, steps: number): Vec[] {
  const step = make();
  let x = [...p.x0];
  const out: Vec[] = [];
  for (let t = 1; t <= steps; t++) {
    x = step(x, p.grad(x), t);
    out.push(x);
  }
  return out;
}

// ---- running an optimiser through the graph ----------------------------------------------

function stepGraph(p: Problem, opt: GradientTransformation, dtype: 'f32' | 'f64' = 'f64') {
  const g = graph({ floatDtype: dtype });
  const x = g.param('x', [p.x0.length], init.literal(p.x0));
  const loss = p.loss(x, g);
  const ts = buildTrainStep(g, loss, paramsOf(g), opt);
  return { g, ts };
}

function trajectory(p: Problem, opt: GradientTransformation, steps: number) {
  const { g } = stepGraph(p, opt);
  const { history } = interpretSteps(g, { steps });
  return { xs: history.map((h) => [...h.updates.x.data]), losses: history.map((h) => h.loss) };
}

function expectClose(actual: Vec[], expected: Vec[], rtol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let where = '';
  actual.forEach((row, k) => {
    row.forEach((a, i) => {
      const e = expected[k][i];
      const err = Math.abs(a - e) / Math.max(Math.abs(e), 1e-300);
      if (!(err <= worst)) {
        worst = err;
        where = `step ${k + 1}, x[${i}]: ${a} vs ${e}`;
      }
    });
  });
  expect(worst, where).toBeLessThanOrEqual(rtol);
}

// ---- the table -----------------------------------------------------------------------------

interface Case {
  readonly name: string;
  /** A well-behaved instance for the quadratic and Rosenbrock checks. */
  readonly make: () => GradientTransformation;
  readonly reference: () => Ref;
  /** Its spec with every argument, as the DSL would validate it. */
  readonly spec: CallSpec;
  /** A smaller rate where the quadratic's rate would make Rosenbrock diverge. */
  readonly rosenbrockLr?: { make: () => GradientTransformation; reference: () => Ref };
}

const cases: Case[] = [
  {
    name: 'sgd',
    make: () => sgd(0.1),
    reference: () => torchSgd(0.1),
    spec: { name: 'sgd', args: { lr: 0.1 } },
    rosenbrockLr: { make: () => sgd(1e-4), reference: () => torchSgd(1e-4) },
  },
  {
    name: 'momentum',
    make: () => momentum(0.05, 0.9),
    reference: () => torchSgd(0.05, 0.9),
    spec: { name: 'momentum', args: { lr: 0.05, rho: 0.9 } },
    rosenbrockLr: { make: () => momentum(1e-4, 0.9), reference: () => torchSgd(1e-4, 0.9) },
  },
  {
    name: 'nesterov',
    make: () => nesterov(0.05, 0.8),
    reference: () => torchSgd(0.05, 0.8, true),
    spec: { name: 'nesterov', args: { lr: 0.05, rho: 0.8 } },
    rosenbrockLr: { make: () => nesterov(1e-4, 0.8), reference: () => torchSgd(1e-4, 0.8, true) },
  },
  {
    name: 'adagrad',
    make: () => adagrad(0.3),
    reference: () => torchAdagrad(0.3, 1e-10),
    spec: { name: 'adagrad', args: { lr: 0.3, eps: 1e-10 } },
  },
  {
    name: "adagrad (eps inside the root, the lectures' form)",
    make: () => adagrad(0.3, 1e-8, true),
    reference: () => lectureAdagrad(0.3, 1e-8),
    spec: { name: 'adagrad', args: { lr: 0.3, eps: 1e-8, eps_inside: true } },
  },
  {
    name: 'rmsprop',
    make: () => rmsprop(0.01),
    reference: () => torchRmsprop(0.01, 0.99, 1e-8, false),
    spec: { name: 'rmsprop', args: { lr: 0.01, decay: 0.99, eps: 1e-8, centered: false } },
  },
  {
    name: 'rmsprop (centred)',
    make: () => rmsprop(0.01, 0.9, 1e-8, true),
    reference: () => torchRmsprop(0.01, 0.9, 1e-8, true),
    spec: { name: 'rmsprop', args: { lr: 0.01, decay: 0.9, eps: 1e-8, centered: true } },
  },
  {
    name: "rmsprop (eps inside the root, the lectures' form)",
    make: () => rmsprop(0.01, 0.9, 1e-6, false, true),
    reference: () => lectureRmsprop(0.01, 0.9, 1e-6),
    spec: {
      name: 'rmsprop',
      args: { lr: 0.01, decay: 0.9, eps: 1e-6, centered: false, eps_inside: true },
    },
  },
  {
    name: 'adadelta',
    make: () => adadelta(),
    reference: () => torchAdadelta(1, 0.9, 1e-6),
    spec: { name: 'adadelta', args: { lr: 1, rho: 0.9, eps: 1e-6 } },
  },
  {
    name: 'adam',
    make: () => adam(0.05),
    reference: () => torchAdam(0.05, 0.9, 0.999, 1e-8, false),
    spec: { name: 'adam', args: { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, amsgrad: false } },
  },
  {
    name: 'adam (amsgrad)',
    make: () => adam(0.05, 0.8, 0.99, 1e-8, true),
    reference: () => torchAdam(0.05, 0.8, 0.99, 1e-8, true),
    spec: { name: 'adam', args: { lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-8, amsgrad: true } },
  },
  {
    name: 'adam without bias correction (the lectures\' "Adam (almost)")',
    make: () => adam(0.05, 0.9, 0.999, 1e-7, false, false),
    reference: () => lectureAdamAlmost(0.05, 0.9, 0.999, 1e-7),
    spec: {
      name: 'adam',
      args: { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-7, amsgrad: false, bias_correction: false },
    },
  },
  {
    name: 'adamw',
    make: () => adamw(0.05, 0.9, 0.999, 1e-8, 0.1),
    reference: () => torchAdam(0.05, 0.9, 0.999, 1e-8, false, 0.1),
    spec: {
      name: 'adamw',
      args: { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.1, amsgrad: false },
    },
  },
  {
    name: 'delta_bar_delta',
    make: () => deltaBarDelta(0.05, 0.01, 0.2, 0.7),
    reference: () => lectureDeltaBarDelta(0.05, 0.01, 0.2, 0.7),
    spec: { name: 'delta_bar_delta', args: { lr: 0.05, kappa: 0.01, phi: 0.2, theta: 0.7 } },
    rosenbrockLr: {
      make: () => deltaBarDelta(1e-4, 1e-5, 0.2, 0.7),
      reference: () => lectureDeltaBarDelta(1e-4, 1e-5, 0.2, 0.7),
    },
  },
  {
    name: 'sgd with L2 weight decay (torch weight_decay)',
    make: () => chain(addL2(0.1), sgd(0.1)),
    reference: () => torchSgd(0.1, 0, false, 0.1),
    spec: { name: 'sgd', args: { lr: 0.1 } },
    rosenbrockLr: {
      make: () => chain(addL2(0.1), sgd(1e-4)),
      reference: () => torchSgd(1e-4, 0, false, 0.1),
    },
  },
];

const STEPS = 50;

describe.each(cases)('$name', (c) => {
  it('descends on a quadratic', () => {
    const { losses } = trajectory(quadratic, c.make(), 100);
    const initial = losses[0];
    expect(losses[losses.length - 1]).toBeLessThan(initial - 0.1 * Math.abs(initial));
  });

  it('agrees with the reference algorithm on a quadratic (50 steps, f64)', () => {
    const ours = trajectory(quadratic, c.make(), STEPS).xs;
    expectClose(ours, referenceTrajectory(c.reference, quadratic, STEPS), 1e-12);
  });

  it('agrees with the reference algorithm on Rosenbrock (50 steps, f64)', () => {
    const r = c.rosenbrockLr ?? c;
    const ours = trajectory(rosenbrock, r.make(), STEPS).xs;
    expectClose(ours, referenceTrajectory(r.reference, rosenbrock, STEPS), 1e-12);
  });

  it('chain(identity(), t) and chain(t, identity()) behave as t', () => {
    const plain = trajectory(quadratic, c.make(), 10).xs;
    expect(trajectory(quadratic, chain(identity(), c.make()), 10).xs).toEqual(plain);
    expect(trajectory(quadratic, chain(c.make(), identity()), 10).xs).toEqual(plain);
  });

  it('round-trips its state through a checkpoint', () => {
    const whole = trajectory(rosenbrock, c.make(), 12).xs;
    const first = stepGraph(rosenbrock, c.make());
    const part1 = interpretSteps(first.g, { steps: 5 });
    // The checkpoint: params and the state variables the step names, nothing else.
    const saved: Record<string, Tensor> = { x: part1.variables.x };
    for (const n of first.ts.stateNames) saved[n] = part1.variables[n];
    const second = stepGraph(rosenbrock, c.make());
    expect(second.ts.stateNames).toEqual(first.ts.stateNames);
    const part2 = interpretSteps(second.g, { steps: 7, variables: saved });
    const resumed = [...part1.history, ...part2.history].map((h) => [...h.updates.x.data]);
    expect(resumed).toEqual(whole);
  });

  it('is built the same from its catalogue spec', () => {
    const direct = trajectory(quadratic, c.make(), 10).xs;
    const spec = c.name.startsWith('sgd with')
      ? chain(addL2(0.1), optimizerFromSpec(c.spec))
      : optimizerFromSpec(c.spec);
    expect(trajectory(quadratic, spec, 10).xs).toEqual(direct);
  });

  it('runs in an f32 graph close to f64', () => {
    const { g } = stepGraph(quadratic, c.make(), 'f32');
    const f32 = interpretSteps(g, { steps: 10, precision: 'f32' }).history.map((h) => [...h.updates.x.data]);
    const f64 = trajectory(quadratic, c.make(), 10).xs;
    f32.forEach((row, k) => {
      row.forEach((v, i) => {
        expect(v).toBeCloseTo(f64[k][i], 4);
      });
    });
  });
});

describe('optimizerFromSpec', () => {
  it('fills defaults from the catalogue', () => {
    const a = trajectory(quadratic, optimizerFromSpec({ name: 'adam', args: {} }), 5).xs;
    expect(a).toEqual(trajectory(quadratic, adam(), 5).xs);
    expect(a).toEqual(referenceTrajectory(() => torchAdam(1e-3, 0.9, 0.999, 1e-8, false), quadratic, 5));
  });

  it('names an unknown optimiser, with a suggestion', () => {
    const bad = () => optimizerFromSpec({ name: 'adamm', args: {} });
    expect(bad).toThrow(GradusError);
    expect(bad).toThrow(/unknown optimizer 'adamm'/);
    try {
      bad();
    } catch (e) {
      expect((e as GradusError).diagnostics[0].hint).toMatch(/adam/);
    }
  });

  it.each(Object.keys(NAMED_OPTIMIZERS))(
    '%s() and its spec with no arguments agree (defaults live in the catalogue)',
    (name) => {
      const make = NAMED_OPTIMIZERS[name as keyof typeof NAMED_OPTIMIZERS] as () => GradientTransformation;
      expect(trajectory(quadratic, optimizerFromSpec({ name, args: {} }), 3).xs).toEqual(
        trajectory(quadratic, make(), 3).xs,
      );
    },
  );

  it('does not mistake Object.prototype names for optimisers', () => {
    expect(() => optimizerFromSpec({ name: 'toString', args: {} })).toThrow(/unknown optimizer 'toString'/);
    expect(() => optimizerFromSpec({ name: 'sgd', args: { constructor: 1 } })).toThrow(/no argument/);
  });

  it('rejects unknown arguments and host-driven optimisers', () => {
    expect(() => optimizerFromSpec({ name: 'sgd', args: { rate: 1 } })).toThrow(/no argument 'rate'/);
    expect(() => optimizerFromSpec({ name: 'lbfgs', args: {} })).toThrow(/host/);
  });

  it('schedules the learning rate, and the step reports the rate it used', () => {
    const opt = optimizerFromSpec(
      { name: 'sgd', args: { lr: 0.2 } },
      { schedule: { name: 'step', args: { every: 3, factor: 0.5 } } },
    );
    const { g } = stepGraph(quadratic, opt);
    const lrs = interpretSteps(g, { steps: 8 }).history.map((h) => h.lr);
    expect(lrs).toEqual([0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05]);
  });

  it('hands back the learning rate or its schedule', () => {
    expect(optimizerFromSpec({ name: 'adam', args: {} }).lr).toBe(1e-3);
    const opt = optimizerFromSpec(
      { name: 'adam', args: { lr: 0.5 } },
      { schedule: { name: 'plateau', args: {} } },
    );
    expect(isPlateauSchedule(opt.lr)).toBe(true);
    // The host drives the multiplier through the state variable the step graph reads.
    const { g } = stepGraph(quadratic, opt);
    expect(g.variables.has(PLATEAU_VARIABLE)).toBe(true);
    const lrs = interpretSteps(g, { steps: 2, variables: { [PLATEAU_VARIABLE]: 0.1 } }).history.map(
      (h) => h.lr,
    );
    expect(lrs).toEqual([0.05, 0.05]);
  });

  it('schedules delta-bar-delta by scaling its adapted rates', () => {
    const opt = optimizerFromSpec(
      { name: 'delta_bar_delta', args: { lr: 0.2 } },
      { schedule: { name: 'exponential', args: { rate: 0.5 } } },
    );
    const { g } = stepGraph(quadratic, opt);
    const lrs = interpretSteps(g, { steps: 2 }).history.map((h) => h.lr);
    // The rates move only from step 2's adaptation on, so this is the schedule alone.
    expect(lrs[0]).toBeCloseTo(0.2, 15);
    expect(lrs[1]).toBeCloseTo(0.1, 15);
  });
});
