/**
 * Symbolic execution of the WebAssembly the JIT emits, as Z3 terms. The input is the encoded
 * instruction bytes of one template (what `Code` holds after an emitter ran), decoded here, so the
 * formula is derived from the emitted code, not from a hand copy of it. The subset: i32/i64
 * constants, locals, arithmetic, bitwise, shifts and rotates (count masked as WebAssembly does),
 * comparisons, eqz, wrap/extend (including extend8/16/32_s), select, if/else/end with a result,
 * block/loop/br/br_if/br_table (paths merged at the label with their path conditions; a loop's
 * body is unrolled up to `loopBound` times, the paths still looping after that recorded in
 * `cut`), calls of functions given a model (`ImportModel`: the callee's effect on memory, its
 * results and whether it faults: imports, and the module's own functions as uninterpreted
 * callees), return, return_call and return_call_indirect (each path leaving the code recorded
 * with its condition, values and memory), unreachable (a trap), global.get/global.set of globals
 * given a value, and loads/stores on a byte-array memory (little-endian). Division and remainder
 * record their trap conditions (zero divisor; INT_MIN / -1 for div_s); every memory access is
 * recorded with its path condition and its effective address (for the caller's bounds check:
 * WebAssembly traps past the memory's size). Anything else (call_indirect, tables, floats) is
 * outside the subset and rejected with the opcode named.
 */
import { I32, I64, Op } from '../jit/wasm/index.js';
import type { Z3Ctx, ZB, ZT } from './z3-algebra.js';

type Arr = ReturnType<Z3Ctx['Array']['const']>;

export interface SymValue { type: 'i32' | 'i64'; v: ZT }

export interface SymState {
  locals: Map<number, SymValue>;
  stack: SymValue[];
  /** Memory: 32-bit address to byte. */
  mem: Arr;
  /** Some path reaches a trap when this holds. */
  trap: ZB;
  /** Path condition: this state is reached. */
  live: ZB;
  /** Some path ended in a fault raised by an import (the run stops with it) when this holds. */
  fault: ZB;
  /** Values of the globals (global.set changes them on its path). */
  globals: Map<number, SymValue>;
}

/** The effect of calling an import: results pushed, state changed (memory), a fault that ends the run. */
export interface ImportModel {
  params: ('i32' | 'i64')[];
  results: ('i32' | 'i64')[];
  effect(args: ZT[], s: SymState): { results: ZT[]; fault?: ZB };
}

/** A memory access on some path: effective address = zero-extended `addr` + `offset`; a store's value (low `bytes` bytes written). */
export interface SymAccess { guard: ZB; addr: ZT; offset: number; bytes: number; stored?: ZT }
/** A call executed on some path: callee, arguments and the memory it was called with. */
export interface SymCall { guard: ZB; fn: number; args: ZT[]; mem: Arr }
/**
 * A path leaving the code: `return` (values: the stack, bottom first), `return_call` of function
 * `fn` or `return_call_indirect` through type `fn` with table index `index` (values: the arguments).
 */
export interface SymExit { guard: ZB; kind: 'return' | 'return_call' | 'return_call_indirect'; fn: number; index?: ZT; values: SymValue[]; state: SymState }
/** A function type, for return_call_indirect (`types`, keyed by type index). */
export interface SymSignature { params: ('i32' | 'i64')[]; results: ('i32' | 'i64')[] }

interface Label { exits: SymState[]; height: number; arity: number }

/** How the code under proof is set up: callees, globals, function types, loop unrolling. */
export interface SymOptions {
  /** Callees by function index (imports and the module's own functions). */
  imports?: ReadonlyMap<number, ImportModel>;
  /** The value each global holds at the start (global.get of another is rejected). */
  globals?: ReadonlyMap<number, SymValue>;
  /** Function types by index (return_call_indirect). */
  types?: ReadonlyMap<number, SymSignature>;
  /** Iterations of a loop body explored (default 3). */
  loopBound?: number;
}

const NAMES = new Map<number, string>(Object.entries(Op).map(([k, v]) => [v, k]));

let instances = 0;

export class WasmSymbolic {
  private readonly tag = `w${instances++}`;
  private labels: Label[] = [];
  /** Every memory access and import call executed, with its path condition. */
  readonly accesses: SymAccess[] = [];
  readonly calls: SymCall[] = [];
  /** Every path that left the code (return, return_call, return_call_indirect). */
  readonly exits: SymExit[] = [];
  /** Some path still loops after `loopBound` iterations (not explored further) when this holds. */
  cut: ZB;
  private readonly imports: ReadonlyMap<number, ImportModel>;
  private readonly globals: ReadonlyMap<number, SymValue>;
  private readonly types: ReadonlyMap<number, SymSignature>;
  private readonly loopBound: number;
  /** `imports`/`globals` as in SymOptions (the older positional form). */
  constructor(readonly Z: Z3Ctx, imports: ReadonlyMap<number, ImportModel> | SymOptions = new Map(), globals: ReadonlyMap<number, SymValue> = new Map()) {
    const o: SymOptions = imports instanceof Map ? { imports, globals } : imports as SymOptions;
    this.imports = o.imports ?? new Map();
    this.globals = o.globals ?? new Map();
    this.types = o.types ?? new Map();
    this.loopBound = o.loopBound ?? 3;
    this.cut = Z.Bool.val(false);
  }

  /** A state with the given locals (others read as unknowns) and an arbitrary memory. */
  state(locals: Map<number, SymValue>, mem?: Arr): SymState {
    const Z = this.Z;
    return { locals: new Map(locals), stack: [], mem: mem ?? Z.Array.const('mem', Z.BitVec.sort(32), Z.BitVec.sort(8)), trap: Z.Bool.val(false), live: Z.Bool.val(true), fault: Z.Bool.val(false), globals: new Map(this.globals) };
  }

  /** The unknown value local i holds before the code writes it (one constant per local and run). */
  private initial(i: number, t: 'i32' | 'i64'): SymValue {
    return { type: t, v: this.Z.BitVec.const(`${this.tag}_local${i}`, t === 'i32' ? 32 : 64) };
  }

  private clone(s: SymState, live: ZB): SymState {
    return { locals: new Map(s.locals), stack: [...s.stack], mem: s.mem, trap: s.trap, live, fault: s.fault, globals: new Map(s.globals) };
  }

  /**
   * Joins the states reaching one label (disjoint path conditions) into `into`: values chosen by
   * path condition; the stack keeps the `height` values below the label and its `arity` results.
   */
  private join(into: SymState, states: SymState[], height: number, arity: number, lt: (i: number) => 'i32' | 'i64'): void {
    const Z = this.Z;
    const reach = states.filter((x) => !Z.isFalse(x.live));
    const all = reach.length ? reach : [states[0]!];
    const pick = <V>(vals: V[], same: (a: V, b: V) => boolean, ite: (c: ZB, a: V, b: V) => V): V => {
      let acc = vals[vals.length - 1] as V;
      for (let i = vals.length - 2; i >= 0; i--) if (!same(vals[i] as V, acc)) acc = ite(all[i]!.live, vals[i] as V, acc);
      return acc;
    };
    const iteT = (c: ZB, a: ZT, b: ZT): ZT => Z.If(c, a, b) as ZT;
    const keys = new Set(all.flatMap((x) => [...x.locals.keys()]));
    const locals = new Map<number, SymValue>();
    for (const k of keys) {
      const vals = all.map((x) => x.locals.get(k) ?? this.initial(k, lt(k)));
      locals.set(k, pick(vals, (a, b) => a === b || a.v === b.v, (c, a, b) => ({ type: a.type, v: iteT(c, a.v, b.v) })));
    }
    const stack = all[0]!.stack.slice(0, height);
    for (let j = 0; j < arity; j++) {
      const vals = all.map((x) => { const v = x.stack[x.stack.length - arity + j]; if (!v) throw new Error('wasm-sym: missing block result'); return v; });
      stack.push(pick(vals, (a, b) => a === b, (c, a, b) => ({ type: a.type, v: iteT(c, a.v, b.v) })));
    }
    const gkeys = new Set(all.flatMap((x) => [...x.globals.keys()]));
    const globals = new Map<number, SymValue>();
    for (const k of gkeys) {
      const vals = all.map((x) => x.globals.get(k)!);
      globals.set(k, pick(vals, (a, b) => a === b || a.v === b.v, (c, a, b) => ({ type: a.type, v: iteT(c, a.v, b.v) })));
    }
    into.globals = globals;
    into.locals = locals;
    into.stack = stack;
    into.mem = pick(all.map((x) => x.mem), (a, b) => a === b, (c, a, b) => Z.If(c, a, b) as unknown as Arr);
    into.trap = all.length === 1 ? all[0]!.trap : Z.Or(...all.map((x) => x.trap));
    into.fault = all.length === 1 ? all[0]!.fault : Z.Or(...all.map((x) => x.fault));
    into.live = all.length === 1 ? all[0]!.live : Z.Or(...all.map((x) => x.live));
  }

  /** Runs the encoded code on `s` (mutated) and returns it. `localTypes` gives the type of each local. */
  run(code: Uint8Array, s: SymState, localTypes: (i: number) => 'i32' | 'i64'): SymState {
    const r = new Reader(code);
    this.block(r, s, localTypes, false);
    if (!r.done()) throw new Error(`wasm-sym: unexpected ${NAMES.get(code[r.pos]!) ?? code[r.pos]} at byte ${r.pos}`);
    return s;
  }

  /** Executes until `end`/`else` (consumed when inside a block) or the end of the code. */
  private block(r: Reader, s: SymState, lt: (i: number) => 'i32' | 'i64', nested: boolean): 'end' | 'else' | 'eof' {
    const Z = this.Z;
    const c32 = (n: number | bigint): ZT => Z.BitVec.val(BigInt.asUintN(32, BigInt(n)), 32);
    const c64 = (n: number | bigint): ZT => Z.BitVec.val(BigInt.asUintN(64, BigInt(n)), 64);
    const pop = (t?: 'i32' | 'i64'): ZT => {
      const x = s.stack.pop();
      if (!x) throw new Error('wasm-sym: stack underflow');
      if (t && x.type !== t) throw new Error(`wasm-sym: expected ${t}, found ${x.type}`);
      return x.v;
    };
    const push = (type: 'i32' | 'i64', v: ZT): void => { s.stack.push({ type, v }); };
    const bool = (b: ZB): ZT => Z.If(b, c32(1), c32(0)) as ZT;
    const bin = (t: 'i32' | 'i64', f: (a: ZT, b: ZT) => ZT): void => { const b = pop(t); const a = pop(t); push(t, f(a, b)); };
    const cmp = (t: 'i32' | 'i64', f: (a: ZT, b: ZT) => ZB): void => { const b = pop(t); const a = pop(t); push('i32', bool(f(a, b))); };
    const cnt = (b: ZT, w: number): ZT => b.and(w === 32 ? c32(31) : c64(63));
    const rotl = (a: ZT, b: ZT, w: number): ZT => { const k = cnt(b, w); return a.shl(k).or(a.lshr((w === 32 ? c32(32) : c64(64)).sub(k))); };
    const rotr = (a: ZT, b: ZT, w: number): ZT => { const k = cnt(b, w); return a.lshr(k).or(a.shl((w === 32 ? c32(32) : c64(64)).sub(k))); };
    const trapIf = (b: ZB): void => { s.trap = Z.Or(s.trap, Z.And(s.live, b)); };
    const div = (t: 'i32' | 'i64', kind: 'div_s' | 'div_u' | 'rem_s' | 'rem_u'): void => {
      const w = t === 'i32' ? 32 : 64;
      const c = w === 32 ? c32 : c64;
      const b = pop(t); const a = pop(t);
      trapIf(b.eq(c(0)));
      if (kind === 'div_s') trapIf(Z.And(a.eq(c(1n << BigInt(w - 1))), b.eq(c(-1))));
      push(t, kind === 'div_s' ? a.sdiv(b) : kind === 'div_u' ? a.udiv(b) : kind === 'rem_s' ? a.srem(b) : a.urem(b));
    };
    const load = (bytes: number, signed: boolean, t: 'i32' | 'i64', offset: number): void => {
      const base = pop('i32');
      this.accesses.push({ guard: s.live, addr: base, offset, bytes });
      const addr = base.add(c32(offset));
      const parts: ZT[] = [];
      for (let i = bytes - 1; i >= 0; i--) parts.push(s.mem.select(addr.add(c32(i))) as unknown as ZT);
      const v = parts.length === 1 ? parts[0]! : Z.Concat(...parts) as ZT;
      const w = t === 'i32' ? 32 : 64;
      push(t, 8 * bytes === w ? v : signed ? v.signExt(w - 8 * bytes) : v.zeroExt(w - 8 * bytes));
    };
    const store = (bytes: number, t: 'i32' | 'i64', offset: number): void => {
      const v = pop(t);
      const base = pop('i32');
      this.accesses.push({ guard: s.live, addr: base, offset, bytes, stored: v });
      const addr = base.add(c32(offset));
      let m = s.mem;
      for (let i = 0; i < bytes; i++) m = m.store(addr.add(c32(i)), v.extract(8 * i + 7, 8 * i)) as Arr;
      s.mem = m;
    };
    while (!r.done()) {
      const o = r.byte();
      switch (o) {
        case Op.end: if (nested) return 'end'; throw new Error('wasm-sym: unbalanced end');
        case Op.else_: if (nested) return 'else'; throw new Error('wasm-sym: else outside if');
        case Op.nop: break;
        case Op.drop: pop(); break;
        case Op.i32_const: push('i32', c32(r.s32())); break;
        case Op.i64_const: push('i64', c64(r.s64())); break;
        case Op.local_get: {
          const i = r.u32();
          let x = s.locals.get(i);
          if (!x) { x = this.initial(i, lt(i)); s.locals.set(i, x); }
          s.stack.push(x);
          break;
        }
        case Op.global_get: {
          const i = r.u32();
          const g = s.globals.get(i);
          if (!g) throw new Error(`wasm-sym: global ${i} has no value`);
          s.stack.push(g);
          break;
        }
        case Op.global_set: {
          const i = r.u32();
          const g = s.globals.get(i);
          if (!g) throw new Error(`wasm-sym: global ${i} has no value`);
          s.globals.set(i, { type: g.type, v: pop(g.type) });
          break;
        }
        case Op.unreachable: trapIf(Z.Bool.val(true)); s.live = Z.Bool.val(false); break;
        case Op.return_: {
          this.exits.push({ guard: s.live, kind: 'return', fn: -1, values: [...s.stack], state: this.clone(s, s.live) });
          s.live = Z.Bool.val(false);
          break;
        }
        case Op.return_call: case Op.return_call_indirect: {
          const fn = r.u32();
          const sig = o === Op.return_call ? this.imports.get(fn) : this.types.get(fn);
          if (!sig) throw new Error(`wasm-sym: ${o === Op.return_call ? 'return_call of function' : 'return_call_indirect of type'} ${fn}, which has no model`);
          let index: ZT | undefined;
          if (o === Op.return_call_indirect) { if (r.u32() !== 0) throw new Error('wasm-sym: table other than 0'); index = pop('i32'); }
          const values = sig.params.map(() => s.stack.pop()).reverse().map((x, i) => {
            if (!x || x.type !== sig.params[i]) throw new Error(`wasm-sym: tail call of ${fn}: argument ${i} is not ${sig.params[i]}`);
            return x;
          });
          this.exits.push({ guard: s.live, kind: o === Op.return_call ? 'return_call' : 'return_call_indirect', fn, ...(index ? { index } : {}), values, state: this.clone(s, s.live) });
          s.live = Z.Bool.val(false);
          break;
        }
        case Op.local_set: case Op.local_tee: {
          const i = r.u32();
          const x = s.stack[s.stack.length - 1];
          if (!x) throw new Error('wasm-sym: stack underflow');
          if (x.type !== lt(i)) throw new Error(`wasm-sym: local ${i} is ${lt(i)}, value is ${x.type}`);
          s.locals.set(i, x);
          if (o === Op.local_set) s.stack.pop();
          break;
        }
        case Op.select: {
          const c = pop('i32');
          const b = s.stack.pop()!; const a = s.stack.pop()!;
          push(a.type, Z.If(c.eq(c32(0)), b.v, a.v) as ZT);
          break;
        }
        case Op.if_: {
          const bt = r.byte();
          if (bt !== 0x40 && bt !== I32 && bt !== I64) throw new Error(`wasm-sym: block type 0x${bt.toString(16)}`);
          const c = Z.Not(pop('i32').eq(c32(0)));
          const label: Label = { exits: [], height: s.stack.length, arity: bt === 0x40 ? 0 : 1 };
          const th = this.clone(s, Z.And(s.live, c));
          const el = this.clone(s, Z.And(s.live, Z.Not(c)));
          this.labels.push(label);
          const how = this.block(r, th, lt, true);
          if (how === 'else') this.block(r, el, lt, true);
          this.labels.pop();
          this.join(s, [th, el, ...label.exits], label.height, label.arity, lt);
          break;
        }
        case Op.block: {
          const bt = r.byte();
          if (bt !== 0x40) throw new Error(`wasm-sym: block type 0x${bt.toString(16)}`);
          const label: Label = { exits: [], height: s.stack.length, arity: 0 };
          const body = this.clone(s, s.live);
          this.labels.push(label);
          if (this.block(r, body, lt, true) !== 'end') throw new Error('wasm-sym: else in a block');
          this.labels.pop();
          this.join(s, [body, ...label.exits], label.height, 0, lt);
          break;
        }
        case Op.loop: {
          const bt = r.byte();
          if (bt !== 0x40) throw new Error(`wasm-sym: block type 0x${bt.toString(16)}`);
          const start = r.pos;
          const done: SymState[] = [];
          let cur = this.clone(s, s.live);
          let pending: SymState[] = [];
          for (let iter = 0; iter < this.loopBound; iter++) {
            const label: Label = { exits: [], height: s.stack.length, arity: 0 };
            r.pos = start;
            this.labels.push(label);
            if (this.block(r, cur, lt, true) !== 'end') throw new Error('wasm-sym: else in a loop');
            this.labels.pop();
            done.push(cur);
            pending = label.exits.filter((x) => !Z.isFalse(x.live));
            if (!pending.length) break;
            const next = this.clone(s, s.live);
            this.join(next, pending, label.height, 0, lt);
            cur = next;
          }
          if (pending.length) this.cut = Z.Or(this.cut, ...pending.map((x) => x.live));
          this.join(s, done, s.stack.length, 0, lt);
          break;
        }
        case Op.br_table: {
          const n = r.u32();
          const depths = Array.from({ length: n + 1 }, () => r.u32());
          const idx = pop('i32');
          depths.forEach((d, j) => {
            const label = this.labels[this.labels.length - 1 - d];
            if (!label) throw new Error('wasm-sym: branch to a missing label');
            // a constant index (the dispatch loop's next block) picks its arm without the solver
            const k = Z.isBitVecVal(idx) ? idx.value() : undefined;
            const c = k !== undefined ? Z.Bool.val(j < n ? k === BigInt(j) : k >= BigInt(n)) : j < n ? idx.eq(c32(j)) : idx.uge(c32(n));
            label.exits.push(this.clone(s, Z.isFalse(c) ? c : Z.isTrue(c) ? s.live : Z.And(s.live, c)));
          });
          s.live = Z.Bool.val(false);
          break;
        }
        case Op.br: case Op.br_if: {
          const label = this.labels[this.labels.length - 1 - r.u32()];
          if (!label) throw new Error('wasm-sym: branch to a missing label');
          const c = o === Op.br_if ? Z.Not(pop('i32').eq(c32(0))) : Z.Bool.val(true);
          label.exits.push(this.clone(s, o === Op.br ? s.live : Z.And(s.live, c)));
          s.live = o === Op.br ? Z.Bool.val(false) : Z.And(s.live, Z.Not(c));
          break;
        }
        case Op.call: {
          const fn = r.u32();
          const model = this.imports.get(fn);
          if (!model) throw new Error(`wasm-sym: call of function ${fn}, which has no model`);
          const args = model.params.map(() => s.stack.pop()).reverse().map((x, i) => {
            if (!x || x.type !== model.params[i]) throw new Error(`wasm-sym: call of ${fn}: argument ${i} is not ${model.params[i]}`);
            return x.v;
          });
          this.calls.push({ guard: s.live, fn, args, mem: s.mem });
          const e = model.effect(args, s);
          e.results.forEach((v, i) => push(model.results[i]!, v));
          if (e.fault) { s.fault = Z.Or(s.fault, Z.And(s.live, e.fault)); s.live = Z.And(s.live, Z.Not(e.fault)); }
          break;
        }
        case Op.i32_eqz: push('i32', bool(pop('i32').eq(c32(0)))); break;
        case Op.i64_eqz: push('i32', bool(pop('i64').eq(c64(0)))); break;
        case Op.i32_eq: cmp('i32', (a, b) => a.eq(b)); break;
        case Op.i32_ne: cmp('i32', (a, b) => Z.Not(a.eq(b))); break;
        case Op.i32_lt_s: cmp('i32', (a, b) => a.slt(b)); break;
        case Op.i32_lt_u: cmp('i32', (a, b) => a.ult(b)); break;
        case Op.i32_gt_s: cmp('i32', (a, b) => a.sgt(b)); break;
        case Op.i32_gt_u: cmp('i32', (a, b) => a.ugt(b)); break;
        case Op.i32_le_s: cmp('i32', (a, b) => a.sle(b)); break;
        case Op.i32_le_u: cmp('i32', (a, b) => a.ule(b)); break;
        case Op.i32_ge_s: cmp('i32', (a, b) => a.sge(b)); break;
        case Op.i32_ge_u: cmp('i32', (a, b) => a.uge(b)); break;
        case Op.i64_eq: cmp('i64', (a, b) => a.eq(b)); break;
        case Op.i64_ne: cmp('i64', (a, b) => Z.Not(a.eq(b))); break;
        case Op.i64_lt_s: cmp('i64', (a, b) => a.slt(b)); break;
        case Op.i64_lt_u: cmp('i64', (a, b) => a.ult(b)); break;
        case Op.i64_gt_s: cmp('i64', (a, b) => a.sgt(b)); break;
        case Op.i64_gt_u: cmp('i64', (a, b) => a.ugt(b)); break;
        case Op.i64_le_s: cmp('i64', (a, b) => a.sle(b)); break;
        case Op.i64_le_u: cmp('i64', (a, b) => a.ule(b)); break;
        case Op.i64_ge_s: cmp('i64', (a, b) => a.sge(b)); break;
        case Op.i64_ge_u: cmp('i64', (a, b) => a.uge(b)); break;
        case Op.i32_add: bin('i32', (a, b) => a.add(b)); break;
        case Op.i32_sub: bin('i32', (a, b) => a.sub(b)); break;
        case Op.i32_mul: bin('i32', (a, b) => a.mul(b)); break;
        case Op.i32_and: bin('i32', (a, b) => a.and(b)); break;
        case Op.i32_or: bin('i32', (a, b) => a.or(b)); break;
        case Op.i32_xor: bin('i32', (a, b) => a.xor(b)); break;
        case Op.i32_shl: bin('i32', (a, b) => a.shl(cnt(b, 32))); break;
        case Op.i32_shr_s: bin('i32', (a, b) => a.shr(cnt(b, 32))); break;
        case Op.i32_shr_u: bin('i32', (a, b) => a.lshr(cnt(b, 32))); break;
        case Op.i32_rotl: bin('i32', (a, b) => rotl(a, b, 32)); break;
        case Op.i32_rotr: bin('i32', (a, b) => rotr(a, b, 32)); break;
        case Op.i32_div_s: div('i32', 'div_s'); break;
        case Op.i32_div_u: div('i32', 'div_u'); break;
        case Op.i32_rem_s: div('i32', 'rem_s'); break;
        case Op.i32_rem_u: div('i32', 'rem_u'); break;
        case Op.i64_add: bin('i64', (a, b) => a.add(b)); break;
        case Op.i64_sub: bin('i64', (a, b) => a.sub(b)); break;
        case Op.i64_mul: bin('i64', (a, b) => a.mul(b)); break;
        case Op.i64_and: bin('i64', (a, b) => a.and(b)); break;
        case Op.i64_or: bin('i64', (a, b) => a.or(b)); break;
        case Op.i64_xor: bin('i64', (a, b) => a.xor(b)); break;
        case Op.i64_shl: bin('i64', (a, b) => a.shl(cnt(b, 64))); break;
        case Op.i64_shr_s: bin('i64', (a, b) => a.shr(cnt(b, 64))); break;
        case Op.i64_shr_u: bin('i64', (a, b) => a.lshr(cnt(b, 64))); break;
        case Op.i64_rotl: bin('i64', (a, b) => rotl(a, b, 64)); break;
        case Op.i64_rotr: bin('i64', (a, b) => rotr(a, b, 64)); break;
        case Op.i64_div_s: div('i64', 'div_s'); break;
        case Op.i64_div_u: div('i64', 'div_u'); break;
        case Op.i64_rem_s: div('i64', 'rem_s'); break;
        case Op.i64_rem_u: div('i64', 'rem_u'); break;
        case Op.i32_wrap_i64: push('i32', pop('i64').extract(31, 0)); break;
        case Op.i64_extend_i32_s: push('i64', pop('i32').signExt(32)); break;
        case Op.i64_extend_i32_u: push('i64', pop('i32').zeroExt(32)); break;
        case Op.i32_extend8_s: push('i32', pop('i32').extract(7, 0).signExt(24)); break;
        case Op.i32_extend16_s: push('i32', pop('i32').extract(15, 0).signExt(16)); break;
        case Op.i64_extend8_s: push('i64', pop('i64').extract(7, 0).signExt(56)); break;
        case Op.i64_extend16_s: push('i64', pop('i64').extract(15, 0).signExt(48)); break;
        case Op.i64_extend32_s: push('i64', pop('i64').extract(31, 0).signExt(32)); break;
        case Op.i32_load: case Op.i64_load: case Op.i32_load8_s: case Op.i32_load8_u: case Op.i32_load16_s: case Op.i32_load16_u:
        case Op.i64_load8_s: case Op.i64_load8_u: case Op.i64_load16_s: case Op.i64_load16_u: case Op.i64_load32_s: case Op.i64_load32_u: {
          r.u32(); // alignment hint
          const off = r.u32();
          const spec = LOADS[o]!;
          load(spec[0], spec[1], spec[2], off);
          break;
        }
        case Op.i32_store: case Op.i64_store: case Op.i32_store8: case Op.i32_store16: case Op.i64_store8: case Op.i64_store16: case Op.i64_store32: {
          r.u32();
          const off = r.u32();
          const spec = STORES[o]!;
          store(spec[0], spec[1], off);
          break;
        }
        default:
          throw new Error(`wasm-sym: ${NAMES.get(o) ?? `opcode 0x${o.toString(16)}`} is outside the modelled subset`);
      }
    }
    if (nested) throw new Error('wasm-sym: missing end');
    return 'eof';
  }
}

/** bytes, signed, result type */
const LOADS: Record<number, [number, boolean, 'i32' | 'i64']> = {
  [Op.i32_load]: [4, false, 'i32'], [Op.i64_load]: [8, false, 'i64'],
  [Op.i32_load8_s]: [1, true, 'i32'], [Op.i32_load8_u]: [1, false, 'i32'], [Op.i32_load16_s]: [2, true, 'i32'], [Op.i32_load16_u]: [2, false, 'i32'],
  [Op.i64_load8_s]: [1, true, 'i64'], [Op.i64_load8_u]: [1, false, 'i64'], [Op.i64_load16_s]: [2, true, 'i64'], [Op.i64_load16_u]: [2, false, 'i64'],
  [Op.i64_load32_s]: [4, true, 'i64'], [Op.i64_load32_u]: [4, false, 'i64'],
};
const STORES: Record<number, [number, 'i32' | 'i64']> = {
  [Op.i32_store]: [4, 'i32'], [Op.i64_store]: [8, 'i64'], [Op.i32_store8]: [1, 'i32'], [Op.i32_store16]: [2, 'i32'],
  [Op.i64_store8]: [1, 'i64'], [Op.i64_store16]: [2, 'i64'], [Op.i64_store32]: [4, 'i64'],
};

/** LEB128 reader over the code bytes. */
class Reader {
  pos = 0;
  constructor(private readonly b: Uint8Array) {}
  done(): boolean { return this.pos >= this.b.length; }
  byte(): number { return this.b[this.pos++]!; }
  u32(): number {
    let r = 0, shift = 0, x: number;
    do { x = this.byte(); r |= (x & 0x7f) << shift; shift += 7; } while (x & 0x80);
    return r >>> 0;
  }
  s32(): number { return Number(BigInt.asIntN(32, this.s64())); }
  s64(): bigint {
    let r = 0n, shift = 0n, x: number;
    do { x = this.byte(); r |= BigInt(x & 0x7f) << shift; shift += 7n; } while (x & 0x80);
    if (x & 0x40) r -= 1n << shift;
    return BigInt.asIntN(64, r);
  }
}
