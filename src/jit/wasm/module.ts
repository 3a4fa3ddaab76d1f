/**
 * A WebAssembly module writer: the binary format (sections 1-11) written directly, no text
 * round trip. The JIT builds one module per compiled program with `ModuleBuilder`.
 */
import { ByteWriter } from './bytes.js';
import { BLOCK_VOID, FUNCREF, I32, I64, Op, type ValType } from './opcodes.js';

export interface FuncType { params: readonly ValType[]; results: readonly ValType[] }

/** The body of one function: locals plus an instruction stream. */
export class Code {
  readonly w = new ByteWriter();
  private readonly locals: ValType[] = [];
  constructor(private readonly nparams: number) {}

  /** Declares a new local and returns its index. */
  local(t: ValType): number {
    this.locals.push(t);
    return this.nparams + this.locals.length - 1;
  }

  op(o: number): this { this.w.byte(o); return this; }
  i32(v: number): this { this.w.byte(Op.i32_const).s32(v); return this; }
  i64(v: bigint): this { this.w.byte(Op.i64_const).s64(v); return this; }
  /** i64.const of a sign-extended int32 (its s64 LEB128 is its s32 LEB128). */
  i64s(v: number): this { this.w.byte(Op.i64_const).s32(v); return this; }
  get(i: number): this { this.w.byte(Op.local_get).u32(i); return this; }
  set(i: number): this { this.w.byte(Op.local_set).u32(i); return this; }
  tee(i: number): this { this.w.byte(Op.local_tee).u32(i); return this; }
  gget(i: number): this { this.w.byte(Op.global_get).u32(i); return this; }
  gset(i: number): this { this.w.byte(Op.global_set).u32(i); return this; }
  call(f: number): this { this.w.byte(Op.call).u32(f); return this; }
  returnCall(f: number): this { this.w.byte(Op.return_call).u32(f); return this; }
  callIndirect(type: number, table = 0): this { this.w.byte(Op.call_indirect).u32(type).u32(table); return this; }
  returnCallIndirect(type: number, table = 0): this { this.w.byte(Op.return_call_indirect).u32(type).u32(table); return this; }
  block(): this { this.w.byte(Op.block).byte(BLOCK_VOID); return this; }
  loop(): this { this.w.byte(Op.loop).byte(BLOCK_VOID); return this; }
  if_(): this { this.w.byte(Op.if_).byte(BLOCK_VOID); return this; }
  /** An `if` that yields one value of type t. */
  ifT(t: ValType): this { this.w.byte(Op.if_).byte(t); return this; }
  else_(): this { this.w.byte(Op.else_); return this; }
  end(): this { this.w.byte(Op.end); return this; }
  br(depth: number): this { this.w.byte(Op.br).u32(depth); return this; }
  brIf(depth: number): this { this.w.byte(Op.br_if).u32(depth); return this; }
  brTable(depths: readonly number[], dflt: number): this {
    this.w.byte(Op.br_table).u32(depths.length);
    for (const d of depths) this.w.u32(d);
    this.w.u32(dflt);
    return this;
  }
  /** A load or store with its memarg: log2 alignment hint and constant offset. */
  mem(o: number, alignLog2: number, offset = 0): this { this.w.byte(o).u32(alignLog2).u32(offset); return this; }

  /** The encoded body: local declarations (run-length grouped) then code, then `end`. */
  encode(): ByteWriter {
    const body = new ByteWriter();
    this.encodeInto(body);
    return body;
  }

  /** Appends the body to `out` (the code section) without a length prefix. */
  encodeInto(out: ByteWriter): void {
    const locals = this.locals;
    let groups = 0;
    for (let i = 0; i < locals.length; i++) if (i === 0 || locals[i] !== locals[i - 1]) groups++;
    out.u32(groups);
    for (let i = 0; i < locals.length;) {
      let j = i + 1;
      while (j < locals.length && locals[j] === locals[i]) j++;
      out.u32(j - i).byte(locals[i]!);
      i = j;
    }
    out.bytes(this.w.view());
    out.byte(Op.end);
  }
}

/**
 * Scratch writers for ModuleBuilder.encode, which is not re-entered: a section is written into
 * `sectionScratch` and copied after its length, a function body into `bodyScratch` -- buffers that
 * grow once and stay, instead of a writer (and its growing buffers) per section and per body.
 */
const sectionScratch = new ByteWriter();
const bodyScratch = new ByteWriter();
const moduleScratch = new ByteWriter();

interface ImportFunc { module: string; name: string; type: number }
interface Global { type: ValType; mutable: boolean; init: bigint }
interface Export { name: string; kind: 0 | 1 | 2 | 3; index: number }

export class ModuleBuilder {
  private readonly types: FuncType[] = [];
  private readonly importFuncs: ImportFunc[] = [];
  private readonly funcTypes: number[] = [];
  private readonly codes: Code[] = [];
  private readonly globals: Global[] = [];
  private readonly exports: Export[] = [];
  private readonly elems: Array<{ offset: number; funcs: number[] }> = [];
  private memImport: { module: string; name: string; min: number; max?: number } | null = null;
  private tableImport: { module: string; name: string; min: number } | null = null;
  private ownTable: number | null = null;
  private readonly importGlobals: Array<{ module: string; name: string; type: ValType; mutable: boolean }> = [];
  private frozenImports = false;

  /** Index of a function type, deduplicated. */
  type(params: readonly ValType[], results: readonly ValType[]): number {
    const i = this.types.findIndex((t) => same(t.params, params) && same(t.results, results));
    if (i >= 0) return i;
    this.types.push({ params: [...params], results: [...results] });
    return this.types.length - 1;
  }

  /** Imports a function; all imports must precede the first defined function. */
  importFunc(module: string, name: string, params: readonly ValType[], results: readonly ValType[]): number {
    if (this.frozenImports) throw new Error('wasm: function import after a defined function');
    this.importFuncs.push({ module, name, type: this.type(params, results) });
    return this.importFuncs.length - 1;
  }

  importMemory(module: string, name: string, minPages: number, maxPages?: number): void {
    this.memImport = maxPages === undefined ? { module, name, min: minPages } : { module, name, min: minPages, max: maxPages };
  }

  importTable(module: string, name: string, min: number): void {
    this.tableImport = { module, name, min };
  }

  /** Declares this module's own funcref table (used when none is imported). */
  table(min: number): void { this.ownTable = min; }

  /** Imports a global; all global imports must precede the first defined global. */
  importGlobal(module: string, name: string, type: ValType, mutable: boolean): number {
    if (this.globals.length) throw new Error('wasm: global import after a defined global');
    this.importGlobals.push({ module, name, type, mutable });
    return this.importGlobals.length - 1;
  }

  global(type: ValType, mutable: boolean, init: bigint): number {
    this.globals.push({ type, mutable, init });
    return this.importGlobals.length + this.globals.length - 1;
  }

  /** Declares a function and returns its index and body; the body is filled in later. */
  func(params: readonly ValType[], results: readonly ValType[]): { index: number; code: Code } {
    this.frozenImports = true;
    this.funcTypes.push(this.type(params, results));
    const code = new Code(params.length);
    this.codes.push(code);
    return { index: this.importFuncs.length + this.codes.length - 1, code };
  }

  exportFunc(name: string, index: number): void { this.exports.push({ name, kind: 0, index }); }
  exportGlobal(name: string, index: number): void { this.exports.push({ name, kind: 3, index }); }

  /** An active element segment placing functions into table 0 at `offset`. */
  elem(offset: number, funcs: number[]): void { this.elems.push({ offset, funcs }); }

  encode(): Uint8Array {
    const out = moduleScratch.reset().bytes(WASM_HEADER);
    const section = (id: number, fill: (w: ByteWriter) => void) => {
      const w = sectionScratch.reset();
      fill(w);
      out.byte(id).sized(w);
    };
    section(1, (w) => {
      w.u32(this.types.length);
      for (const t of this.types) {
        w.byte(0x60).u32(t.params.length).bytes(t.params).u32(t.results.length).bytes(t.results);
      }
    });
    const nImports = this.importFuncs.length + (this.memImport ? 1 : 0) + (this.tableImport ? 1 : 0) + this.importGlobals.length;
    if (nImports > 0) section(2, (w) => {
      w.u32(nImports);
      for (const f of this.importFuncs) w.name(f.module).name(f.name).byte(0x00).u32(f.type);
      if (this.tableImport) w.name(this.tableImport.module).name(this.tableImport.name).byte(0x01).byte(FUNCREF).byte(0).u32(this.tableImport.min);
      if (this.memImport) {
        const m = this.memImport;
        w.name(m.module).name(m.name).byte(0x02);
        if (m.max === undefined) w.byte(0).u32(m.min);
        else w.byte(1).u32(m.min).u32(m.max);
      }
      for (const g of this.importGlobals) w.name(g.module).name(g.name).byte(0x03).byte(g.type).byte(g.mutable ? 1 : 0);
    });
    section(3, (w) => { w.u32(this.funcTypes.length); for (const t of this.funcTypes) w.u32(t); });
    if (this.ownTable !== null && !this.tableImport) section(4, (w) => { w.u32(1).byte(FUNCREF).byte(0).u32(this.ownTable!); });
    if (this.globals.length) section(6, (w) => {
      w.u32(this.globals.length);
      for (const g of this.globals) {
        w.byte(g.type).byte(g.mutable ? 1 : 0);
        if (g.type === I64) w.byte(Op.i64_const).s64(g.init);
        else w.byte(Op.i32_const).s32(Number(BigInt.asIntN(32, g.init)));
        w.byte(Op.end);
      }
    });
    if (this.exports.length) section(7, (w) => {
      w.u32(this.exports.length);
      for (const e of this.exports) w.name(e.name).byte(e.kind).u32(e.index);
    });
    if (this.elems.length) section(9, (w) => {
      w.u32(this.elems.length);
      for (const e of this.elems) {
        w.u32(0).byte(Op.i32_const).s32(e.offset).byte(Op.end).u32(e.funcs.length);
        for (const f of e.funcs) w.u32(f);
      }
    });
    section(10, (w) => {
      w.u32(this.codes.length);
      for (const c of this.codes) { c.encodeInto(bodyScratch.reset()); w.sized(bodyScratch); }
    });
    return out.finish();
  }
}

const WASM_HEADER = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

function same(a: readonly ValType[], b: readonly ValType[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export { I32, I64 };
