/**
 * The TypeScript emitter's kernels of the window ops (Im2Col, Col2Im) and the row ops (Take,
 * ScatterAdd), loop for loop the reference evaluations in `@gradus/autodiff`'s `ops/patches.ts`
 * and `ops/take.ts` (so sums accumulate in the same order). Window sizes are always known; only
 * the leading axes may be symbolic.
 */
import type { AttrsOf } from '@gradus/autodiff';
import { type Code, type DimCode, loops, num, plus, product, times } from './code.js';
import type { KernelContext } from './kernels.js';

type WindowContext = KernelContext<AttrsOf<'Im2Col'>> | KernelContext<AttrsOf<'Col2Im'>>;

/**
 * Loops over (lead, kh, kw, oh, ow) in row-major order, the patch index `p` and the image pixel
 * `(iy, ix)` of each; `body` gets the image index and whether the tap is inside the image.
 */
function taps(
  k: WindowContext,
  image: readonly DimCode[],
  patches: readonly DimCode[],
  body: (pixel: string) => Code[],
  outside: Code[],
): Code[] {
  const r = image.length;
  const lead = product(image.slice(0, r - 2));
  const [h, w] = image.slice(r - 2);
  const [oh, ow] = patches.slice(patches.length - 2);
  const { kernel, stride, dilation, pads } = k.attrs;
  return loops(
    [
      ['l', lead],
      ['i', num(kernel[0])],
      ['j', num(kernel[1])],
      ['y', oh],
      ['x', ow],
    ],
    ([l, i, j, y, x]) => [
      `const iy = ${y} * ${num(stride[0])} - ${num(pads[0])} + ${i} * ${num(dilation[0])};`,
      `const ix = ${x} * ${num(stride[1])} - ${num(pads[2])} + ${j} * ${num(dilation[1])};`,
      `const p = ${plus(times(plus(times(plus(times(plus(times(l, num(kernel[0])), i), num(kernel[1])), j), oh), y), ow), x)};`,
      {
        head: `if (iy >= 0 && iy < ${h} && ix >= 0 && ix < ${w})`,
        body: body(plus(times(plus(times(l, h), 'iy'), w), 'ix')),
      },
      ...(outside.length > 0 ? [{ head: 'else', body: outside }] : []),
    ],
  );
}

export const windowKernels = {
  Im2Col: (k: KernelContext<AttrsOf<'Im2Col'>>): Code[] => {
    const image = k.shape(k.node.inputs[0]);
    const patches = k.shape(k.node);
    return [
      `const ${k.out} = new Float64Array(${product(patches)});`,
      ...taps(k, image, patches, (pixel) => [`${k.out}[p] = ${k.ins[0]}[${pixel}];`], [
        `${k.out}[p] = ${num(k.attrs.fill)};`,
      ]),
    ];
  },
  Col2Im: (k: KernelContext<AttrsOf<'Col2Im'>>): Code[] => {
    const image = k.shape(k.node);
    const patches = k.shape(k.node.inputs[0]);
    return [
      `const ${k.out} = new Float64Array(${product(image)});`,
      ...taps(k, image, patches, (pixel) => [`${k.out}[${pixel}] += ${k.ins[0]}[p];`], []),
    ];
  },
  Take: (k: KernelContext<AttrsOf<'Take'>>): Code[] => {
    const [table, ids] = k.ins;
    const tShape = k.shape(k.node.inputs[0]);
    const rows = tShape[0];
    const width = product(tShape.slice(1));
    const count = product(k.shape(k.node.inputs[1]));
    return [
      `const ${k.out} = new Float64Array(${times(count, width)});`,
      ...loops(
        [
          ['e', count],
          ['r', width],
        ],
        ([e, r]) => [
          `const id = ${ids}[${e}];`,
          // An index outside the table gives NaN, never a read outside the array.
          `${k.out}[${plus(times(e, width), r)}] = id >= 0 && id < ${rows} ? ${table}[${plus(times('id', width), r)}] : NaN;`,
        ],
      ),
    ];
  },
  ScatterAdd: (k: KernelContext<AttrsOf<'ScatterAdd'>>): Code[] => {
    const [src, ids] = k.ins;
    const outShape = k.shape(k.node);
    const rows = outShape[0];
    const width = product(outShape.slice(1));
    const count = product(k.shape(k.node.inputs[1]));
    return [
      `const ${k.out} = new Float64Array(${product(outShape)});`,
      ...loops(
        [
          ['e', count],
          ['r', width],
        ],
        ([e, r]) => [
          `const id = ${ids}[${e}];`,
          `if (id >= 0 && id < ${rows}) ${k.out}[${plus(times('id', width), r)}] += ${src}[${plus(times(e, width), r)}];`,
        ],
      ),
    ];
  },
};
