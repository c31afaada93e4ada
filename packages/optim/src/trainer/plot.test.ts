import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { graph, init } from '@gradus/autodiff';
import { cpu } from '@gradus/backends';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { lossSurface, renderSvgs, twoCoordinates, writePlots } from './plot.js';

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
    expect(readdirSync(dir).sort()).toEqual(['accuracy.svg', 'loss.svg', 'path.svg', 'top-5_acc.svg']);
    expect(written).toHaveLength(4);
    const svg = readFileSync(join(dir, 'path.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('M: optimiser path over loss contours (2 steps)');
  });
});
