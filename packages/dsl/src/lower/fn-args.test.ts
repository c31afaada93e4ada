import { describe, expect, it } from 'vitest';
import { checkSource } from '../model-file.js';

function outputs(text: string) {
  const checked = checkSource({ name: 'f.model', text });
  if (!checked.lowered) throw new Error(checked.diagnostics.map((d) => `${d.code}: ${d.message}`).join('\n'));
  return checked.lowered.graph.outputs;
}

describe('user functions with default arguments', () => {
  it('use the default when a call leaves it out, and take arguments by position or by name', () => {
    const o = outputs(`
      fn block(x, W, keep = 0.9, slope = keep / 10) = keep * leaky_relu(x @ W, alpha = slope)
      model M {
        dim N, D = 2, H = 4
        input x: float[N, D]
        param W: [D, H]
        output by_default = block(x, W)
        output spelled_out = block(x, W, 0.9, 0.09)
        output by_name = block(W = W, x = x, slope = 0.09)
        output other = block(x, W, keep = 0.5)
        output other_spelled = block(x, W, 0.5, 0.05)
        loss = sum(block(x, W))
      }`);
    // Nodes are hash-consed: the same computation is the same node.
    const node = (n: string) => o.get(n)?.node;
    expect(node('by_default')).toBe(node('spelled_out'));
    expect(node('by_name')).toBe(node('spelled_out'));
    expect(node('other')).toBe(node('other_spelled'));
    expect(node('other')).not.toBe(node('by_default'));
  });

  it('evaluate a default in the function, seeing the parameters before it', () => {
    const o = outputs(`
      fn affine(x, a = 2, b = a * 3) = a * x + b
      model M {
        param w: [2] init [1, 2]
        output d = affine(w)
        output e = affine(w, 2, 6)
        loss = sum(affine(w))
      }`);
    expect(o.get('d')?.node).toBe(o.get('e')?.node);
  });
});
