/**
 * The TypeScript emitter's kernel table: for every primitive op, the statements that compute one
 * node into a fresh `Float64Array` (or alias an existing one, for leaves and reshapes). Each
 * kernel mirrors the reference evaluation in `@gradus/autodiff/src/ops` loop for loop, including
 * the order of accumulation, so the emitted module reproduces the interpreter's numbers exactly.
 * Elementwise scalar expressions come from the backends' shared `exprTable`: an op's arithmetic is
 * written once for every JavaScript code generator.
 *
 * The table is typed against `OpName`, so adding an op to `opDefs` is a compile error here.
 */
import type { Attrs, AttrsOf, Dim, Node, OpName } from '@gradus/autodiff';
import { type ElementwiseOp, type ExprTable, exprTable } from '@gradus/backends';
import {
  type Code,
  type DimCode,
  flatIndex,
  isUnit,
  loop,
  loops,
  nest,
  num,
  plus,
  product,
  strides,
  times,
} from './code.js';
import type { Helper } from './runtime.js';
import { windowKernels } from './window-kernels.js';

export interface KernelContext<A = Attrs> {
  readonly node: Node;
  readonly attrs: A;
  /** The local that must hold the result. */
  readonly out: string;
  /** The locals holding the inputs' values. */
  readonly ins: readonly string[];
  /** A node's shape as code. */
  readonly shape: (n: Node) => DimCode[];
  /** A dim (e.g. from attrs) as code. */
  readonly dim: (d: Dim) => DimCode;
  /** The expression reading a leaf (an input, a param or state, the step counter). */
  readonly leaf: (n: Node) => string;
  /** Marks a runtime helper as used and returns its name. */
  readonly helper: (h: Helper) => string;
}

export type Kernel<K extends OpName> = (k: KernelContext<AttrsOf<K>>) => Code[];

/** Ops whose kernel aliases an existing array instead of computing a new one. */
export const ALIASING_OPS: ReadonlySet<OpName> = new Set<OpName>(['Input', 'Variable', 'Reshape']);

const alloc = (out: string, size: DimCode, fill?: string): string =>
  `const ${out} = new Float64Array(${size})${fill ? `.fill(${fill})` : ''};`;

/**
 * `out[i] = f(inputs broadcast to out)`: one flat loop when every input has the output's shape or a
 * single element, nested loops with per-input strides (0 on broadcast axes) otherwise.
 */
/**
 * `out[c] = x[Σ_d term(c_d, d)]`: a copy whose source index is, per output axis, one coordinate
 * times a stride (Transpose permutes the strides; Slice offsets the coordinates).
 */
function affineCopy(k: KernelContext, source: (ci: string, d: number) => readonly [string, DimCode]): Code[] {
  const outShape = k.shape(k.node);
  const outSt = strides(outShape);
  return [
    alloc(k.out, product(outShape)),
    ...nest(outShape, 'i', (c) => [
      `${k.out}[${flatIndex(c.map((ci, d) => [ci, outSt[d]] as const))}] = ${k.ins[0]}[${flatIndex(c.map(source))}];`,
    ]),
  ];
}

function broadcastMap(k: KernelContext, f: (reads: readonly string[]) => string): Code[] {
  const outShape = k.shape(k.node);
  const inShapes = k.node.inputs.map(k.shape);
  if (isUnit(outShape)) return [`const ${k.out} = Float64Array.of(${f(k.ins.map((x) => `${x}[0]`))});`];
  const same = (s: readonly DimCode[]) =>
    s.length === outShape.length && s.every((d, i) => d === outShape[i]);
  if (inShapes.every((s) => same(s) || isUnit(s))) {
    const reads = k.ins.map((x, j) => (isUnit(inShapes[j]) ? `${x}[0]` : `${x}[i]`));
    return [alloc(k.out, product(outShape)), loop('i', `${k.out}.length`, [`${k.out}[i] = ${f(reads)};`])];
  }
  const outStrides = strides(outShape);
  return [
    alloc(k.out, product(outShape)),
    ...nest(outShape, 'i', (c) => {
      const reads = k.ins.map((x, j) => {
        const s = inShapes[j];
        const st = strides(s);
        const offset = outShape.length - s.length;
        return `${x}[${flatIndex(s.map((d, a) => [c[a + offset], d === '1' ? '0' : st[a]] as const))}]`;
      });
      return [`${k.out}[${flatIndex(c.map((ci, a) => [ci, outStrides[a]] as const))}] = ${f(reads)};`];
    }),
  ];
}

function elementwise<K extends ElementwiseOp>(op: K): Kernel<K> {
  const template = (exprTable as ExprTable)[op];
  return (k) =>
    broadcastMap(k, (reads) =>
      template(reads, {
        attrs: k.attrs,
        inDtypes: k.node.inputs.map((i) => i.dtype),
        outDtype: k.node.dtype,
      }),
    );
}

/** Folds `x` over `axes` in the input's row-major order, as the interpreter's `reduce` does. */
// Sum, Max and Min share attrs; a plain function type (not `Kernel<'Sum'>`, which TypeScript
// compares by its op-name parameter) lets one kernel serve all three.
function reduction(
  init: string | undefined,
  step: (acc: string, v: string) => string,
): (k: KernelContext<AttrsOf<'Sum'>>) => Code[] {
  return (k) => {
    const [x] = k.ins;
    const xShape = k.shape(k.node.inputs[0]);
    const { axes } = k.attrs;
    const kept = xShape.filter((_, a) => !axes.includes(a));
    const head = alloc(k.out, product(kept), init);
    if (kept.length === 0 || isUnit(kept)) {
      return [head, loop('i', `${x}.length`, [`${k.out}[0] = ${step(`${k.out}[0]`, `${x}[i]`)};`])];
    }
    const xStrides = strides(xShape);
    const keptStrides = strides(kept);
    return [
      head,
      ...nest(xShape, 'i', (c) => {
        const o = `${k.out}[${flatIndex(c.filter((_, a) => !axes.includes(a)).map((ci, j) => [ci, keptStrides[j]] as const))}]`;
        const v = `${x}[${flatIndex(c.map((ci, a) => [ci, xStrides[a]] as const))}]`;
        return [`${o} = ${step(o, v)};`];
      }),
    ];
  };
}

/** Splits a shape around `axis` into (outer, axis length, inner) element counts. */
function around(shape: readonly DimCode[], axis: number): [DimCode, DimCode, DimCode] {
  return [product(shape.slice(0, axis)), shape[axis], product(shape.slice(axis + 1))];
}

function random(draw: Helper): (k: KernelContext<AttrsOf<'RandomUniform'>>) => Code[] {
  return (k) => {
    const { seed, stream } = k.attrs;
    return [
      alloc(k.out, product(k.shape(k.node))),
      loop('i', `${k.out}.length`, [
        `${k.out}[i] = ${k.helper(draw)}(${num(seed)}, ${num(stream)}, ${k.ins[0]}[0], i);`,
      ]),
    ];
  };
}

const alias: Kernel<OpName> = (k) => [`const ${k.out} = ${k.leaf(k.node)};`];

export const kernels = {
  Input: alias,
  Variable: alias,
  Const: (k) => [`const ${k.out} = Float64Array.of(${k.attrs.value.map(num).join(', ')});`],
  Size: (k) => [`const ${k.out} = Float64Array.of(${product(k.attrs.dims.map(k.dim))});`],
  Neg: elementwise('Neg'),
  Exp: elementwise('Exp'),
  Log: elementwise('Log'),
  Sqrt: elementwise('Sqrt'),
  Abs: elementwise('Abs'),
  Sign: elementwise('Sign'),
  Sin: elementwise('Sin'),
  Cos: elementwise('Cos'),
  Tanh: elementwise('Tanh'),
  StopGradient: elementwise('StopGradient'),
  Cast: elementwise('Cast'),
  Add: elementwise('Add'),
  Sub: elementwise('Sub'),
  Mul: elementwise('Mul'),
  Div: elementwise('Div'),
  Pow: elementwise('Pow'),
  Maximum: elementwise('Maximum'),
  Minimum: elementwise('Minimum'),
  Equal: elementwise('Equal'),
  NotEqual: elementwise('NotEqual'),
  Less: elementwise('Less'),
  LessEqual: elementwise('LessEqual'),
  Greater: elementwise('Greater'),
  GreaterEqual: elementwise('GreaterEqual'),
  Where: elementwise('Where'),
  Sum: reduction(undefined, (acc, v) => `${acc} + ${v}`),
  Max: reduction('-Infinity', (acc, v) => `Math.max(${acc}, ${v})`),
  Min: reduction('Infinity', (acc, v) => `Math.min(${acc}, ${v})`),

  ArgMax: (k) => {
    const [x] = k.ins;
    const [outer, n, inner] = around(k.shape(k.node.inputs[0]), k.attrs.axis);
    return [
      alloc(k.out, times(outer, inner)),
      ...loops(
        [
          ['o', outer],
          ['i', inner],
        ],
        ([o, i]) => {
          const at = (j: string) => `${x}[${plus(times(plus(times(o, n), j), inner), i)}]`;
          return [
            'let best = 0;',
            {
              head: `for (let j = 1; j < ${n}; j++)`,
              body: [
                `const v = ${at('j')};`,
                `const b = ${at('best')};`,
                // Strictly greater keeps the first maximum; a NaN wins, as in NumPy.
                'if (v > b || (Number.isNaN(v) && !Number.isNaN(b))) best = j;',
              ],
            },
            `${k.out}[${plus(times(o, inner), i)}] = best;`,
          ];
        },
      ),
    ];
  },

  MatMul: (k) => {
    const [a, b] = k.ins;
    const { transA, transB } = k.attrs;
    const outShape = k.shape(k.node);
    const [aShape, bShape] = k.node.inputs.map(k.shape);
    const r = outShape.length;
    const [m, n] = [outShape[r - 2], outShape[r - 1]];
    const kk = transA ? aShape[aShape.length - 2] : aShape[aShape.length - 1];
    const batch = outShape.slice(0, -2);
    // Offsets of one matrix in each operand: batch axes of size 1 broadcast (stride 0).
    const offset = (shape: readonly DimCode[], c: readonly string[]) => {
      const st = strides(shape);
      const lead = batch.length - (shape.length - 2);
      return flatIndex(shape.slice(0, -2).map((d, j) => [c[j + lead], d === '1' ? '0' : st[j]] as const));
    };
    const outSt = strides(outShape);
    return [
      alloc(k.out, product(outShape)),
      ...nest(batch, 'b', (c) => {
        const oa = offset(aShape, c);
        const ob = offset(bShape, c);
        const oo = flatIndex(c.map((ci, j) => [ci, outSt[j]] as const));
        return loops(
          [
            ['i', m],
            ['j', n],
          ],
          ([i, j]) => [
            'let s = 0;',
            ...loops([['p', kk]], ([p]) => {
              const ia = plus(oa, transA ? plus(times(p, m), i) : plus(times(i, kk), p));
              const ib = plus(ob, transB ? plus(times(j, kk), p) : plus(times(p, n), j));
              return [`s += ${a}[${ia}] * ${b}[${ib}];`];
            }),
            `${k.out}[${plus(oo, times(i, n), j)}] = s;`,
          ],
        );
      }),
    ];
  },

  // Row-major data is unchanged by a reshape, and no kernel writes into an existing array.
  Reshape: (k) => [`const ${k.out} = ${k.ins[0]};`],

  Transpose: (k) => {
    const xSt = strides(k.shape(k.node.inputs[0]));
    return affineCopy(k, (ci, d) => [ci, xSt[k.attrs.perm[d]]]);
  },

  BroadcastTo: (k) => broadcastMap(k, ([x]) => x),

  Slice: (k) => {
    const xSt = strides(k.shape(k.node.inputs[0]));
    return affineCopy(k, (ci, d) => [plus(ci, k.dim(k.attrs.starts[d])), xSt[d]]);
  },

  Pad: (k) => {
    const xShape = k.shape(k.node.inputs[0]);
    const xSt = strides(xShape);
    const outSt = strides(k.shape(k.node));
    const { before } = k.attrs;
    return [
      // Zeros everywhere, then the input at its offset.
      alloc(k.out, product(k.shape(k.node))),
      ...nest(xShape, 'i', (c) => [
        `${k.out}[${flatIndex(c.map((ci, d) => [plus(ci, k.dim(before[d])), outSt[d]] as const))}] = ${k.ins[0]}[${flatIndex(c.map((ci, d) => [ci, xSt[d]] as const))}];`,
      ]),
    ];
  },

  Concat: (k) => {
    const outShape = k.shape(k.node);
    const outSt = strides(outShape);
    const { axis } = k.attrs;
    const code: Code[] = [alloc(k.out, product(outShape))];
    let offset = 0;
    k.node.inputs.forEach((input, j) => {
      const shape = k.shape(input);
      const st = strides(shape);
      const at = offset;
      code.push(
        ...nest(shape, 'i', (c) => [
          `${k.out}[${flatIndex(c.map((ci, d) => [d === axis ? plus(ci, num(at)) : ci, outSt[d]] as const))}] = ${k.ins[j]}[${flatIndex(c.map((ci, d) => [ci, st[d]] as const))}];`,
        ]),
      );
      offset += input.shape[axis] as number;
    });
    return code;
  },

  Gather: (k) => {
    const [x, idx] = k.ins;
    const [outer, n, inner] = around(k.shape(k.node.inputs[0]), k.attrs.axis);
    return [
      alloc(k.out, times(outer, inner)),
      ...loops(
        [
          ['o', outer],
          ['i', inner],
        ],
        ([o, i]) => [
          `const k = ${idx}[${plus(times(o, inner), i)}];`,
          // An out-of-range label gives NaN, never a read outside the array.
          `${k.out}[${plus(times(o, inner), i)}] = k >= 0 && k < ${n} && Number.isInteger(k) ? ${x}[${plus(times(plus(times(o, n), 'k'), inner), i)}] : NaN;`,
        ],
      ),
    ];
  },

  OneHot: (k) => {
    const idxShape = k.shape(k.node.inputs[0]);
    const { depth, axis } = k.attrs;
    const outer = product(idxShape.slice(0, axis));
    const inner = product(idxShape.slice(axis));
    return [
      alloc(k.out, product([outer, num(depth), inner])),
      ...loops(
        [
          ['o', outer],
          ['i', inner],
        ],
        ([o, i]) => [
          `const k = ${k.ins[0]}[${plus(times(o, inner), i)}];`,
          `if (k >= 0 && k < ${num(depth)}) ${k.out}[${plus(times(plus(times(o, num(depth)), 'k'), inner), i)}] = 1;`,
        ],
      ),
    ];
  },

  RandomUniform: random('uniformAt'),
  RandomNormal: random('normalAt'),
  ...windowKernels,
} satisfies { readonly [K in OpName]: Kernel<K> };
