import type { Graph, Tensor } from '@gradus/autodiff';
import { cpu } from '@gradus/backends';
import type { Callback } from '../callback.js';
import {
  type Coordinate,
  type EvalPoint,
  type Landscape,
  lossSurface,
  type StepPoint,
  writePlots,
} from '../plot.js';

export interface ChartsOptions {
  readonly model: string;
  /** For the path chart of a two-coordinate model: the evaluation graph, and the rows to draw on. */
  readonly landscape?: {
    readonly coords: readonly [Coordinate, Coordinate];
    readonly evalGraph: Graph;
    readonly feeds: Readonly<Record<string, Tensor>>;
  };
  /** Told the files written. */
  readonly onWritten?: (files: readonly string[]) => void;
}

/**
 * Gathers every step and evaluation and, at the end of the run, writes the charts into `dir`
 * (see writePlots): loss and metrics (EMA-smoothed over the raw minibatch values, and the
 * evaluations of each split), learning rate, gradient norm, an `index.html` showing them all,
 * and for a model of two coordinates the optimiser's path
 * over contours of the loss (its points need the params after every step: `traceParams`).
 */
export function charts(dir: string, options: ChartsOptions): Callback {
  const steps: StepPoint[] = [];
  const evals: EvalPoint[] = [];
  const path: [number, number][] = [];
  const land = options.landscape;
  const pointOf = (params: Readonly<Record<string, ArrayLike<number>>>): [number, number] => {
    const [a, b] = land!.coords;
    return [params[a.param][a.index], params[b.param][b.index]];
  };
  return {
    name: 'charts',
    onTrainBegin(ctx) {
      if (land) pathOf(ctx.params());
    },
    onStep(e) {
      steps.push({
        step: e.step,
        loss: e.loss,
        metrics: e.metrics,
        ...(e.lr !== undefined ? { lr: e.lr } : {}),
        ...(e.gradNorm !== undefined ? { gradNorm: e.gradNorm } : {}),
      });
      if (land && e.params) path.push(pointOf(e.params));
    },
    onEval(e) {
      evals.push({ step: e.step, split: e.split, loss: e.loss, metrics: e.metrics });
    },
    onTrainEnd(ctx) {
      let landscape: Landscape | undefined;
      if (land && path.length > 0) {
        landscape = {
          coords: land.coords,
          path,
          lossAt: lossSurface(land.evalGraph, cpu, {
            dtype: ctx.dtype,
            seed: ctx.seed,
            variables: ctx.params(),
            feeds: land.feeds,
            coords: land.coords,
          }),
        };
      }
      const files = writePlots(dir, {
        model: options.model,
        steps,
        evals,
        ...(landscape ? { landscape } : {}),
      });
      options.onWritten?.(files);
    },
  };
  function pathOf(params: Readonly<Record<string, Tensor>>) {
    path.push(pointOf(Object.fromEntries(Object.entries(params).map(([k, t]) => [k, t.data]))));
  }
}
