import {
  type Graph,
  type InitSpec,
  interpret,
  type Node,
  type Tensor,
  type TensorLike,
  topoSort,
} from '@gradus/autodiff';

export interface LsuvReport {
  readonly name: string;
  /** Output variance on the batch before and after rescaling. */
  readonly before: number;
  readonly after: number;
  readonly iterations: number;
}

const MAX_ITERATIONS = 10;

/**
 * Layer-sequential unit-variance initialisation (Mishkin & Matas, "All you need is a good init",
 * 2016): for each param declared `init lsuv` that is the right operand of a matrix product, in the
 * order the data reaches them, divide it by the standard deviation of that product's output on
 * one batch, until the variance is within `tolerance` of 1. Earlier layers are fixed first, so
 * each layer sees the rescaled activations of those before it. Returns the adjusted values.
 */
export function lsuv(
  g: Graph,
  values: Readonly<Record<string, Tensor>>,
  batch: Readonly<Record<string, TensorLike>>,
): { values: Record<string, Tensor>; report: LsuvReport[] } {
  const out: Record<string, Tensor> = { ...values };
  const report: LsuvReport[] = [];
  const lossOrRoots = g.roots();
  const layers = topoSort(lossOrRoots).filter(
    (n): n is Node =>
      n.op === 'MatMul' &&
      n.inputs[1].op === 'Variable' &&
      (n.inputs[1].attrs.init as InitSpec | undefined)?.kind === 'lsuv',
  );
  for (const layer of layers) {
    const w = layer.inputs[1];
    const name = w.attrs.name as string;
    const tolerance = ((w.attrs.init as { tolerance?: number }).tolerance ?? 0.05) as number;
    const varianceNow = () => variance(interpret([layer], { feeds: { ...batch, ...out } })[0].data);
    const before = varianceNow();
    let v = before;
    let iterations = 0;
    while (Math.abs(v - 1) > tolerance && iterations < MAX_ITERATIONS && v > 0 && Number.isFinite(v)) {
      const scale = 1 / Math.sqrt(v);
      out[name] = { ...out[name], data: out[name].data.map((x) => x * scale) };
      v = varianceNow();
      iterations++;
    }
    report.push({ name, before, after: v, iterations });
  }
  return { values: out, report };
}

function variance(data: Float64Array): number {
  let mean = 0;
  for (const x of data) mean += x;
  mean /= data.length;
  let s = 0;
  for (const x of data) s += (x - mean) ** 2;
  return s / data.length;
}
