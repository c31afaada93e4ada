import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WA } from '../wasm-api.js';
import { ByteWriter } from './bytes.js';
import { f32, f32x4, f64, i32, i64, select, v128 } from './instructions.js';
import { call, ModuleBuilder } from './module.js';

/** Reads back what `ByteWriter` wrote: unsigned and signed LEB128. */
function readLeb(bytes: Uint8Array, signed: boolean): bigint {
  let result = 0n;
  let shift = 0n;
  let b = 0;
  let i = 0;
  do {
    b = bytes[i++];
    result |= BigInt(b & 0x7f) << shift;
    shift += 7n;
  } while (b & 0x80);
  if (i !== bytes.length) throw new Error('trailing bytes');
  if (signed && b & 0x40) result -= 1n << shift;
  return result;
}

function instantiate(mb: ModuleBuilder, memory?: unknown) {
  const bytes = mb.encode();
  expect(WA.validate(bytes)).toBe(true);
  return new WA.Instance(new WA.Module(bytes), memory ? { env: { memory } } : {}).exports as Record<
    string,
    (...a: number[]) => number
  >;
}

describe('ByteWriter', () => {
  it('LEB128 round-trips u32, i32 and i64', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
        const w = new ByteWriter();
        w.u32(v);
        expect(readLeb(w.finish(), false)).toBe(BigInt(v));
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (v) => {
        const w = new ByteWriter();
        w.s32(v);
        expect(readLeb(w.finish(), true)).toBe(BigInt(v));
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (v) => {
        const w = new ByteWriter();
        w.s64(v);
        expect(readLeb(w.finish(), true)).toBe(v);
      }),
    );
  });

  it('refuses integers its encodings cannot hold', () => {
    expect(() => new ByteWriter().u32(-1)).toThrow(RangeError);
    expect(() => new ByteWriter().u32(2 ** 32)).toThrow(RangeError);
    expect(() => new ByteWriter().u32(1.5)).toThrow(RangeError);
    expect(() => new ByteWriter().s32(2 ** 33)).toThrow(RangeError);
  });
});

describe('ModuleBuilder', () => {
  it('encodes valid modules whose functions compute what they say', () => {
    const mb = new ModuleBuilder();
    const sq = mb.func('sq', ['f64'] as const, 'f64', (f) => f64.mul(f.params[0].get(), f.params[0].get()));
    // Σ_{i<n} i², with a loop and a call.
    const sum = mb.func('sum', ['i32'] as const, 'f64', (f) => {
      const [n] = f.params;
      const i = f.local('i32');
      const acc = f.local('f64');
      f.for(i, i32.const(0), n.get(), 1, () => {
        f.emit(acc.set(f64.add(acc.get(), call(sq, f64.convert_i32_s(i.get())))));
      });
      return acc.get();
    });
    const pick = mb.func('pick', ['i32', 'i32', 'i32'] as const, 'i32', (f) =>
      select(f.params[0].get(), f.params[1].get(), f.params[2].get()),
    );
    const big = mb.func('big', [] as const, 'i64', () => i64.const(-(1n << 62n)));
    const lanes = mb.func('lanes', ['f32'] as const, 'f32', (f) => {
      const v = f32x4.mul(
        f32x4.splat(f.params[0].get()),
        v128.const(new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer)),
      );
      return f32.add(f32x4.extract_lane(v, 1), f32x4.extract_lane(v, 3));
    });
    for (const fn of [sq, sum, pick, big, lanes]) mb.export(fn.name, fn);
    const ex = instantiate(mb);
    expect(ex.sq(3)).toBe(9);
    expect(ex.sum(10)).toBe(285);
    expect(ex.sum(0)).toBe(0);
    expect(ex.pick(7, 8, 1)).toBe(7);
    expect(ex.pick(7, 8, 0)).toBe(8);
    expect((ex.big as unknown as () => bigint)()).toBe(-(1n << 62n));
    expect(ex.lanes(1.5)).toBe(9);
  });

  it('loads and stores through an imported shared memory, with offsets', () => {
    const mb = new ModuleBuilder();
    mb.importMemory('env', 'memory', { initial: 1, maximum: 4, shared: true });
    const copy = mb.func('copy', ['i32', 'i32'] as const, 'void', (f) => {
      const [from, to] = f.params;
      f.emit(v128.store(to.get(), f32x4.add(v128.load(from.get(), 16), v128.load(from.get(), 16)), 0));
    });
    mb.export('copy', copy);
    const memory = new WA.Memory({ initial: 1, maximum: 4, shared: true });
    const ex = instantiate(mb, memory);
    new Float32Array(memory.buffer, 16, 4).set([1, 2, 3, 4]);
    ex.copy(0, 64);
    expect(Array.from(new Float32Array(memory.buffer, 64, 4))).toEqual([2, 4, 6, 8]);
  });

  it('branches to the labels of enclosing blocks only', () => {
    const mb = new ModuleBuilder();
    const first = mb.func('firstOver', ['i32'] as const, 'i32', (f) => {
      const i = f.local('i32');
      f.block((done) => {
        f.loop((again) => {
          f.brIf(done, i32.gt_s(i32.mul(i.get(), i.get()), f.params[0].get()));
          f.emit(i.set(i32.add(i.get(), i32.const(1))));
          f.br(again);
        });
      });
      return i.get();
    });
    mb.export('firstOver', first);
    expect(instantiate(mb).firstOver(50)).toBe(8);

    const bad = new ModuleBuilder();
    expect(() =>
      bad.func('escape', [] as const, 'void', (f) => {
        let outer: Parameters<typeof f.br>[0] | undefined;
        f.block((l) => {
          outer = l;
        });
        f.br(outer!);
      }),
    ).toThrow(/outside its block/);
  });

  it('refuses modules that would not validate', () => {
    const mb = new ModuleBuilder();
    mb.func('f', [] as const, 'void', () => {});
    expect(() => mb.importFunction('env', 'late', [] as const, 'void')).toThrow(/before functions/);
    const ref = mb.declare('g', [] as const, 'i32');
    expect(() => mb.encode()).toThrow(/never defined/);
    expect(() => mb.define(ref, () => f32.const(1) as never)).toThrow(/must return i32/);
    mb.define(ref, () => i32.const(1));
    expect(() => mb.define(ref, () => i32.const(2))).toThrow(/defined twice/);
    const takesTwo = mb.func('two', ['i32', 'i32'] as const, 'i32', (f) => f.params[0].get());
    expect(() => call(takesTwo as never, i32.const(1))).toThrow(/do not match/);
    expect(() => v128.const([1, 2, 3])).toThrow(RangeError);
    expect(() => f32x4.extract_lane(v128.const(new Uint8Array(16)), 4)).toThrow(RangeError);
    expect(() => mb.importMemory('env', 'm', { initial: 1, shared: true })).toThrow(/maximum/);
  });
});
