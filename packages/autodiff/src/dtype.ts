/** Element types of the IR. `f32`/`f64` are floats; `i32` holds labels and indices; `bool` holds masks. */
export type DType = 'f32' | 'f64' | 'i32' | 'bool';
export type FloatDType = 'f32' | 'f64';

export const DTYPES: readonly DType[] = ['bool', 'i32', 'f32', 'f64'];

export function isFloat(d: DType): d is FloatDType {
  return d === 'f32' || d === 'f64';
}

/** The wider of two dtypes in the order bool < i32 < f32 < f64 (JAX's lattice without weak types). */
export function promote(a: DType, b: DType): DType {
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}
