import { conv2d, grad, graph, maxPool } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import { generateGpu } from './codegen.js';

/**
 * A convolution's windows are read from the image by the matrix products that use them, so the
 * patches (KH·KW times the image) never need a texture; windows read by anything else are stored.
 */
function module(maxElements: number, pool: boolean) {
  const g = graph({ floatDtype: 'f32' });
  const x = g.input('x', ['N', 2, 12, 12]);
  const w = g.input('w', [4, 2, 3, 3]);
  const y = conv2d(x, w, { padding: 1 });
  const out = pool ? maxPool(y, 2) : y;
  const [dw] = grad(out.sum(), [w]);
  g.output('y', out);
  g.output('dw', dw);
  const order = g.reachable();
  return generateGpu(
    order,
    [...g.outputs.values()].map((o) => o.node),
    [],
    { N: 8 },
    { maxElements },
  );
}

describe('gpu convolutions', () => {
  it('read the windows from the image in the forward product and the kernel gradient', () => {
    // Patches: 8·2·9·144 = 20736 elements; the largest stored tensor is the output, 8·4·144 = 4608.
    const m = module(5000, false);
    expect(m.source).not.toMatch(/\/\/ Im2Col/);
    expect(m.steps.filter((s) => s.node.op === 'Im2Col').every((s) => s.kind === 'alias')).toBe(true);
  });

  it('store windows that a pooling reduction reads', () => {
    const g = graph({ floatDtype: 'f32' });
    const x = g.input('x', [1, 1, 4, 4]);
    g.output('p', maxPool(x, 2));
    const m = generateGpu(g.reachable(), [g.outputs.get('p')!.node], [], {});
    expect(m.source).toMatch(/\/\/ Im2Col \[1, 1, 2, 2, 2, 2\]/);
    expect(() => module(5000, true)).not.toThrow();
  });
});
