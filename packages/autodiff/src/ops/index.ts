/**
 * The op table: every primitive of the IR, by name. Backends type their kernel tables against
 * `OpName`, so adding an op here is a compile error in every backend until it is lowered there.
 * Composites (relu, softmax, cross-entropy, ...) are not here: they are built from these in
 * `composites.ts`.
 */
import type { OpDef } from '../op.js';
import {
  Abs,
  Add,
  Cast,
  Cos,
  Div,
  Equal,
  Exp,
  Greater,
  GreaterEqual,
  Less,
  LessEqual,
  Log,
  Maximum,
  Minimum,
  Mul,
  Neg,
  NotEqual,
  Pow,
  Sign,
  Sin,
  Sqrt,
  StopGradient,
  Sub,
  Tanh,
  Where,
} from './elementwise.js';
import { Gather, OneHot } from './index-ops.js';
import { Const, Input, Size, Variable } from './leaf.js';
import { MatMul } from './linalg.js';
import { Col2Im, Im2Col } from './patches.js';
import { RandomNormal, RandomUniform } from './random.js';
import { ArgMax, Max, Min, Sum } from './reduce.js';
import { BroadcastTo, Concat, Pad, Reshape, Slice, Transpose } from './shape-ops.js';
import { ScatterAdd, Take } from './take.js';

// The attribute types are public so that kernel tables typed against them can be declared (d.ts).
export type { LeafAttrs } from './leaf.js';
export type { MatMulAttrs } from './linalg.js';
export type { RandomAttrs } from './random.js';
export type { ReduceAttrs } from './reduce.js';
export type { SliceAttrs } from './shape-ops.js';

export const opDefs = {
  Input,
  Variable,
  Const,
  Size,
  Neg,
  Exp,
  Log,
  Sqrt,
  Abs,
  Sign,
  Sin,
  Cos,
  Tanh,
  StopGradient,
  Cast,
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Maximum,
  Minimum,
  Equal,
  NotEqual,
  Less,
  LessEqual,
  Greater,
  GreaterEqual,
  Where,
  Sum,
  Max,
  Min,
  ArgMax,
  MatMul,
  Reshape,
  Transpose,
  BroadcastTo,
  Slice,
  Pad,
  Concat,
  Gather,
  OneHot,
  RandomUniform,
  RandomNormal,
  Im2Col,
  Col2Im,
  Take,
  ScatterAdd,
} as const;

export type OpName = keyof typeof opDefs;

/** The attrs type of op `K`, for typed kernel tables in backends. */
export type AttrsOf<K extends OpName> = (typeof opDefs)[K] extends OpDef<infer A> ? A : never;

export const OP_NAMES = Object.keys(opDefs) as OpName[];
