import { crossEntropy, type Graph, grad, graph, init, type Value } from '@gradus/autodiff';
import { cpu } from '@gradus/backends';
import { type Adapter, C_SIZE, MLP, medianMs, ROSENBROCK, randomF32, randomLabels } from '../workloads.js';

/**
 * Adam in graph ops, assigned as variable updates so a whole training step is one generated
 * function. (Stand-in until the optimizers of the training issue land in @gradus/optim.)
 */
function adam(g: Graph, loss: Value, params: readonly Value[], lr: number): void {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const grads = grad(loss, [...params]);
  const t = g.state('adam.t', [], { kind: 'zeros' });
  const t1 = t.add(1);
  g.assign('adam.t', t1);
  const c1 = t1.mul(Math.log(b1)).exp().rsub(1);
  const c2 = t1.mul(Math.log(b2)).exp().rsub(1);
  params.forEach((p, i) => {
    const name = p.node.attrs.name as string;
    const m = g.state(`adam.m.${name}`, p.shape);
    const v = g.state(`adam.v.${name}`, p.shape);
    const m1 = m.mul(b1).add(grads[i].mul(1 - b1));
    const v1 = v.mul(b2).add(grads[i].square().mul(1 - b2));
    g.assign(`adam.m.${name}`, m1);
    g.assign(`adam.v.${name}`, v1);
    g.assign(name, p.sub(m1.div(c1).mul(lr).div(v1.div(c2).sqrt().add(eps))));
  });
}

const f32 = (shape: number[], data: Float32Array | Int32Array, dtype: 'f32' | 'i32' = 'f32') => ({
  shape,
  dtype,
  data: data as unknown as Float64Array,
});

function mlpGraph(): Graph {
  const g = graph({ floatDtype: 'f32' });
  const x = g.input('x', ['N', MLP.input]);
  const y = g.input('y', ['N'], 'i32');
  const W1 = g.param('W1', [MLP.input, MLP.hidden], init.glorotUniform());
  const b1 = g.param('b1', [MLP.hidden]);
  const W2 = g.param('W2', [MLP.hidden, MLP.classes], init.glorotUniform());
  const b2 = g.param('b2', [MLP.classes]);
  const logits = x.matMul(W1).add(b1).relu().matMul(W2).add(b2);
  const loss = crossEntropy(logits, y).mean();
  g.output('loss', loss, 'loss');
  adam(g, loss, [W1, b1, W2, b2], MLP.lr);
  return g;
}

export async function load(threads: 1 | 2 = 1): Promise<Adapter> {
  const opts = { threads } as const;
  const workloads: Record<string, () => Promise<number>> = {};
  for (const n of [256, 512, 1024]) {
    workloads[`A${n}`] = async () => {
      const g = graph({ floatDtype: 'f32' });
      g.output('c', g.input('a', [n, n]).matMul(g.input('b', [n, n])));
      const ex = cpu.compile(g, opts);
      const feeds = { a: f32([n, n], randomF32(n * n, 1)), b: f32([n, n], randomF32(n * n, 2)) };
      const ms = await medianMs(() => ex.run(feeds));
      return (2 * n ** 3) / ms / 1e6;
    };
  }
  const mlpFeeds = {
    x: f32([MLP.batch, MLP.input], randomF32(MLP.batch * MLP.input, 3)),
    y: f32([MLP.batch], randomLabels(MLP.batch, MLP.classes), 'i32'),
  };
  workloads.B = async () => {
    const ex = cpu.compile(mlpGraph(), { ...opts, outputs: [] });
    const ms = await medianMs(() => {
      for (let s = 0; s < MLP.steps; s++) ex.run(mlpFeeds);
    });
    return (MLP.steps * MLP.batch) / (ms / 1000);
  };
  workloads.Bcompile = async () =>
    medianMs(() => cpu.compile(mlpGraph(), { outputs: [] }).source({ N: MLP.batch }), 5, 1);
  const cGraph = () => {
    const g = graph({ floatDtype: 'f32' });
    const x = g.input('x', [C_SIZE]);
    const y = x.tanh().mul(x).sum();
    g.output('y', y);
    g.output('dx', grad(y, [x])[0]);
    return g;
  };
  workloads.C = async () => {
    const ex = cpu.compile(cGraph());
    const feeds = { x: f32([C_SIZE], randomF32(C_SIZE, 4)) };
    return medianMs(() => ex.run(feeds));
  };
  workloads.Ccompile = async () => medianMs(() => cpu.compile(cGraph()).source(), 5, 1);
  workloads.D = async () => {
    const g = graph({ floatDtype: 'f32' });
    const x = g.param('x', [], init.constant(ROSENBROCK.start[0]));
    const y = g.param('y', [], init.constant(ROSENBROCK.start[1]));
    const f = x.rsub(1).square().add(y.sub(x.square()).square().mul(100));
    g.output('f', f, 'loss');
    adam(g, f, [x, y], ROSENBROCK.lr);
    const ex = cpu.compile(g, { outputs: [] });
    const feeds = {};
    const ms = await medianMs(() => {
      ex.write('x', ROSENBROCK.start[0]);
      ex.write('y', ROSENBROCK.start[1]);
      for (let s = 0; s < ROSENBROCK.steps; s++) ex.run(feeds);
    });
    return (ms * 1000) / ROSENBROCK.steps;
  };
  return { system: threads === 1 ? 'gradus cpu' : 'gradus cpu, 2 threads', workloads };
}
