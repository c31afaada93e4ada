/**
 * Values the catalogue does not allow are refused where they are written, and the error names
 * the allowed range: decays and momenta in [0, 1), scales > 0, counts ≥ 1, seeds 32-bit,
 * initialiser and layer arguments in their ranges. In-range values at the edges are accepted.
 */
import { describe, expect, it } from 'vitest';
import { checkSource } from '../model-file.js';
import { parseSettingFlag } from './flags.js';

interface Place {
  /** `optimizer = …` or another setting; `init …` on a param; `layer` replaces `h`. */
  readonly setting?: string;
  readonly init?: string;
  readonly layer?: string;
}

const model = ({ setting = '', init = '', layer = 'h' }: Place) => `model V {
  dim N
  input x: float[N, 2]
  input y: int[N]
  param w: [2, 3] ${init}
  param g: [3]
  param be: [3]
  let h = x @ w
  let z = ${layer}
  loss = mean(cross_entropy(z, y))
  train {
    data = spiral(points = 20)
    ${setting}
  }
}
`;

const refused: [Place, string, string, string][] = [
  // place, code, the text the error points at, words of the message
  [
    { setting: 'optimizer = adam(lr = 0.1, beta1 = 1)' },
    'E0509',
    '1',
    "adam: 'beta1' must be in [0, 1), got 1",
  ],
  [{ setting: 'optimizer = adamw(beta2 = 1.5)' }, 'E0509', '1.5', "'beta2' must be in [0, 1)"],
  [{ setting: 'optimizer = momentum(rho = 1.5)' }, 'E0509', '1.5', "momentum: 'rho' must be in [0, 1)"],
  [{ setting: 'optimizer = nesterov(0.1, 1)' }, 'E0509', '1', "'rho' must be in [0, 1)"],
  [{ setting: 'optimizer = rmsprop(decay = 2)' }, 'E0509', '2', "rmsprop: 'decay' must be in [0, 1)"],
  [{ setting: 'optimizer = adadelta(rho = 1)' }, 'E0509', '1', "adadelta: 'rho' must be in [0, 1)"],
  [{ setting: 'optimizer = adam(amsgrad = 1)' }, 'E0502', '1', "'amsgrad' must be true or false"],
  [{ setting: 'schedule = plateau(factor = 5)' }, 'E0509', '5', "plateau: 'factor' must be in (0, 1), got 5"],
  [{ setting: 'schedule = inverse_sqrt(scale = 0)' }, 'E0509', '0', "'scale' must be > 0, got 0"],
  [{ setting: 'schedule = inverse_time(0)' }, 'E0509', '0', "'scale' must be > 0"],
  [{ setting: 'schedule = exponential(rate = 0)' }, 'E0509', '0', "'rate' must be > 0"],
  [{ setting: 'schedule = multistep(milestones = [10, -5])' }, 'E0509', '-5', 'every element must be ≥ 0'],
  [{ setting: 'validation = 1.5' }, 'E0509', '1.5', "'validation' must be in (0, 1), got 1.5"],
  [{ setting: 'validation = 0' }, 'E0509', '0', "'validation' must be in (0, 1)"],
  [{ setting: 'early_stop = 0' }, 'E0509', '0', "'early_stop' must be ≥ 1, got 0"],
  [{ setting: 'steps = 0' }, 'E0509', '0', "'steps' must be in [1, 2,147,483,647], got 0"],
  [{ setting: 'epochs = 0' }, 'E0509', '0', "'epochs' must be in [1, 2,147,483,647]"],
  [{ setting: 'steps = 1e99' }, 'E0509', '1e99', "'steps' must be in [1, 2,147,483,647], got 1e+99"],
  [{ setting: 'steps = 2147483648' }, 'E0509', '2147483648', "'steps' must be in [1, 2,147,483,647]"],
  [{ setting: 'batch = 0' }, 'E0509', '0', "'batch' must be in [1, "],
  [{ setting: 'seed = 4294967296' }, 'E0509', '4294967296', "'seed' must be in [0, 4,294,967,295]"],
  [{ setting: 'clip = 0' }, 'E0509', '0', "'clip' must be > 0"],
  [{ setting: 'polyak = 1' }, 'E0509', '1', "'polyak' must be in (0, 1)"],
  [{ init: 'init normal(std = -1)' }, 'E0146', '-1', "normal: 'std' must be ≥ 0, got -1"],
  [{ init: 'init sparse(k = -1)' }, 'E0146', '-1', "sparse: 'k' must be ≥ 0"],
  [
    { init: 'init uniform(3, -3)' },
    'E0146',
    'uniform(3, -3)',
    "'lo' must be below 'hi', got lo = 3, hi = -3",
  ],
  [{ init: 'init uniform(hi = -2)' }, 'E0146', 'uniform(hi = -2)', "'lo' must be below 'hi'"],
  [{ init: 'init 1e999' }, 'E0004', '1e999', "malformed number '1e999'"],
  [{ layer: 'batchnorm(h, g, be, momentum = 2)' }, 'E0106', '2', "batchnorm: 'momentum' must be in [0, 1)"],
  [{ layer: 'batchnorm(h, g, be, eps = -1)' }, 'E0106', '-1', "batchnorm: 'eps' must be > 0, got -1"],
  [{ layer: 'h * 1e400' }, 'E0004', '1e400', 'would be infinite'],
];

describe('values outside their range', () => {
  it.each(refused)('%o is %s at its value', (place, code, at, words) => {
    const text = model(place);
    const { diagnostics } = checkSource({ name: 'v.model', text });
    expect(diagnostics.map((d) => d.code)).toEqual([code]);
    const [d] = diagnostics;
    expect(`${d.message} ${d.hint ?? ''}`).toContain(words);
    expect(text.slice(d.span!.start, d.span!.end)).toBe(at);
  });

  it('a data set past its size or seed range, at the argument', () => {
    for (const [data, at, words] of [
      ['spiral(points = 1e9)', '1e9', "spiral: 'points' must be in [1, 1,000,000]"],
      ['blobs(classes = 5000)', '5000', "blobs: 'classes' must be in [1, 1000]"],
      ['moons(seed = 1e10)', '1e10', "moons: 'seed' must be in [0, 4,294,967,295]"],
    ]) {
      const text = model({}).replace('spiral(points = 20)', data);
      const { diagnostics } = checkSource({ name: 'v.model', text });
      expect(diagnostics.map((d) => d.message)).toEqual([expect.stringContaining(words)]);
      expect(text.slice(diagnostics[0].span!.start, diagnostics[0].span!.end)).toBe(at);
    }
  });

  it('the edges of each range are accepted', () => {
    for (const place of [
      { setting: 'optimizer = adam(beta1 = 0, beta2 = 0.9999999)' },
      { setting: 'optimizer = momentum(rho = 0)' },
      { setting: 'schedule = exponential(rate = 1)' },
      { setting: 'schedule = plateau(factor = 0.999)' },
      { setting: 'steps = 2147483647\n    seed = 4294967295' },
      { setting: 'validation = 0.001\n    early_stop = 1' },
      { init: 'init normal(std = 0)' },
      { init: 'init uniform(-0.1, 0.1)' },
      { init: 'init 1.7e308' },
      { layer: 'batchnorm(h, g, be, momentum = 0, eps = 1e-12)' },
    ]) {
      expect(checkSource({ name: 'v.model', text: model(place) }).diagnostics).toEqual([]);
    }
  });

  it('a flag is held to the same ranges, at its own text', () => {
    const [d] = parseSettingFlag('optimizer', 'adam(beta2 = 1)', {});
    expect(d.code).toBe('E0509');
    expect(d.message).toContain("'beta2' must be in [0, 1)");
    expect('adam(beta2 = 1)'.slice(d.span!.start, d.span!.end)).toBe('1');
  });
});
