/**
 * Building a WebAssembly module: imports (one memory, host functions), functions with typed
 * locals and structured control flow, exports, and the binary encoding. Functions are declared
 * (which fixes their index, so they can call each other in any order) and then defined.
 *
 * What keeps the output valid: instructions are typed expression trees (`instructions.ts`), a
 * local can only be set from an expr of its type, a call takes exactly its signature's argument
 * types, branch depths are computed from label objects (and a label used outside its block is
 * refused), and a function with a result must end with an expr of that type.
 */
import { ByteWriter } from './bytes.js';
import { type Expr, type Stmt, stmt, VALTYPE_CODE, type ValType } from './instructions.js';

export type Result = ValType | 'void';

/** A function's index and signature, for calls and exports. */
export interface FuncRef<P extends readonly ValType[] = readonly ValType[], R extends Result = Result> {
  readonly index: number;
  readonly name: string;
  readonly params: P;
  readonly result: R;
}

type Args<P extends readonly ValType[]> = { readonly [K in keyof P]: Expr<P[K]> };
type Returned<R extends Result> = R extends ValType ? Expr<R> : Stmt;

/** A call of `f`: an expr of its result type, or a statement for a function without one. */
export function call<P extends readonly ValType[], R extends Result>(
  f: FuncRef<P, R>,
  ...args: Args<P>
): Returned<R> {
  const tail = (w: ByteWriter) => {
    w.byte(0x10);
    w.u32(f.index);
  };
  const list = args as unknown as readonly Expr<ValType>[];
  if (list.length !== f.params.length || list.some((a, i) => a.type !== f.params[i])) {
    throw new TypeError(`call of ${f.name}: arguments do not match its signature`);
  }
  if (f.result === 'void') return stmt(list, tail) as Returned<R>;
  return {
    type: f.result,
    emit: (w: ByteWriter) => {
      for (const a of list) a.emit(w);
      tail(w);
    },
  } as unknown as Returned<R>;
}

export class Local<T extends ValType> {
  constructor(
    readonly type: T,
    readonly index: number,
  ) {}

  get(): Expr<T> {
    return {
      type: this.type,
      emit: (w) => {
        w.byte(0x20);
        w.u32(this.index);
      },
    };
  }

  set(v: Expr<T>): Stmt {
    return stmt([v], (w) => {
      w.byte(0x21);
      w.u32(this.index);
    });
  }

  tee(v: Expr<T>): Expr<T> {
    return {
      type: this.type,
      emit: (w) => {
        v.emit(w);
        w.byte(0x22);
        w.u32(this.index);
      },
    };
  }
}

/** A branch target: the block, loop or if it belongs to, while that is open. */
export class Label {
  open = true;
  constructor(readonly depth: number) {}
}

type Params<P extends readonly ValType[]> = { readonly [K in keyof P]: Local<P[K]> };

export class FunctionBuilder<P extends readonly ValType[] = readonly ValType[]> {
  readonly params: Params<P>;
  private readonly locals: ValType[] = [];
  readonly code = new ByteWriter();
  private depth = 0;

  constructor(params: P) {
    this.params = params.map((t, i) => new Local(t, i)) as unknown as Params<P>;
  }

  local<T extends ValType>(type: T): Local<T> {
    this.locals.push(type);
    return new Local(type, this.params.length + this.locals.length - 1);
  }

  emit(...ss: readonly Stmt[]): void {
    for (const s of ss) s.emit(this.code);
  }

  private nest(opcode: number, body: (l: Label) => void): void {
    this.code.byte(opcode);
    this.code.byte(0x40); // no result
    const label = new Label(++this.depth);
    body(label);
    label.open = false;
    this.depth--;
    this.code.byte(0x0b);
  }

  /** A block; branching to its label jumps past its end. */
  block(body: (exit: Label) => void): void {
    this.nest(0x02, body);
  }

  /** A loop; branching to its label jumps back to its start. */
  loop(body: (again: Label) => void): void {
    this.nest(0x03, body);
  }

  if(cond: Expr<'i32'>, then: () => void, otherwise?: () => void): void {
    cond.emit(this.code);
    this.code.byte(0x04);
    this.code.byte(0x40);
    const label = new Label(++this.depth);
    then();
    if (otherwise) {
      this.code.byte(0x05);
      otherwise();
    }
    label.open = false;
    this.depth--;
    this.code.byte(0x0b);
  }

  private target(l: Label): number {
    if (!l.open || l.depth > this.depth) throw new Error('internal: branch to a label outside its block');
    return this.depth - l.depth;
  }

  br(l: Label): void {
    this.code.byte(0x0c);
    this.code.u32(this.target(l));
  }

  brIf(l: Label, cond: Expr<'i32'>): void {
    cond.emit(this.code);
    this.code.byte(0x0d);
    this.code.u32(this.target(l));
  }

  /**
   * `for (i = from; i < to; i += step) body()` with `i` a local (to is re-evaluated each time, so
   * pass a constant or a local). Skips the body when `from >= to`.
   */
  for(i: Local<'i32'>, from: Expr<'i32'>, to: Expr<'i32'>, step: number, body: () => void): void {
    this.emit(i.set(from));
    this.block((exit) => {
      this.brIf(exit, ge(i.get(), to));
      this.loop((again) => {
        body();
        this.emit(i.set(add(i.get(), step)));
        this.brIf(again, lt(i.get(), to));
      });
    });
  }

  /** The encoded body: locals (run-length by type), code and `end`. */
  encodeBody(): ByteWriter {
    const w = new ByteWriter();
    const runs: [number, ValType][] = [];
    for (const t of this.locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    w.u32(runs.length);
    for (const [n, t] of runs) {
      w.u32(n);
      w.byte(VALTYPE_CODE[t]);
    }
    const code = this.code.finish();
    w.bytes(code);
    w.byte(0x0b);
    return w;
  }
}

const binary =
  (opcode: number) =>
  (a: Expr<'i32'>, b: Expr<'i32'>): Expr<'i32'> => ({
    type: 'i32',
    emit: (w) => {
      a.emit(w);
      b.emit(w);
      w.byte(opcode);
    },
  });
const lt = binary(0x48);
const ge = binary(0x4e);
const add = (a: Expr<'i32'>, k: number): Expr<'i32'> =>
  binary(0x6a)(a, {
    type: 'i32',
    emit: (w) => {
      w.byte(0x41);
      w.s32(k);
    },
  });

export interface MemoryLimits {
  /** In 64 KiB pages. */
  readonly initial: number;
  readonly maximum?: number;
  /** A SharedArrayBuffer-backed memory (needs `maximum`). */
  readonly shared?: boolean;
}

interface Defined {
  readonly ref: FuncRef;
  readonly type: number;
  body?: ByteWriter;
}

export class ModuleBuilder {
  private readonly types: string[] = [];
  private readonly typeSigs: { params: readonly ValType[]; result: Result }[] = [];
  private readonly imports: ByteWriter[] = [];
  private importedFuncs = 0;
  private readonly funcs: Defined[] = [];
  private readonly exports: { name: string; index: number }[] = [];

  private typeIndex(params: readonly ValType[], result: Result): number {
    const key = `${params.join(',')}>${result}`;
    let i = this.types.indexOf(key);
    if (i < 0) {
      i = this.types.push(key) - 1;
      this.typeSigs.push({ params, result });
    }
    return i;
  }

  importMemory(module: string, name: string, limits: MemoryLimits): void {
    if (limits.shared && limits.maximum === undefined)
      throw new Error('internal: a shared memory needs a maximum');
    const w = new ByteWriter();
    w.name(module);
    w.name(name);
    w.byte(0x02);
    w.byte(limits.maximum === undefined ? 0x00 : limits.shared ? 0x03 : 0x01);
    w.u32(limits.initial);
    if (limits.maximum !== undefined) w.u32(limits.maximum);
    this.imports.push(w);
  }

  importFunction<const P extends readonly ValType[], const R extends Result>(
    module: string,
    name: string,
    params: P,
    result: R,
  ): FuncRef<P, R> {
    if (this.funcs.length > 0) throw new Error('internal: imports must come before functions');
    const w = new ByteWriter();
    w.name(module);
    w.name(name);
    w.byte(0x00);
    w.u32(this.typeIndex(params, result));
    this.imports.push(w);
    return { index: this.importedFuncs++, name: `${module}.${name}`, params, result };
  }

  /** Declares a function (its index is fixed now); define its body with `define`. */
  declare<const P extends readonly ValType[], const R extends Result>(
    name: string,
    params: P,
    result: R,
  ): FuncRef<P, R> {
    const ref: FuncRef<P, R> = { index: this.importedFuncs + this.funcs.length, name, params, result };
    this.funcs.push({ ref, type: this.typeIndex(params, result) });
    return ref;
  }

  /** Defines a declared function; `body` returns the result expr of a function that has one. */
  define<P extends readonly ValType[], R extends Result>(
    ref: FuncRef<P, R>,
    body: (f: FunctionBuilder<P>) => R extends ValType ? Expr<R> : void,
  ): void {
    const slot = this.funcs[ref.index - this.importedFuncs];
    if (slot?.ref !== ref) throw new Error(`internal: ${ref.name} was not declared in this module`);
    if (slot.body) throw new Error(`internal: ${ref.name} defined twice`);
    const fb = new FunctionBuilder(ref.params);
    const result = body(fb) as Expr<ValType> | undefined;
    if (ref.result !== 'void') {
      if (!result || result.type !== ref.result)
        throw new Error(`internal: ${ref.name} must return ${ref.result}`);
      result.emit(fb.code);
    }
    slot.body = fb.encodeBody();
  }

  /** Declares and defines a function in one go. */
  func<const P extends readonly ValType[], const R extends Result>(
    name: string,
    params: P,
    result: R,
    body: (f: FunctionBuilder<P>) => R extends ValType ? Expr<R> : void,
  ): FuncRef<P, R> {
    const ref = this.declare(name, params, result);
    this.define(ref, body);
    return ref;
  }

  export(name: string, f: FuncRef): void {
    this.exports.push({ name, index: f.index });
  }

  encode(): Uint8Array {
    const out = new ByteWriter();
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, fill: (w: ByteWriter) => void) => {
      const w = new ByteWriter();
      fill(w);
      out.byte(id);
      out.sized(w);
    };
    section(1, (w) => {
      w.u32(this.typeSigs.length);
      for (const { params, result } of this.typeSigs) {
        w.byte(0x60);
        w.u32(params.length);
        for (const p of params) w.byte(VALTYPE_CODE[p]);
        if (result === 'void') w.u32(0);
        else {
          w.u32(1);
          w.byte(VALTYPE_CODE[result]);
        }
      }
    });
    if (this.imports.length > 0) {
      section(2, (w) => {
        w.u32(this.imports.length);
        for (const i of this.imports) w.bytes(i.finish());
      });
    }
    section(3, (w) => {
      w.u32(this.funcs.length);
      for (const f of this.funcs) w.u32(f.type);
    });
    section(7, (w) => {
      w.u32(this.exports.length);
      for (const e of this.exports) {
        w.name(e.name);
        w.byte(0x00);
        w.u32(e.index);
      }
    });
    section(10, (w) => {
      w.u32(this.funcs.length);
      for (const f of this.funcs) {
        if (!f.body) throw new Error(`internal: ${f.ref.name} was declared but never defined`);
        w.sized(f.body);
      }
    });
    return out.finish();
  }
}
