import { GradusError, graph, interpret } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import { SCHEDULES } from '../catalogue.js';
import { scheduleFromSpec } from './from-spec.js';
import { PLATEAU_VARIABLE, schedules as S } from './library.js';
import { reduceOnPlateau } from './plateau.js';
import type { Schedule } from './schedule.js';

/** Each schedule with its formula derived by hand (t = steps completed). */
const table: { schedule: Schedule; formula: (t: number) => number }[] = [
  { schedule: S.constant({ base: 0.3 }), formula: () => 0.3 },
  { schedule: S.step({ base: 0.1, every: 30 }), formula: (t) => 0.1 * 0.1 ** Math.floor(t / 30) },
  {
    schedule: S.multistep({ base: 1, milestones: [90, 30, 60], factor: 0.5 }),
    formula: (t) => (t < 30 ? 1 : t < 60 ? 0.5 : t < 90 ? 0.25 : 0.125),
  },
  { schedule: S.exponential({ base: 2, rate: 0.97 }), formula: (t) => 2 * 0.97 ** t },
  {
    schedule: S.cosine({ base: 0.1, steps: 100 }),
    formula: (t) => (t >= 100 ? 0 : 0.5 * 0.1 * (1 + Math.cos((t * Math.PI) / 100))),
  },
  {
    schedule: S.cosine({ base: 1, steps: 50, min: 0.2 }),
    formula: (t) => 0.2 + 0.8 * 0.5 * (1 + Math.cos((Math.min(t, 50) * Math.PI) / 50)),
  },
  {
    // The lectures' ε_k = (1 − k/τ)ε₀ + (k/τ)ε_τ with ε_τ = 1% of ε₀, constant after τ.
    schedule: S.linear({ base: 0.5, steps: 120 }),
    formula: (t) => (t >= 120 ? 0.005 : (1 - t / 120) * 0.5 + (t / 120) * 0.005),
  },
  { schedule: S.inverse_sqrt({ base: 1, scale: 10 }), formula: (t) => 1 / Math.sqrt(1 + t / 10) },
  { schedule: S.inverse_time({ base: 0.5, scale: 20 }), formula: (t) => (0.5 * 20) / (20 + t) },
  {
    schedule: S.warmup(20, S.cosine({ base: 1, steps: 100 })),
    formula: (t) => (t < 20 ? t / 20 : 0.5 * (1 + Math.cos((Math.min(t - 20, 100) * Math.PI) / 100))),
  },
  {
    // Up from 0.1 to 1 over 25 steps, down over the next 25, and again.
    schedule: S.cyclical({ base: 1, period: 25 }),
    formula: (t) => {
      const phase = t % 50;
      const up = phase <= 25 ? phase / 25 : (50 - phase) / 25;
      return 0.1 + 0.9 * up;
    },
  },
];

const STEPS = [
  0, 1, 2, 19, 20, 21, 29, 30, 31, 50, 59, 60, 61, 75, 89, 90, 99, 100, 101, 119, 120, 121, 150, 200,
];

describe.each(table)('$schedule.name', ({ schedule, formula }) => {
  it('matches its hand-derived formula', () => {
    for (const t of STEPS) expect(schedule.host(t), `t = ${t}`).toBeCloseTo(formula(t), 14);
  });

  it('number and graph forms agree on every step 0..200', () => {
    const g = graph();
    const t = g.input('t', []);
    const out = schedule.graph(t);
    for (let k = 0; k <= 200; k++) {
      const [v] = interpret([out.node], { feeds: { t: k }, initSeed: 0 });
      expect(v.data[0], `t = ${k}`).toBe(schedule.host(k));
    }
  });
});

describe('schedule details', () => {
  it('a graph schedule accepts an integer step counter', () => {
    const g = graph();
    const t = g.input('t', [], 'i32');
    const s = S.step({ base: 1, every: 3, factor: 0.5 });
    const [v] = interpret([s.graph(t).node], { feeds: { t: 7 } });
    expect(v.data[0]).toBe(0.25);
  });

  it('warmup(0, s) is s', () => {
    const s = S.cosine({ steps: 10 });
    expect(S.warmup(0, s)).toBe(s);
  });

  it('rejects a zero period or length', () => {
    expect(() => S.cosine({ steps: 0 })).toThrow(GradusError);
    expect(() => S.step({ every: 1.5 })).toThrow(/positive integer/);
    expect(() => S.inverse_time({ scale: 0 })).toThrow(/'scale' must be positive/);
  });

  it("inverse_time meets the lectures' SGD conditions Σε = ∞ and Σε² < ∞; inverse_sqrt only the first", () => {
    // Over 10⁶ steps: Σ base·s/(s + t) ≥ base·s·ln((s + T)/s) grows without bound, while
    // Σ (base·s/(s + t))² ≤ base²·(1 + s) (bounding the tail by an integral).
    const base = 0.3;
    const scale = 10;
    const s = S.inverse_time({ base, scale });
    const q = S.inverse_sqrt({ base, scale });
    let sum = 0;
    let squares = 0;
    let sqrtSquares = 0;
    const checkpoints: number[][] = [];
    for (let t = 0; t < 1e6; t++) {
      const e = s.host(t);
      sum += e;
      squares += e * e;
      sqrtSquares += q.host(t) ** 2;
      if (t + 1 === 1e3 || t + 1 === 1e6) checkpoints.push([sum, squares, sqrtSquares]);
    }
    const [[sum3, sq3, sqrt3], [sum6, sq6, sqrt6]] = checkpoints;
    expect(sum6).toBeGreaterThanOrEqual(base * scale * Math.log((scale + 1e6) / scale));
    expect(sum6 - sum3).toBeGreaterThan(base * scale * Math.log(1e3) * 0.99);
    expect(sq6).toBeLessThanOrEqual(base * base * (1 + scale));
    expect(sq6 - sq3).toBeLessThan(base * base * scale * 1e-2);
    // Σ (1/√(1 + t/s))² = Σ s/(s + t): a harmonic series, growing by s·ln 1000 from 10³ to 10⁶ steps.
    expect(sqrt6 - sqrt3).toBeGreaterThan(base * base * scale * Math.log(1e3) * 0.99);
  });
});

describe('scheduleFromSpec', () => {
  it('builds every catalogue schedule with its defaults, as fractions of the base', () => {
    const specs = {
      constant: {},
      step: { every: 10 },
      multistep: { milestones: [5, 9] },
      exponential: { rate: 0.9 },
      cosine: { steps: 10 },
      linear: { steps: 10 },
      inverse_sqrt: {},
      inverse_time: {},
      // biome-ignore lint/suspicious/noThenProperty: `then` is warmup's argument name in the catalogue.
      warmup: { steps: 5, then: { name: 'constant', args: {} } },
      cyclical: { period: 4 },
      plateau: {},
    };
    expect(Object.keys(specs).sort()).toEqual(Object.keys(SCHEDULES).sort());
    for (const [name, args] of Object.entries(specs)) {
      const s = scheduleFromSpec({ name, args }, 0.2);
      expect(s.host(0), name).toBeCloseTo(name === 'warmup' ? 0 : name === 'cyclical' ? 0.02 : 0.2, 15);
    }
    expect(scheduleFromSpec({ name: 'linear', args: { steps: 10 } }, 0.2).host(10)).toBeCloseTo(0.002, 15);
    expect(scheduleFromSpec({ name: 'cosine', args: { steps: 10, min: 0.5 } }, 0.2).host(10)).toBeCloseTo(
      0.1,
      15,
    );
    expect(scheduleFromSpec({ name: 'step', args: { every: 10 } }, 1).host(10)).toBeCloseTo(0.1, 15);
  });

  it('gives warmup its then-schedule at the same base', () => {
    const s = scheduleFromSpec(
      // biome-ignore lint/suspicious/noThenProperty: `then` is warmup's argument name in the catalogue.
      { name: 'warmup', args: { steps: 4, then: { name: 'exponential', args: { rate: 0.5 } } } },
      0.8,
    );
    [0, 0.2, 0.4, 0.6, 0.8, 0.4, 0.2].forEach((v, t) => {
      expect(s.host(t)).toBeCloseTo(v, 15);
    });
  });

  it('names an unknown schedule and an unknown or missing argument', () => {
    expect(() => scheduleFromSpec({ name: 'cosin', args: {} })).toThrow(/unknown schedule 'cosin'/);
    expect(() => scheduleFromSpec({ name: 'cosine', args: { step: 3 } })).toThrow(/no argument 'step'/);
    expect(() => scheduleFromSpec({ name: 'cosine', args: {} })).toThrow(/needs the argument 'steps'/);
  });
});

describe('reduce on plateau', () => {
  it('multiplies by factor after more than `patience` evaluations without improvement', () => {
    const rule = reduceOnPlateau({ factor: 0.5, patience: 2 });
    const metrics = [1, 0.9, 0.95, 0.91, 0.92, 0.93, 0.8, 0.8, 0.8, 0.8];
    const seen: number[] = [];
    let s = rule.init();
    for (const m of metrics) {
      s = rule.update(s, m);
      seen.push(s.multiplier);
    }
    // Bad evaluations: 0.95, 0.91, 0.92 (third one > patience → halve), 0.93; 0.8 improves; then 3 bad.
    expect(seen).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25]);
  });

  it('treats improvements below the relative threshold as none', () => {
    const rule = reduceOnPlateau({ factor: 0.1, patience: 0, threshold: 0.01 });
    const s1 = rule.update(rule.init(), 1);
    expect(rule.update(s1, 0.995).multiplier).toBe(0.1);
    expect(rule.update(s1, 0.98).multiplier).toBe(1);
  });

  it('as a schedule, reads the multiplier from a state variable the host sets', () => {
    const s = S.plateau({ base: 0.3, factor: 0.5, patience: 1 });
    const g = graph();
    const out = s.graph(g.input('t', []));
    expect(g.variables.has(PLATEAU_VARIABLE)).toBe(true);
    const [v] = interpret([out.node], { feeds: { t: 3, [PLATEAU_VARIABLE]: 0.25 } });
    expect(v.data[0]).toBeCloseTo(0.075, 15);
    expect(s.host(3)).toBe(0.3);
  });
});
