import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { graph, init } from '@gradus/autodiff';
import { cpu } from '@gradus/backends';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import {
  type EvalPoint,
  emaSmooth,
  lossSurface,
  plotCharts,
  prepareChartDir,
  renderSvgs,
  SPLIT_COLOURS,
  type StepPoint,
  twoCoordinates,
  writePlots,
  yAxis,
} from './plot.js';

describe('charts', () => {
  it('render in a child process exactly what vega renders in this one', async () => {
    const lite = {
      data: { values: [1, 4, 2, 8].map((y, x) => ({ x, y })) },
      mark: 'line',
      encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
    } as const;
    const spec = compile(lite).spec;
    const expected = await new vega.View(vega.parse(spec), { renderer: 'none' }).toSVG();
    expect(
      renderSvgs([
        { file: 'a.svg', lite },
        { file: 'b.svg', vega: spec },
      ]),
    ).toEqual([expected, expected]);
  });

  it('find the two coordinates of two-number models only', () => {
    expect(twoCoordinates({ x: [2] })?.map((c) => c.label)).toEqual(['x[0]', 'x[1]']);
    expect(twoCoordinates({ a: [], b: [] })?.map((c) => c.label)).toEqual(['a', 'b']);
    expect(twoCoordinates({ a: [1], b: [] })?.map((c) => c.label)).toEqual(['a[0]', 'b']);
    expect(twoCoordinates({ x: [3] })).toBeUndefined();
    expect(twoCoordinates({ W: [2, 2] })).toBeUndefined();
    expect(twoCoordinates({ a: [] })).toBeUndefined();
  });

  it('evaluate the loss surface with the backend, the other variables held', () => {
    const g = graph({ mode: 'eval' });
    const x = g.param('x', [2], init.zeros());
    g.output(
      'loss',
      x
        .square()
        .mul(g.constant([1, 50]))
        .sum(),
      'loss',
    );
    const f = lossSurface(g, cpu, {
      dtype: 'f64',
      seed: 0,
      variables: { x: { shape: [2], dtype: 'f64', data: Float64Array.of(4, 0.5) } },
      feeds: {},
      coords: twoCoordinates({ x: [2] })!,
    });
    expect(f(3, -2)).toBe(9 + 200);
    expect(f(0, 0)).toBe(0);
  });

  it('write loss, one chart per metric, and the path chart when there is a landscape', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradus-plot-'));
    const steps = Array.from({ length: 30 }, (_, k) => ({
      step: k + 1,
      loss: 1 / (k + 1),
      metrics: { accuracy: k / 30, 'top-5/acc': 0.5 },
    }));
    const evals = [10, 20, 30].map((step) => ({
      step,
      split: 'test',
      loss: 1 / step,
      metrics: { accuracy: 0.9 },
    }));
    const path: [number, number][] = [
      [1, 1],
      [0.5, -0.5],
      [0.1, 0.1],
    ];
    const written = writePlots(dir, {
      model: 'M',
      steps,
      evals,
      landscape: {
        coords: [
          { param: 'a', index: 0, label: 'a' },
          { param: 'b', index: 0, label: 'b' },
        ],
        path,
        lossAt: (a, b) => a * a + 3 * b * b,
      },
    });
    expect(readdirSync(dir).sort()).toEqual([
      'accuracy.svg',
      'index.html',
      'loss.svg',
      'path.svg',
      'top-5_acc.svg',
    ]);
    expect(written).toHaveLength(5);
    const svg = readFileSync(join(dir, 'path.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('M: optimiser path over loss contours (2 steps)');
  });
});

type Row = { step: number; value: number; split: string; kind: string };
const rowsOf = (spec: unknown) => (spec as { data: { values: Row[] } }).data.values;
const coloursOf = (spec: unknown) => {
  const c = (spec as { encoding: { color: { scale: { domain: string[]; range: string[] } } } }).encoding.color
    .scale;
  return Object.fromEntries(c.domain.map((d, i) => [d, c.range[i]]));
};
/** The line marks of a rendered chart: colour, width, opacity and dash, from vega's SVG. */
const linesOf = (svg: string) =>
  [
    ...svg.matchAll(
      /<path aria-label="[^"]*split: (\w+)" role="graphics-symbol" aria-roledescription="line mark"[^>]*>/g,
    ),
  ].map((m) => ({
    split: m[1],
    stroke: /stroke="([^"]+)"/.exec(m[0])?.[1],
    width: Number(/stroke-width="([^"]+)"/.exec(m[0])?.[1]),
    faint: /opacity="0.25"/.test(m[0]),
    dashed: /stroke-dasharray/.test(m[0]),
  }));
/** The text of every axis label of a rendered chart. */
const axisLabels = (svg: string) =>
  [...svg.matchAll(/class="mark-text role-axis-label"[^>]*>(.*?)<\/g>/g)].flatMap((g) =>
    [...g[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]),
  );

/** A run with noisy minibatch losses, learning rate and gradient norm, and two evaluated splits. */
function noisyRun(): { steps: StepPoint[]; evals: EvalPoint[] } {
  const steps = Array.from({ length: 60 }, (_, k) => ({
    step: k + 1,
    loss: 2 / (k + 1) + 0.3 * Math.sin(7 * k) ** 2,
    metrics: { accuracy: Math.min(1, k / 50) },
    lr: 0.1 * 0.95 ** k,
    gradNorm: 1 + Math.cos(k),
  }));
  const evals = [20, 40, 60].flatMap((step) => [
    { step, split: 'validation', loss: 1 / step, metrics: { accuracy: 0.8 } },
    ...(step === 60 ? [{ step, split: 'test', loss: 1.2 / step, metrics: { accuracy: 0.75 } }] : []),
  ]);
  return { steps, evals };
}

describe('training charts', () => {
  it('smooth with the debiased EMA: it starts at the first value and follows a constant exactly', () => {
    for (const x of emaSmooth([5, 5, 5, 5])) expect(x).toBeCloseTo(5, 14);
    const v = [1, 3, 2, Number.NaN, 4];
    const s = emaSmooth(v, 0.5);
    expect(s[0]).toBe(1);
    // Independently: s_t = (Σ_i 0.5^(t-i)·0.5·v_i) / (1 − 0.5^t) over the finite values.
    const finite = [1, 3, 2, 4];
    const expected = finite.map((_, t) => {
      let acc = 0;
      for (let i = 0; i <= t; i++) acc += 0.5 ** (t - i) * 0.5 * finite[i];
      return acc / (1 - 0.5 ** (t + 1));
    });
    expect([s[0], s[1], s[2], s[4]]).toEqual(expected.map((x) => expect.closeTo(x, 14)));
    expect(s[3]).toBeNaN();
  });

  it('draw every raw minibatch value, their EMA over them, and each split’s evaluations', () => {
    const run = noisyRun();
    const charts = plotCharts({ model: 'M', ...run });
    expect(charts.map((c) => c.file)).toEqual(['loss.svg', 'accuracy.svg', 'lr.svg', 'grad_norm.svg']);
    const rows = rowsOf(charts[0].lite);
    const raw = rows.filter((r) => r.kind === 'raw');
    expect(raw.map((r) => r.value)).toEqual(run.steps.map((p) => p.loss));
    const smoothed = rows.filter((r) => r.kind === 'smoothed').map((r) => r.value);
    expect(smoothed).toEqual(emaSmooth(run.steps.map((p) => p.loss)));
    // The smoothed curve is smoother: its total variation is a fraction of the raw one's.
    const tv = (a: number[]) => a.slice(1).reduce((t, x, i) => t + Math.abs(x - a[i]), 0);
    expect(tv(smoothed)).toBeLessThan(0.5 * tv(raw.map((r) => r.value)));
    const evals = rows.filter((r) => r.kind === 'evaluation');
    expect(evals.map((r) => `${r.split}@${r.step}`)).toEqual([
      'validation@20',
      'validation@40',
      'validation@60',
      'test@60',
    ]);
    // The learning rate is exact, not smoothed.
    expect(rowsOf(charts[2].lite).map((r) => r.value)).toEqual(run.steps.map((p) => p.lr));
  });

  it('give each split one colour in every chart, and draw raw faint, EMA bold, evaluations dashed', () => {
    const charts = plotCharts({ model: 'M', ...noisyRun() });
    for (const c of charts) {
      const colours = coloursOf(c.lite);
      for (const [split, colour] of Object.entries(colours)) expect(colour).toBe(SPLIT_COLOURS[split]);
    }
    expect(Object.keys(coloursOf(charts[0].lite))).toEqual(['train', 'validation', 'test']);
    const [loss, accuracy] = renderSvgs(charts.slice(0, 2));
    for (const svg of [loss, accuracy]) {
      const lines = linesOf(svg);
      expect(lines).toContainEqual({
        split: 'train',
        stroke: SPLIT_COLOURS.train,
        width: 1,
        faint: true,
        dashed: false,
      });
      expect(lines).toContainEqual({
        split: 'train',
        stroke: SPLIT_COLOURS.train,
        width: 2,
        faint: false,
        dashed: false,
      });
      expect(lines).toContainEqual({
        split: 'validation',
        stroke: SPLIT_COLOURS.validation,
        width: 1.5,
        faint: false,
        dashed: true,
      });
      expect(lines.filter((l) => l.split === 'test').map((l) => l.stroke)).toEqual([SPLIT_COLOURS.test]);
    }
  });

  it('clip the axis of a diverged run with a note: no tick reads 1e+300', () => {
    const steps = Array.from({ length: 120 }, (_, k) => ({
      step: k + 1,
      loss: k < 100 ? 28 * 1.3 ** k : k < 110 ? 1e300 : Number.POSITIVE_INFINITY,
      metrics: {},
      gradNorm: 10 * 1.5 ** k,
    }));
    const charts = plotCharts({ model: 'M', steps, evals: [] });
    const svgs = renderSvgs(charts);
    for (const svg of svgs) {
      const labels = axisLabels(svg);
      expect(labels.length).toBeGreaterThan(5);
      for (const l of labels) {
        expect(l).not.toMatch(/e[+-]?\d/);
        expect(l.length).toBeLessThanOrEqual(9);
      }
      expect(svg).toContain('the run diverged: values above');
    }
    expect(svgs[0]).toContain('loss is not finite from step 111 on');
    expect(yAxis([3, 2, 1, 1e300], [3])).toEqual({
      log: true,
      domain: [1, 3000],
      clipped: { above: 3000, largest: 1e300 },
    });
  });

  it('leave a run that only falls over decades unclipped, on a log axis', () => {
    expect(yAxis([1e3, 10, 0.1, 1e-3], [1e3])).toEqual({ log: true });
    expect(yAxis([0.2, 0.5, 0.9], [0.2])).toEqual({ log: false });
    expect(yAxis([-1, 2, -3], [-1])).toEqual({ log: false });
  });

  it('write index.html showing every chart written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradus-plot-index-'));
    const written = writePlots(join(dir, 'a', 'b'), { model: 'M <&>', ...noisyRun() });
    const html = readFileSync(join(dir, 'a', 'b', 'index.html'), 'utf8');
    const srcs = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]);
    expect(srcs).toEqual(['loss.svg', 'accuracy.svg', 'lr.svg', 'grad_norm.svg']);
    expect(written.map((f) => f.slice(dir.length + 5))).toEqual([...srcs, 'index.html']);
    expect(html).toContain('<title>M &lt;&amp;&gt;: charts</title>');
    expect(readdirSync(join(dir, 'a', 'b')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('refuse an unusable directory at once with the reason', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradus-plot-bad-'));
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    expect(() => prepareChartDir(join(file, 'charts'))).toThrow(
      /cannot use .*charts for charts: ENOTDIR: .*a-file is not a directory/,
    );
    if (existsSync('/proc/self')) {
      const t = Date.now();
      expect(() => prepareChartDir('/proc/gradus-no-such-dir/x')).toThrow(
        /cannot use \/proc\/gradus-no-such-dir\/x for charts: ENOENT: cannot make \/proc\/gradus-no-such-dir/,
      );
      expect(Date.now() - t).toBeLessThan(1000);
    }
    prepareChartDir(join(dir, 'fresh', 'deep'));
    expect(readdirSync(join(dir, 'fresh', 'deep'))).toEqual([]);
  });
});
