/**
 * The op table's cases for the window and row primitives (Im2Col, Col2Im, Take, ScatterAdd) and
 * the layers built on them (convolution, pooling, normalisation, embedding, maxout, flattening,
 * noise). The op table passes in its sampler so both files build samples the same way.
 */
import fc from 'fast-check';
import * as C from '../composites.js';
import * as L from '../layers/index.js';
import type { Value } from '../value.js';
import { type Domain, domains, fixedArg, nest, shapeArb } from './arbitraries.js';
import * as N from './naive.js';
import * as NL from './naive-layers.js';
import type { InputSpec, OpCase, Sample } from './op-table.js';

interface Layout<P> {
  readonly shapes: number[][];
  readonly params: P;
}

/** What the op table lends: its sampler of layouts (float domains, labels, masks). */
export interface CaseKit {
  readonly sampled: <P>(
    layout: fc.Arbitrary<Layout<P>>,
    specs: (l: Layout<P>) => readonly InputSpec[],
    opts?: { readonly joint?: boolean },
  ) => fc.Arbitrary<Sample<P>>;
}

const erase = <P>(c: OpCase<P>): OpCase => c as unknown as OpCase;

type NoParams = Record<string, never>;
const none: NoParams = {};

const int = (min: number, max: number) => fc.integer({ min, max });
const fits = (n: number, k: number, d: number, pad: number) => n + pad >= d * (k - 1) + 1;
const count = (n: number, k: number, s: number, d: number, pad: number) =>
  Math.floor((n + pad - d * (k - 1) - 1) / s) + 1;

// ---- the window primitives --------------------------------------------------------------------

interface WindowParams extends NL.Window {
  readonly size: readonly number[];
}

const windowArb: fc.Arbitrary<{ lead: number[]; win: WindowParams }> = fc
  .record({
    lead: shapeArb({ maxRank: 2, maxDim: 2 }),
    h: int(1, 4),
    w: int(1, 4),
    kernel: fc.tuple(int(1, 3), int(1, 3)),
    stride: fc.tuple(int(1, 2), int(1, 2)),
    dilation: fc.tuple(int(1, 2), int(1, 2)),
    pads: fc.tuple(int(0, 2), int(0, 2), int(0, 2), int(0, 2)),
  })
  .filter(
    (r) =>
      fits(r.h, r.kernel[0], r.dilation[0], r.pads[0] + r.pads[1]) &&
      fits(r.w, r.kernel[1], r.dilation[1], r.pads[2] + r.pads[3]),
  )
  .map((r) => ({
    lead: r.lead,
    win: { kernel: r.kernel, stride: r.stride, dilation: r.dilation, pads: r.pads, size: [r.h, r.w] },
  }));

const gridOf = (win: WindowParams) => [
  count(win.size[0], win.kernel[0], win.stride[0], win.dilation[0], win.pads[0] + win.pads[1]),
  count(win.size[1], win.kernel[1], win.stride[1], win.dilation[1], win.pads[2] + win.pads[3]),
];

const windowAttrs = (w: NL.Window) => ({
  kernel: [...w.kernel],
  stride: [...w.stride],
  dilation: [...w.dilation],
  pads: [...w.pads],
});

const w3: WindowParams = {
  kernel: [3, 3],
  stride: [1, 1],
  dilation: [1, 1],
  pads: [1, 1, 1, 1],
  size: [4, 4],
};
const w2: WindowParams = {
  kernel: [2, 2],
  stride: [2, 2],
  dilation: [1, 1],
  pads: [0, 0, 0, 0],
  size: [5, 5],
};
const w5: WindowParams = {
  kernel: [5, 5],
  stride: [1, 1],
  dilation: [1, 1],
  pads: [0, 0, 0, 0],
  size: [3, 3],
};

function windowCases(kit: CaseKit): OpCase[] {
  const im2col = (x: Value, p: WindowParams) => x.op('Im2Col', [], { ...windowAttrs(p), fill: 0 });
  const col2im = (x: Value, p: WindowParams) => x.op('Col2Im', [], { ...windowAttrs(p), size: [...p.size] });
  return [
    erase<WindowParams>({
      name: 'Im2Col',
      kind: 'primitive',
      ops: ['Im2Col'],
      build: ([x], p) => im2col(x, p),
      domain: 'any',
      samples: kit.sampled(
        windowArb.map(({ lead, win }) => ({ shapes: [[...lead, ...win.size]], params: win })),
        () => [domains.any],
      ),
      gradient: 'check',
      smooth: true,
      reference: ([x], p) => NL.im2col(x, p, 0),
      example: {
        args: [
          [
            [1, 2, 3],
            [4, 5, 6],
          ],
        ],
        params: { kernel: [2, 2], stride: [1, 2], dilation: [1, 1], pads: [0, 1, 1, 0], size: [2, 3] },
      },
      shapeRule: {
        ok: [
          { shapes: [[2, 3, 4, 4]], params: w3, out: [2, 3, 3, 3, 4, 4] },
          { shapes: [['N', 1, 5, 5]], params: w2, out: ['N', 1, 2, 2, 2, 2] },
        ],
        bad: { shapes: [[1, 1, 3, 3]], params: w5, mentions: ['Im2Col', '5×5', '3×3'] },
      },
    }),
    erase<WindowParams>({
      name: 'Col2Im',
      kind: 'primitive',
      ops: ['Col2Im'],
      build: ([x], p) => col2im(x, p),
      domain: 'any',
      samples: kit.sampled(
        windowArb.map(({ lead, win }) => ({
          shapes: [[...lead, win.kernel[0], win.kernel[1], ...gridOf(win)]],
          params: win,
        })),
        () => [domains.any],
      ),
      gradient: 'check',
      smooth: true,
      reference: ([x], p) => NL.col2im(x, p, p.size),
      example: {
        args: [nest([2, 2, 1, 2], [1, 2, 3, 4, 5, 6, 7, 8])],
        params: { kernel: [2, 2], stride: [1, 2], dilation: [1, 1], pads: [0, 0, 0, 0], size: [2, 4] },
      },
      shapeRule: {
        ok: [
          { shapes: [[2, 3, 3, 3, 4, 4]], params: w3, out: [2, 3, 4, 4] },
          { shapes: [['N', 2, 2, 2, 2]], params: w2, out: ['N', 5, 5] },
        ],
        bad: { shapes: [[1, 3, 3, 4, 4]], params: w2, mentions: ['Col2Im', '[1, 3, 3, 4, 4]', '5×5'] },
      },
    }),
  ];
}

// ---- the row primitives -----------------------------------------------------------------------

const rowsArb = fc
  .record({ rows: int(1, 4), rest: shapeArb({ maxRank: 2, maxDim: 3 }), ids: shapeArb({ maxRank: 2 }) })
  .map((r) => r);

function rowCases(kit: CaseKit): OpCase[] {
  return [
    erase<{ rows: number }>({
      name: 'Take',
      kind: 'primitive',
      ops: ['Take'],
      dtypes: ['f64', 'i32'],
      build: ([table, ids]) => table.op('Take', [ids]),
      domain: 'any; indices in range',
      samples: kit.sampled(
        rowsArb.map((r) => ({ shapes: [[r.rows, ...r.rest], r.ids], params: { rows: r.rows } })),
        (l) => [domains.any, { labels: l.params.rows }],
      ),
      gradient: 'check',
      smooth: true,
      reference: ([table, ids]) => NL.take(table, ids),
      example: {
        args: [
          [
            [1, 2],
            [3, 4],
            [5, 6],
          ],
          fixedArg([2, 0, 2, 7], 'i32'),
        ],
        params: { rows: 3 },
      },
      shapeRule: {
        ok: [
          {
            shapes: [
              [10, 4],
              ['N', 'T'],
            ],
            params: { rows: 10 },
            out: ['N', 'T', 4],
          },
          { shapes: [[5], [3]], params: { rows: 5 }, out: [3] },
        ],
        bad: {
          shapes: [[10, 4], [3]],
          params: { rows: 10 },
          dtypes: ['f64', 'f64'],
          mentions: ['Take', 'indices must be int', 'f64[3]'],
        },
      },
    }),
    erase<{ rows: number }>({
      name: 'ScatterAdd',
      kind: 'primitive',
      ops: ['ScatterAdd'],
      dtypes: ['f64', 'i32'],
      build: ([src, ids], p) => src.op('ScatterAdd', [ids], { rows: [p.rows] }),
      domain: 'any; indices in range',
      samples: kit.sampled(
        rowsArb.map((r) => ({ shapes: [[...r.ids, ...r.rest], r.ids], params: { rows: r.rows } })),
        (l) => [domains.any, { labels: l.params.rows }],
      ),
      gradient: 'check',
      smooth: true,
      reference: ([src, ids], p) => NL.scatterAdd(src, ids, p.rows),
      example: {
        args: [
          [
            [1, 2],
            [3, 4],
            [5, 6],
          ],
          fixedArg([2, 0, 2], 'i32'),
        ],
        params: { rows: 4 },
      },
      shapeRule: {
        ok: [
          {
            shapes: [
              ['N', 'T', 4],
              ['N', 'T'],
            ],
            params: { rows: 10 },
            out: [10, 4],
          },
        ],
        bad: {
          shapes: [
            [3, 4],
            [2, 2],
          ],
          params: { rows: 5 },
          dtypes: ['f64', 'i32'],
          mentions: ['ScatterAdd', '[3, 4]', '[2, 2]'],
        },
      },
    }),
  ];
}

// ---- convolution ------------------------------------------------------------------------------

type PaddingParam = number | number[] | 'same' | 'valid';

interface ConvParams {
  readonly groups: number;
  readonly stride: number[];
  readonly dilation: number[];
  readonly padding: PaddingParam;
  readonly bias: boolean;
}

/** The padding form a convolution case asks for, drawn among all of PyTorch's. */
const paddingArb = (axes: number) =>
  fc.oneof(
    int(0, 1),
    fc.array(int(0, 2), { minLength: axes, maxLength: axes }),
    fc.constant<'same'>('same'),
    fc.constant<'valid'>('valid'),
  );

/** [before, after] per axis, worked out here from PyTorch's rules (not by the code under test). */
function padsOf(p: PaddingParam, kernel: readonly number[], dilation: readonly number[]): [number, number][] {
  return kernel.map((k, i) => {
    if (p === 'valid') return [0, 0];
    if (p === 'same') {
      const total = dilation[i] * (k - 1);
      return [Math.floor(total / 2), Math.ceil(total / 2)];
    }
    const v = typeof p === 'number' ? p : p[i];
    return [v, v];
  });
}

const convLayout = (axes: 1 | 2) =>
  fc
    .record({
      n: int(1, 2),
      groups: int(1, 2),
      perGroup: int(1, 2),
      outPerGroup: int(1, 2),
      space: fc.array(int(1, axes === 2 ? 4 : 6), { minLength: axes, maxLength: axes }),
      kernel: fc.array(int(1, 3), { minLength: axes, maxLength: axes }),
      stride: fc.array(int(1, 2), { minLength: axes, maxLength: axes }),
      dilation: fc.array(int(1, 2), { minLength: axes, maxLength: axes }),
      padding: paddingArb(axes),
      bias: fc.boolean(),
    })
    .map((r) => (r.padding === 'same' ? { ...r, stride: r.stride.map(() => 1) } : r))
    .filter((r) => {
      const pads = padsOf(r.padding, r.kernel, r.dilation);
      return r.space.every((n, i) => fits(n, r.kernel[i], r.dilation[i], pads[i][0] + pads[i][1]));
    })
    .map(
      (r): Layout<ConvParams> => ({
        shapes: [
          [r.n, r.groups * r.perGroup, ...r.space],
          [r.groups * r.outPerGroup, r.perGroup, ...r.kernel],
          [r.groups * r.outPerGroup],
        ],
        params: {
          groups: r.groups,
          stride: r.stride,
          dilation: r.dilation,
          padding: r.padding,
          bias: r.bias,
        },
      }),
    );

const convOpts = (b: Value, p: ConvParams): L.ConvOptions => ({
  stride: p.stride,
  dilation: p.dilation,
  padding: p.padding,
  groups: p.groups,
  ...(p.bias ? { bias: b } : {}),
});

/** The 2-D reference window of a case (a 1-D case is an image of height 1). */
function windowOfCase(p: ConvParams, kernel: readonly number[]): NL.Window {
  const pads = padsOf(p.padding, kernel, p.dilation);
  if (kernel.length === 1)
    return {
      kernel: [1, kernel[0]],
      stride: [1, p.stride[0]],
      dilation: [1, p.dilation[0]],
      pads: [0, 0, ...pads[0]],
    };
  return { kernel, stride: p.stride, dilation: p.dilation, pads: [...pads[0], ...pads[1]] };
}

const asImage = (x: N.Plain) => N.plain([x.shape[0], x.shape[1], 1, x.shape[2]], x.data);

const conv2dExample: Sample<ConvParams> = {
  args: [
    nest(
      [1, 2, 3, 3],
      Array.from({ length: 18 }, (_, i) => i - 8),
    ),
    nest(
      [2, 2, 2, 2],
      Array.from({ length: 16 }, (_, i) => ((i * 5) % 7) - 3),
    ),
    [0.5, -1],
  ],
  params: { groups: 1, stride: [1, 1], dilation: [1, 1], padding: 1, bias: true },
};

function convCases(kit: CaseKit): OpCase[] {
  return [
    erase<ConvParams>({
      name: 'conv2d',
      kind: 'composite',
      ops: [],
      build: ([x, w, b], p) => L.conv2d(x, w, convOpts(b, p)),
      domain: 'any',
      samples: kit.sampled(convLayout(2), () => [domains.any, domains.any, domains.any]),
      gradient: 'check',
      smooth: true,
      reference: ([x, w, b], p) =>
        NL.conv2d(x, w, windowOfCase(p, w.shape.slice(2)), p.groups, p.bias ? b : undefined),
      example: conv2dExample,
      shapeRule: {
        ok: [
          {
            shapes: [['N', 3, 8, 8], [16, 3, 3, 3], [16]],
            params: { groups: 1, stride: [1, 1], dilation: [1, 1], padding: 1, bias: true },
            out: ['N', 16, 8, 8],
          },
          {
            shapes: [[2, 4, 7, 5], [6, 2, 3, 2], [6]],
            params: { groups: 2, stride: [2, 1], dilation: [1, 2], padding: 1, bias: false },
            out: [2, 6, 4, 5],
          },
          {
            shapes: [[4, 7, 5], [6, 4, 1, 1], [6]],
            params: { groups: 1, stride: [1, 1], dilation: [1, 1], padding: 0, bias: false },
            out: [6, 7, 5],
          },
        ],
        bad: {
          shapes: [['N', 3, 8, 8], [16, 2, 3, 3], [16]],
          params: { groups: 1, stride: [1, 1], dilation: [1, 1], padding: 0, bias: false },
          mentions: ['conv2d', 'x has 3 channels', '[16, 2, 3, 3]', 'groups = 1', 'expects 2'],
        },
      },
    }),
    erase<ConvParams>({
      name: 'conv1d',
      kind: 'composite',
      ops: [],
      build: ([x, w, b], p) => L.conv1d(x, w, convOpts(b, p)),
      domain: 'any',
      samples: kit.sampled(convLayout(1), () => [domains.any, domains.any, domains.any]),
      gradient: 'check',
      smooth: true,
      reference: ([x, w, b], p) => {
        const y = NL.conv2d(
          asImage(x),
          asImage(w),
          windowOfCase(p, w.shape.slice(2)),
          p.groups,
          p.bias ? b : undefined,
        );
        return N.plain([y.shape[0], y.shape[1], y.shape[3]], y.data);
      },
      example: {
        args: [nest([1, 1, 5], [1, -2, 3, 0.5, 2]), [[[1, 0, -1]]], [0.25]],
        params: { groups: 1, stride: [2], dilation: [1], padding: 'valid', bias: true },
      },
      shapeRule: {
        ok: [
          {
            shapes: [['N', 4, 10], [8, 4, 3], [8]],
            params: { groups: 1, stride: [1], dilation: [2], padding: 'same', bias: true },
            out: ['N', 8, 10],
          },
        ],
        bad: {
          shapes: [[2, 4, 3], [8, 4, 5], [8]],
          params: { groups: 1, stride: [1], dilation: [1], padding: 0, bias: false },
          mentions: ['conv1d', 'kernel', 'larger than the padded input 3'],
        },
      },
    }),
  ];
}

// ---- pooling ----------------------------------------------------------------------------------

interface PoolParams {
  readonly size: number[];
  readonly stride?: number[];
  readonly padding: number[];
}

const poolLayout: fc.Arbitrary<Layout<PoolParams>> = fc
  .record({
    lead: shapeArb({ maxRank: 2, maxDim: 2 }),
    space: fc.tuple(int(1, 4), int(1, 4)),
    size: fc.tuple(int(1, 3), int(1, 3)),
    stride: fc.option(fc.tuple(int(1, 3), int(1, 3)), { nil: undefined }),
    padding: fc.tuple(int(0, 1), int(0, 1)),
  })
  .map((r) => ({ ...r, padding: r.padding.map((p, i) => Math.min(p, Math.floor(r.size[i] / 2))) }))
  .filter((r) => r.space.every((n, i) => fits(n, r.size[i], 1, 2 * r.padding[i])))
  .map((r) => ({
    shapes: [[...r.lead, ...r.space]],
    params: { size: r.size, ...(r.stride ? { stride: r.stride } : {}), padding: r.padding },
  }));

const poolWindow = (p: PoolParams): NL.Window => ({
  kernel: p.size,
  stride: p.stride ?? p.size,
  dilation: [1, 1],
  pads: [p.padding[0], p.padding[0], p.padding[1], p.padding[1]],
});

const poolOpts = (p: PoolParams): L.PoolOptions => ({
  ...(p.stride ? { stride: p.stride } : {}),
  padding: p.padding,
});

const poolExample: Sample<PoolParams> = {
  args: [
    [
      [1, 5, 2, 0],
      [7, 0, 3, 4],
      [-1, 2, 6, 8],
    ],
  ],
  params: { size: [2, 2], padding: [1, 0] },
};

function poolCases(kit: CaseKit): OpCase[] {
  const poolCase = (
    name: string,
    pool: typeof L.maxPool,
    reference: (x: N.Plain, w: NL.Window) => N.Plain,
    [domain, domainName]: [Domain, string],
    badShapes: number[][],
    badParams: PoolParams,
    mentions: string[],
  ): OpCase =>
    erase<PoolParams>({
      name,
      kind: 'composite',
      ops: [],
      build: ([x], p) => pool(x, p.size, poolOpts(p)),
      domain: domainName,
      samples: kit.sampled(poolLayout, () => [domain]),
      gradient: 'check',
      smooth: true,
      reference: ([x], p) => reference(x, poolWindow(p)),
      example: poolExample,
      shapeRule: {
        ok: [
          { shapes: [['N', 3, 28, 28]], params: { size: [2, 2], padding: [0, 0] }, out: ['N', 3, 14, 14] },
          { shapes: [[5, 7]], params: { size: [3, 2], stride: [2, 1], padding: [1, 1] }, out: [3, 8] },
        ],
        bad: { shapes: badShapes, params: badParams, mentions },
      },
    });
  return [
    poolCase(
      'max_pool',
      L.maxPool,
      NL.maxPool,
      [domains.distinct, 'no two values within 0.05'],
      [[1, 4, 4]],
      { size: [2, 2], padding: [2, 0] },
      ['max_pool', 'padding 2×0', 'more than half the 2×2 window'],
    ),
    poolCase(
      'avg_pool',
      L.avgPool,
      NL.avgPool,
      [domains.any, 'any'],
      [[1, 2, 2]],
      { size: [3, 3], padding: [0, 0] },
      ['avg_pool', 'the 3×3 kernel is larger than the padded input 2×2'],
    ),
    erase<NoParams>({
      name: 'global_avg_pool',
      kind: 'composite',
      ops: [],
      build: ([x]) => L.globalAvgPool(x),
      domain: 'any',
      samples: kit.sampled(
        shapeArb({ minRank: 2, maxRank: 4 }).map((s) => ({ shapes: [s], params: none })),
        () => [domains.any],
      ),
      gradient: 'check',
      smooth: true,
      reference: ([x]) =>
        N.reduceAxes(x, [x.shape.length - 2, x.shape.length - 1], false, (vs) => N.total(vs) / vs.length),
      example: { args: [nest([1, 2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 9])], params: none },
      shapeRule: {
        ok: [{ shapes: [['N', 16, 7, 7]], params: none, out: ['N', 16] }],
        bad: { shapes: [[3]], params: none, mentions: ['global_avg_pool', 'rank 2', '[3]'] },
      },
    }),
  ];
}

// ---- normalisation, embedding, maxout, flattening --------------------------------------------

const EPS = 1e-5;

/** x of rank 1–3 and a first normalised axis whose trailing block has at least 2 elements. */
const layernormLayout = shapeArb({ minRank: 1, maxRank: 3, maxDim: 3 })
  .chain((s) => int(0, s.length - 1).map((first) => ({ s, first })))
  .filter(({ s, first }) => s.slice(first).reduce((p, d) => p * d, 1) >= 2)
  .map(({ s, first }) => ({
    shapes: [s, s.slice(first), s.slice(first)],
    params: { axis: first - s.length },
  }));

const instancenormLayout = fc
  .record({ n: int(1, 2), c: int(1, 3), space: fc.array(int(1, 3), { minLength: 1, maxLength: 2 }) })
  .filter((r) => r.space.reduce((p, d) => p * d, 1) >= 2)
  .map((r) => ({ shapes: [[r.n, r.c, ...r.space], [r.c], [r.c]], params: none }));

function miscCases(kit: CaseKit): OpCase[] {
  return [
    erase<{ axis: number }>({
      name: 'layernorm',
      kind: 'composite',
      ops: [],
      build: ([x, g, b], p) => L.layernorm(x, g, b, { axis: p.axis, eps: EPS }),
      domain: 'x: no two values within 0.05 (the variance stays away from 0); gamma, beta: any',
      samples: kit.sampled(layernormLayout, () => [domains.distinct, domains.any, domains.any]),
      gradient: 'check',
      smooth: true,
      reference: ([x, g, b], p) => NL.layernorm(x, g, b, x.shape.length + p.axis, EPS),
      example: {
        args: [
          [
            [1, 2, 4],
            [0, -3, 9],
          ],
          [1, 0.5, 2],
          [0, 1, -1],
        ],
        params: { axis: -1 },
      },
      shapeRule: {
        ok: [{ shapes: [['N', 'T', 8], [8], [8]], params: { axis: -1 }, out: ['N', 'T', 8] }],
        bad: {
          shapes: [[2, 3, 4], [4], [4]],
          params: { axis: -2 },
          mentions: ['layernorm', 'gamma', '[3, 4]', '[4]'],
        },
      },
    }),
    erase<NoParams>({
      name: 'instancenorm',
      kind: 'composite',
      ops: [],
      build: ([x, g, b]) => L.instancenorm(x, g, b, { eps: EPS }),
      domain: 'x: no two values within 0.05; gamma, beta: any',
      samples: kit.sampled(instancenormLayout, () => [domains.distinct, domains.any, domains.any]),
      gradient: 'check',
      smooth: true,
      reference: ([x, g, b]) => NL.instancenorm(x, g, b, EPS),
      example: { args: [nest([1, 2, 3], [1, 2, 4, 0, -3, 9]), [1, 2], [0, 1]], params: none },
      shapeRule: {
        ok: [{ shapes: [['N', 3, 8, 8], [3], [3]], params: none, out: ['N', 3, 8, 8] }],
        bad: {
          shapes: [[2, 3, 4], [4], [3]],
          params: none,
          mentions: ['instancenorm', 'gamma', '[3]', '[4]'],
        },
      },
    }),
    erase<{ rows: number }>({
      name: 'embedding',
      kind: 'composite',
      ops: [],
      dtypes: ['f64', 'i32'],
      build: ([table, ids]) => L.embedding(table, ids),
      domain: 'any; ids in range',
      samples: kit.sampled(
        fc
          .record({ rows: int(1, 4), d: int(1, 3), ids: shapeArb({ maxRank: 2 }) })
          .map((r) => ({ shapes: [[r.rows, r.d], r.ids], params: { rows: r.rows } })),
        (l) => [domains.any, { labels: l.params.rows }],
      ),
      gradient: 'check',
      smooth: true,
      reference: ([table, ids]) => NL.take(table, ids),
      example: {
        args: [
          [
            [1, 2],
            [3, 4],
          ],
          fixedArg(
            [
              [1, 1],
              [0, 1],
            ],
            'i32',
          ),
        ],
        params: { rows: 2 },
      },
      shapeRule: {
        ok: [
          {
            shapes: [
              [100, 8],
              ['N', 'T'],
            ],
            params: { rows: 100 },
            out: ['N', 'T', 8],
          },
        ],
        bad: { shapes: [[100], ['N']], params: { rows: 100 }, mentions: ['embedding', '[V, D]', '[100]'] },
      },
    }),
    erase<{ pieces: number; axis: number }>({
      name: 'maxout',
      kind: 'composite',
      ops: [],
      build: ([x], p) => L.maxout(x, p.pieces, p.axis),
      domain: 'no two values within 0.05',
      samples: kit.sampled(
        fc
          .record({ lead: shapeArb({ maxRank: 2, maxDim: 2 }), units: int(1, 3), pieces: int(1, 3) })
          .map((r) => ({
            shapes: [[...r.lead, r.units * r.pieces]],
            params: { pieces: r.pieces, axis: -1 },
          })),
        () => [domains.distinct],
      ),
      gradient: 'check',
      smooth: true,
      reference: ([x], p) => {
        const d = x.shape[x.shape.length - 1];
        const units = d / p.pieces;
        const rows = x.data.length / d;
        const out: number[] = [];
        for (let r = 0; r < rows; r++)
          for (let u = 0; u < units; u++)
            out.push(Math.max(...x.data.slice(r * d + u * p.pieces, r * d + (u + 1) * p.pieces)));
        return N.plain([...x.shape.slice(0, -1), units], out);
      },
      example: { args: [[[1, 5, 2, 0, 7, 3]]], params: { pieces: 3, axis: -1 } },
      shapeRule: {
        ok: [
          { shapes: [['N', 12]], params: { pieces: 4, axis: -1 }, out: ['N', 3] },
          { shapes: [[2, 6, 5]], params: { pieces: 2, axis: 1 }, out: [2, 3, 5] },
          { shapes: [['N']], params: { pieces: 2, axis: -1 }, out: ['N/2'] },
        ],
        bad: {
          shapes: [['N', 10]],
          params: { pieces: 4, axis: -1 },
          mentions: ['maxout', 'size 10', 'pieces = 4'],
        },
      },
    }),
    erase<{ start: number }>({
      name: 'flatten',
      kind: 'composite',
      ops: [],
      build: ([x], p) => L.flatten(x, p.start),
      domain: 'any',
      samples: kit.sampled(
        shapeArb({ minRank: 1, maxRank: 4 }).chain((s) =>
          int(0, s.length - 1).map((start) => ({ shapes: [s], params: { start } })),
        ),
        () => [domains.any],
      ),
      gradient: 'check',
      smooth: true,
      reference: ([x], p) =>
        N.plain(
          [
            ...x.shape.slice(0, p.start),
            x.data.length / x.shape.slice(0, p.start).reduce((a, d) => a * d, 1),
          ],
          x.data,
        ),
      example: { args: [nest([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8])], params: { start: 1 } },
      shapeRule: {
        ok: [
          { shapes: [['N', 16, 7, 7]], params: { start: 1 }, out: ['N', 784] },
          { shapes: [['N', 'T', 16]], params: { start: 0 }, out: ['16*N*T'] },
        ],
        bad: { shapes: [['N', 16]], params: { start: 2 }, mentions: ['flatten', 'axis 2', 'rank 2'] },
      },
    }),
    erase<{ sizes: number[] }>({
      name: 'unflatten',
      kind: 'composite',
      ops: [],
      build: ([x], p) => L.unflatten(x, -1, p.sizes),
      domain: 'any',
      samples: kit.sampled(
        fc
          .record({ lead: shapeArb({ maxRank: 2 }), a: int(1, 3), b: int(1, 3), hole: fc.boolean() })
          .map((r) => ({ shapes: [[...r.lead, r.a * r.b]], params: { sizes: [r.hole ? -1 : r.a, r.b] } })),
        () => [domains.any],
      ),
      gradient: 'check',
      smooth: true,
      reference: ([x], p) => {
        const d = x.shape[x.shape.length - 1];
        return N.plain(
          [...x.shape.slice(0, -1), p.sizes[0] === -1 ? d / p.sizes[1] : p.sizes[0], p.sizes[1]],
          x.data,
        );
      },
      example: { args: [[[1, 2, 3, 4, 5, 6]]], params: { sizes: [2, 3] } },
      shapeRule: {
        ok: [
          { shapes: [['N', 784]], params: { sizes: [1, 28, 28] }, out: ['N', 1, 28, 28] },
          { shapes: [['N*T']], params: { sizes: [-1, 1] }, out: ['N*T', 1] },
        ],
        bad: {
          shapes: [['N', 784]],
          params: { sizes: [3, -1] },
          mentions: ['unflatten', 'size 784', '[3, -1]'],
        },
      },
    }),
  ];
}

// ---- noise and stochastic layers --------------------------------------------------------------

const unaryShapes = [
  { shapes: [[2, 3]], params: none, out: [2, 3] },
  { shapes: [['N', 4]], params: none, out: ['N', 4] },
];

function noiseCases(kit: CaseKit): OpCase[] {
  const single = kit.sampled(
    shapeArb({ minRank: 1 }).map((s) => ({ shapes: [s], params: none })),
    () => [domains.any],
  );
  const stochastic = (
    name: string,
    build: (x: Value) => Value,
    mode: 'train' | 'eval',
    reference?: (x: N.Plain) => N.Plain,
  ): OpCase =>
    erase<NoParams>({
      name: `${name} (${mode})`,
      kind: 'composite',
      ops: [],
      build: ([x]) => build(x),
      domain: mode === 'train' ? 'any (the step, hence the noise, is held fixed)' : 'any',
      samples: single,
      gradient: 'check',
      smooth: true,
      ...(mode === 'eval' ? { check: { mode: 'eval' as const } } : {}),
      // In training the draws are random: the layers suite checks their statistics.
      ...(reference ? { reference: ([x]: readonly N.Plain[]) => reference(x) } : {}),
      example: { args: [[[1, 2, 3]]], params: none },
      shapeRule: { ok: unaryShapes },
    });
  return [
    stochastic('gaussian_noise', (x) => L.gaussianNoise(x, 0.3), 'train'),
    stochastic(
      'gaussian_noise',
      (x) => L.gaussianNoise(x, 0.3),
      'eval',
      (x) => x,
    ),
    stochastic('dropout vanilla', (x) => C.dropout(x, 0.7, 'vanilla'), 'train'),
    stochastic(
      'dropout vanilla',
      (x) => C.dropout(x, 0.7, 'vanilla'),
      'eval',
      (x) => N.map(x, (v) => 0.7 * v),
    ),
    stochastic('stochastic_depth', (x) => L.stochasticDepth(x, 0.6), 'train'),
    stochastic(
      'stochastic_depth',
      (x) => L.stochasticDepth(x, 0.6),
      'eval',
      (x) => N.map(x, (v) => 0.6 * v),
    ),
    stochastic('stochastic_depth inverted', (x) => L.stochasticDepth(x, 0.6, 'inverted'), 'train'),
    stochastic(
      'stochastic_depth inverted',
      (x) => L.stochasticDepth(x, 0.6, 'inverted'),
      'eval',
      (x) => x,
    ),
  ];
}

/** Every case of this file: the four primitives first, then the layers. */
export function layerCases(kit: CaseKit): OpCase[] {
  return [
    ...windowCases(kit),
    ...rowCases(kit),
    ...convCases(kit),
    ...poolCases(kit),
    ...miscCases(kit),
    ...noiseCases(kit),
  ];
}
