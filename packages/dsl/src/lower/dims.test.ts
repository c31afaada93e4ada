import { run } from '@gradus/autodiff';
import { describe, expect, it } from 'vitest';
import { checkSource } from '../model-file.js';

function lowered(body: string) {
  const checked = checkSource({ name: 't.model', text: `model M {\n${body}\n}\n` });
  if (!checked.lowered) throw new Error(checked.diagnostics.map((d) => `${d.code}: ${d.message}`).join('\n'));
  return checked.lowered;
}

function errors(body: string): string[] {
  const checked = checkSource({ name: 't.model', text: `model M {\n${body}\n}\n` });
  return checked.diagnostics.map((d) => `${d.code}: ${d.message}`);
}

const shapeOf = (l: ReturnType<typeof lowered>, name: string) => l.graph.outputs.get(name)?.node.shape;

describe('dims in the language', () => {
  it('are arithmetic on dims in declared types, shown written and resolved', () => {
    const l = lowered(`
      dim N, T, D = 2, H = 8
      input x: float[N * T, D + 1]
      param W: [D + 1, H / 2]
      loss = sum(x @ W)`);
    expect(l.model.inputs[0].shape).toEqual(['N*T', 3]);
    expect(l.model.inputs[0].shapeText).toBe('[N*T, D + 1] = [N*T, 3]');
    expect(l.model.params[0].shape).toEqual([3, 4]);
    expect(l.model.params[0].shapeText).toBe('[D + 1, H/2] = [3, 4]');
  });

  it('infer -1 symbolically and take arithmetic in shape lists, as NumPy users write them', () => {
    const l = lowered(`
      dim N, T, D = 3, H = 4
      input x: float[N, T, D]
      param W: [D, H]
      let flat = reshape(x, [-1, D])
      let h = flat @ W
      let seq = reshape(h, [-1, T, H])
      let same = reshape(x, [N * T, D])
      let n = N * T
      let also = reshape(x, [n, D])
      output flat_shape = flat
      output seq_shape = seq
      output same_shape = same + also
      loss = sum(seq)`);
    expect(shapeOf(l, 'flat_shape')).toEqual(['N*T', 3]);
    expect(shapeOf(l, 'seq_shape')).toEqual(['N', 'T', 4]);
    expect(shapeOf(l, 'same_shape')).toEqual(['N*T', 3]);
  });

  it('slice symbolic axes by dims and from the end', () => {
    const l = lowered(`
      dim N, T
      input x: float[N, T]
      output d = x[:, 1:] - x[:, :-1]
      output last = x[:, T - 1]
      output first_half = x[:, 0:T/2]
      loss = sum(x)`);
    expect(shapeOf(l, 'd')).toEqual(['N', 'T - 1']);
    expect(shapeOf(l, 'last')).toEqual(['N']);
    expect(shapeOf(l, 'first_half')).toEqual(['N', 'T/2']);
    const feeds = {
      x: [
        [1, 2, 4, 8],
        [0, 5, 3, 3],
      ],
    };
    const { outputs } = run(l.graph, { feeds });
    expect(Array.from(outputs.d.data)).toEqual([1, 2, 4, 5, -2, 0]);
    expect(Array.from(outputs.last.data)).toEqual([8, 3]);
    expect(Array.from(outputs.first_half.data)).toEqual([1, 2, 0, 5]);
  });

  it('are the run-time sizes, with float division, in arithmetic', () => {
    const l = lowered(`
      dim N
      input x: float[N]
      output halves = sum(x) / (N / 2) + 0 * x
      output shape = [N, 2] * 2
      loss = sum(x)`);
    const { outputs } = run(l.graph, { feeds: { x: [1, 2, 3] } });
    // N = 3 is odd: N / 2 in arithmetic is 1.5, not a dim that must be whole.
    expect(outputs.halves.data[0]).toBe(6 / 1.5);
    expect(Array.from(outputs.shape.data)).toEqual([6, 4]);
  });

  it('report what is no dim, at its span', () => {
    expect(errors(`dim N\n input x: float[N * x]\n loss = sum(x)`)).toEqual(["E0102: unknown dimension 'x'"]);
    expect(errors(`dim N, D = 3\n input x: float[N, D - 4]\n loss = sum(x)`)).toEqual([
      'E0160: the dimension D - 4 comes out as -1, not a size (a whole number ≥ 0)',
    ]);
    expect(errors(`dim N\n input x: float[N, f(2)]\n loss = sum(x)`)).toEqual([
      'E0161: a dimension is written with dim names, whole numbers and + - * / ^, not a call of f',
    ]);
    expect(errors(`dim N\n input x: float[N]\n let y = x[0:sum(x)]\n loss = sum(y)`)).toEqual([
      'E0119: an index must be an integer constant or a dim (such as T - 1)',
    ]);
    expect(errors(`dim N\n input x: float[N]\n let y = reshape(x, [N, x])\n loss = sum(y)`)).toEqual([
      'E0145: a shape [...] may contain only dims and whole numbers, got a float tensor of shape [N]',
    ]);
  });
});
