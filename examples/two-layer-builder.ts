/**
 * The lectures' two-layer net on the three-armed spiral, written with the builder API:
 * build the graph, check its gradients against central differences, then train it with plain
 * gradient descent run by the reference interpreter.  Run it with `pnpm demo`.
 */
import { grad, graph, init, initVariables, interpret, spiral, type TensorLike, tensor } from 'gradus';
import { gradcheck } from 'gradus/testing';

const data = spiral(3, 100, 0);
const g = graph({ seed: 7 });
const x = g.input('x', ['N', 2]);
const y = g.input('y', ['N'], 'i32');
const W1 = g.param('W1', [2, 100], init.glorotUniform());
const b1 = g.param('b1', [100]);
const W2 = g.param('W2', [100, 3], init.glorotUniform());
const b2 = g.param('b2', [3]);

const logits = x.matMul(W1).add(b1).relu().matMul(W2).add(b2);
const loss = logits.crossEntropy(y).mean().add(W1.square().sum().add(W2.square().sum()).mul(1e-3));
const accuracy = logits.argmax({ axis: 1 }).eq(y).mean();
const params = [W1, b1, W2, b2];
const grads = grad(loss, params);

// 1. Gradients you can trust: every parameter against central differences, on a small batch.
const check = gradcheck(
  (xs, ys, w1, c1, w2, c2) => xs.matMul(w1).add(c1).relu().matMul(w2).add(c2).crossEntropy(ys).mean(),
  [
    [
      [0.1, 0.2],
      [-0.3, 0.4],
    ],
    { value: [0, 2], dtype: 'i32' },
    [
      [0.5, -0.2, 0.1],
      [0.3, 0.8, -0.6],
    ],
    [0.1, 0.2, -0.1],
    [
      [0.2, -0.1, 0.3],
      [0.4, 0.3, -0.2],
      [-0.5, 0.6, 0.1],
    ],
    [0.05, -0.05, 0.02],
  ],
);
console.log(`gradcheck: ${check.message}`);

// 2. Train with gradient descent (lr 1): the interpreter evaluates loss and gradients each step.
const values: Record<string, Float64Array> = {};
for (const [name, t] of Object.entries(initVariables(g, 7))) values[name] = t.data.slice();
const feeds = () => {
  const f: Record<string, TensorLike> = { x: tensor([data.n, 2], data.x), y: Array.from(data.y) };
  for (const p of params) {
    const name = p.node.attrs.name as string;
    f[name] = tensor(p.shape as number[], values[name]);
  }
  return f;
};
for (let step = 0; step <= 1000; step++) {
  const [l, acc, ...gs] = interpret([loss.node, accuracy.node, ...grads.map((v) => v.node)], {
    feeds: feeds(),
  });
  if (step % 200 === 0)
    console.log(
      `step ${String(step).padStart(4)}  loss ${l.data[0].toFixed(4)}  accuracy ${(100 * acc.data[0]).toFixed(1)}%`,
    );
  params.forEach((p, i) => {
    const v = values[p.node.attrs.name as string];
    for (let k = 0; k < v.length; k++) v[k] -= 1 * gs[i].data[k];
  });
}
