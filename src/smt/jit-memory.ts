/**
 * Proof obligations for the JIT's loads and stores through a pointer register (map values,
 * packets, ctx, ring-buffer records, stacks reached through a copy of r10): the templates that
 * look the pointer's region up in the linear-memory table and either access linear memory
 * directly (the fast path, with the bounds, alignment and writability checks in checked mode) or
 * call the runtime's slow path. The JIT's own emitters (emitLoad/emitStore) write each template;
 * wasm-sym.ts executes the bytes, including the import call.
 *
 * The VM's semantics is the one rule every engine shares, `Memory.check` followed by the read or
 * write (runtime/memory.ts, runtime/access.ts: memSlowLoad/memSlowStore), transcribed here over
 * Z3: the pointer's tag and live region, the guard-byte case of a pointer moved below 0 or past
 * 4 GiB, the window, strict alignment, writability, and ctx regions served by the ctx handler
 * (uninterpreted: both engines call the same handler). Memory is the wasm linear memory (regions
 * whose bytes live there: stacks, packet) plus the other regions' bytes (map values, records),
 * indexed by (region, offset). The region table the fast path reads is constrained by what
 * runtime.ts writeEntry/bind/sync keep in it (premises, below).
 *
 * The import the slow path calls is modelled as what runtime.ts does with its arguments: in
 * checked mode memSlowLoad/memSlowStore, i.e. the VM's rule applied to (hi, lo) + off as passed
 * (so a template passing a wrong offset, size or sign is refuted); in trusted mode the import's
 * own direct access for regions outside linear memory (a DataView read at lo + off when inside
 * the region's bytes), else the VM's rule.
 *
 * Proven, for every register value (all 2^64, base register = destination too), every memory and
 * table content satisfying the premises, at the offsets of MEM_OFFSETS:
 *  - checked mode: the template faults exactly when the VM faults (the fast path is taken only
 *    for accesses the VM allows; the slow path applies the VM's rule, which names the fault);
 *  - both modes, when the VM does not fault (trusted mode: the verifier proved it): the loaded
 *    value equals the VM's (zero/sign-extended) on the fast and the slow path; the template's own
 *    store writes the value's low bytes at the linear address of the VM's target byte (the region
 *    lives in linear memory), and a load template stores nothing; no other register changes;
 *  - whatever the VM does: the slow path is called with the instruction's pc, pointer halves,
 *    offset, size and sign (loads) or value halves (stores), so it applies the VM's rule to the
 *    VM's operands; no wasm trap, and every wasm memory access lies inside the memory (the
 *    template's own data access: by its facts, below, and the lemma jit.ptr.inside).
 */
import { E_ALIGN, E_BASE, E_END, E_START, E_WEND, SCRATCH, STACKS, TABLE, TABLE_CAP } from '../jit/layout.js';
import type { MemCtx } from '../jit/memory.js';
import { insn, type Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { PTR_TAG, PTR_TAG_MASK } from '../runtime/memory.js';
import { JIT_EMITTERS, SIZES, jitFrame, jitObligation, type Emitters } from './jit-templates.js';
import type { Obligation } from './obligation.js';
import { WasmSymbolic, type ImportModel, type SymAccess, type SymState } from './wasm-sym.js';
import type { Z3Ctx, ZB, ZT } from './z3-algebra.js';

type Arr = SymState['mem'];
type Mode = 'checked' | 'trusted';

/** The instruction offsets proven: none (no add emitted), small negative, the extremes (the base register = dst form at -3). */
export const MEM_OFFSETS = [0, -3, 0x7fff, -0x8000] as const;

const IMPORT = { load: 0, store: 1, atomic: 2 } as const;

/** The Memory's per-region arrays (runtime/memory.ts) as functions of the 16-bit region id, and the two byte stores. */
export interface World {
  Z: Z3Ctx;
  count: ZT;
  /** Linear memory's size in bytes (64-bit, at most 2^32). */
  memSize: ZT;
  start: (id: ZT) => ZT;
  end: (id: ZT) => ZT;
  base: (id: ZT) => ZT;
  len: (id: ZT) => ZT;
  strict: (id: ZT) => ZB;
  writable: (id: ZT) => ZB;
  ctx: (id: ZT) => ZB;
  linear: (id: ZT) => ZB;
  /** The ctx handler (one per program type): result and fault of a load / fault of a store. */
  ctxLoad: (a: ZT, size: number, signed: boolean) => { value: ZT; fault: ZB };
  ctxStoreFault: (a: ZT, size: number, v: ZT) => ZB;
}

export function world(Z: Z3Ctx): World {
  const bv = (n: number) => Z.BitVec.sort(n);
  const f = (name: string, range: ReturnType<typeof bv> | ReturnType<typeof Z.Bool.sort>) => {
    const d = Z.Function.declare(`mem_${name}`, bv(16), range);
    return (id: ZT) => d.call(id);
  };
  const cl = new Map<string, ReturnType<typeof Z.Function.declare>>();
  const uf = (name: string, dom: number[], range: ReturnType<typeof bv> | ReturnType<typeof Z.Bool.sort>) => {
    let d = cl.get(name);
    if (!d) { d = Z.Function.declare(name, ...(dom.map(bv) as [ReturnType<typeof bv>]), range); cl.set(name, d); }
    return d;
  };
  return {
    Z,
    count: Z.BitVec.const('mem_count', 32),
    memSize: Z.BitVec.const('mem_size', 64),
    start: f('start', bv(32)) as (id: ZT) => ZT,
    end: f('end', bv(32)) as (id: ZT) => ZT,
    base: f('base', bv(32)) as (id: ZT) => ZT,
    len: f('len', bv(32)) as (id: ZT) => ZT,
    strict: f('strict', Z.Bool.sort()) as (id: ZT) => ZB,
    writable: f('writable', Z.Bool.sort()) as (id: ZT) => ZB,
    ctx: f('ctx', Z.Bool.sort()) as (id: ZT) => ZB,
    linear: f('linear', Z.Bool.sort()) as (id: ZT) => ZB,
    ctxLoad: (a, size, signed) => ({
      value: uf(`ctx_load${size}${signed ? 's' : ''}`, [64], bv(64)).call(a) as ZT,
      fault: uf(`ctx_load${size}${signed ? 's' : ''}_fault`, [64], Z.Bool.sort()).call(a) as ZB,
    }),
    ctxStoreFault: (a, size, v) => uf(`ctx_store${size}_fault`, [64, 64], Z.Bool.sort()).call(a, v) as ZB,
  };
}

/** The byte stores: linear memory (32-bit address) and the other regions' bytes ((id, offset) as 48 bits). */
export interface Bytes { lin: Arr; ext: Arr }

export const c32 = (Z: Z3Ctx, n: number | bigint): ZT => Z.BitVec.val(BigInt.asUintN(32, BigInt(n)), 32);
export const c64 = (Z: Z3Ctx, n: number | bigint): ZT => Z.BitVec.val(BigInt.asUintN(64, BigInt(n)), 64);

/** Where byte `i` of region `id` lives: linear memory at base + i, else the other regions' store. */
function byteOf(W: World, m: Bytes, id: ZT, i: ZT): ZT {
  const Z = W.Z;
  return Z.If(W.linear(id), m.lin.select(W.base(id).add(i)), m.ext.select(Z.Concat(id, i))) as unknown as ZT;
}

export function writeBytes(W: World, m: Bytes, id: ZT, at: ZT, size: number, v: ZT): Bytes {
  const Z = W.Z;
  let lin = m.lin, ext = m.ext;
  for (let k = 0; k < size; k++) {
    const i = at.add(c32(Z, k));
    const b = v.extract(8 * k + 7, 8 * k);
    lin = lin.store(W.base(id).add(i), b) as Arr;
    ext = ext.store(Z.Concat(id, i), b) as Arr;
  }
  return { lin: Z.If(W.linear(id), lin, m.lin) as unknown as Arr, ext: Z.If(W.linear(id), m.ext, ext) as unknown as Arr };
}

/** `size` bytes of region `id` at `at`, little-endian, zero- or sign-extended to 64 bits. */
export function readBytes(W: World, m: Bytes, id: ZT, at: ZT, size: number, signed: boolean): ZT {
  const Z = W.Z;
  const parts: ZT[] = [];
  for (let k = size - 1; k >= 0; k--) parts.push(byteOf(W, m, id, at.add(c32(Z, k))));
  const v = parts.length === 1 ? parts[0]! : Z.Concat(...parts) as ZT;
  return size === 8 ? v : signed ? v.signExt(64 - 8 * size) : v.zeroExt(64 - 8 * size);
}

/** What every VM address satisfies (lo + off ± 2^32: |addr| < 2^34), so that addr + size cannot wrap. */
function addressRange(W: World, addr: ZT): ZB {
  return W.Z.And(addr.sge(c64(W.Z, -(1n << 34n))), addr.sle(c64(W.Z, 1n << 34n)));
}

/** Memory.check's window test: start <= addr and addr + size <= end (64-bit, signed). */
function windowHolds(W: World, id: ZT, addr: ZT, size: number): ZB {
  return W.Z.And(W.start(id).signExt(32).sle(addr), addr.add(c64(W.Z, size)).sle(W.end(id).signExt(32)));
}

/** Memory.check (and memSlowLoad's ctx dispatch) for (hi, lo) + off: where the access goes and whether it is allowed. */
export function vmCheck(W: World, hi: ZT, lo: ZT, off: ZT, size: number, write: boolean): { ctx: ZB; ok: ZB; id: ZT; addr: ZT; a: ZT } {
  const Z = W.Z;
  const masked = hi.and(c32(Z, PTR_TAG_MASK));
  const id = hi.extract(23, 8);
  const live = Z.And(Z.Not(id.eq(Z.BitVec.val(0, 16))), id.zeroExt(16).ult(W.count));
  const valid = Z.And(masked.eq(c32(Z, PTR_TAG)), live);
  const a = lo.zeroExt(32).add(off.signExt(32));
  const below = masked.eq(c32(Z, (PTR_TAG & 0xffffff00) | 0x7f));
  const above = masked.eq(c32(Z, (PTR_TAG & 0xffffff00) | 0x81));
  // regionOf fails, but the guard byte shows a pointer whose offset left [0, 2^32): the real offset
  const guarded = Z.And(Z.Not(valid), Z.Or(below, above), live);
  const addr = Z.If(Z.And(guarded, below), a.sub(c64(Z, 1n << 32n)), Z.If(Z.And(guarded, above), a.add(c64(Z, 1n << 32n)), a)) as ZT;
  const ctx = Z.And(valid, W.ctx(id));
  const inWindow = windowHolds(W, id, addr, size);
  const aligned = size === 1 ? Z.Bool.val(true) : Z.Or(Z.Not(W.strict(id)), addr.and(c64(Z, size - 1)).eq(c64(Z, 0)));
  const ok = Z.And(Z.Not(ctx), Z.Or(valid, guarded), inWindow, aligned, write ? W.writable(id) : Z.Bool.val(true));
  return { ctx, ok, id, addr, a };
}

/** The facts of the lemma split about a template's own data access (see ptrTemplate). */
export interface Placement {
  /** The VM's linear address of the access's first byte (32-bit): what the access's address is replaced by. */
  addr: ZT;
  /**
   * Negated facts, each proven where `a` is reached under `pre`: the region lives in linear
   * memory and is not ctx, the VM allows the access, the VM's address is in (-2^34, 2^34) (so
   * jit.ptr.inside bounds it), and the access's address is the VM's linear address.
   */
  facts(pre: ZB, a: SymAccess): ZB[];
  /** `t` with the VM's address substituted for each access's (exact once the facts are proven where the accesses are reached). */
  substitute(t: ZT | ZB, accesses: readonly SymAccess[]): ZT;
}

/** Placement of the accesses to (hi, lo) + off that the VM checks as `k` and allows when `allowed`. */
export function placement(W: World, k: ReturnType<typeof vmCheck>, allowed: ZB): Placement {
  const Z = W.Z;
  const addr = W.base(k.id).add(k.addr.extract(31, 0));
  const want = W.base(k.id).zeroExt(32).add(k.addr.and(c64(Z, 0xffffffff)));
  return {
    addr,
    facts: (pre, a) => [W.linear(k.id), Z.Not(k.ctx), allowed, addressRange(W, k.addr), a.addr.zeroExt(32).add(c64(Z, a.offset)).eq(want)]
      .map((e) => Z.And(pre, a.guard, Z.Not(e))),
    substitute: (t, accesses) => {
      const pairs: [ZT, ZT][] = [];
      for (const a of accesses) if (!pairs.some(([from]) => from.eqIdentity(a.addr))) pairs.push([a.addr, addr.sub(c32(Z, a.offset))]);
      return Z.substitute(t, ...pairs) as ZT;
    },
  };
}

/** The VM's load (memSlowLoad's meaning): fault, value. */
function vmLoad(W: World, m: Bytes, hi: ZT, lo: ZT, off: ZT, size: number, signed: boolean): { fault: ZB; value: ZT } {
  const Z = W.Z;
  const k = vmCheck(W, hi, lo, off, size, false);
  const h = W.ctxLoad(k.a, size, signed);
  return { fault: Z.If(k.ctx, h.fault, Z.Not(k.ok)) as ZB, value: Z.If(k.ctx, h.value, readBytes(W, m, k.id, k.addr.extract(31, 0), size, signed)) as ZT };
}

/**
 * The VM's store (memSlowStore's meaning): fault, the memory after as store chains (what the slow
 * path leaves) and as functions of one address (what the goals compare: smaller formulas).
 */
function vmStore(W: World, m: Bytes, hi: ZT, lo: ZT, off: ZT, size: number, v: ZT) {
  const Z = W.Z;
  const k = vmCheck(W, hi, lo, off, size, true);
  const at = k.addr.extract(31, 0);
  const w = writeBytes(W, m, k.id, at, size, v);
  const doIt = Z.And(Z.Not(k.ctx), k.ok);
  // byte d of v (d < size) as a choice among the bytes, not a shift by a symbolic amount (cheaper)
  const byte = (d: ZT): ZT => {
    let b = v.extract(7, 0);
    for (let i = 1; i < size; i++) b = Z.If(d.eq(c32(Z, i)), v.extract(8 * i + 7, 8 * i), b) as ZT;
    return b;
  };
  return {
    fault: Z.If(k.ctx, W.ctxStoreFault(k.a, size, v), Z.Not(k.ok)) as ZB,
    after: { lin: Z.If(doIt, w.lin, m.lin) as unknown as Arr, ext: Z.If(doIt, w.ext, m.ext) as unknown as Arr },
    linAt: (p: ZT): ZT => {
      const d = p.sub(W.base(k.id).add(at));
      return Z.If(Z.And(doIt, W.linear(k.id), d.ult(c32(Z, size))), byte(d), m.lin.select(p)) as unknown as ZT;
    },
    extAt: (q: ZT): ZT => {
      const d = q.extract(31, 0).sub(at);
      return Z.If(Z.And(doIt, Z.Not(W.linear(k.id)), q.extract(47, 32).eq(k.id), d.ult(c32(Z, size))), byte(d), m.ext.select(q)) as unknown as ZT;
    },
  };
}

export function numeral(Z: Z3Ctx, x: ZT, what: string): number {
  if (!Z.isBitVecVal(x)) throw new Error(`jit-memory: the slow path's ${what} is not a constant`);
  return Number(BigInt.asIntN(32, x.value()));
}

/**
 * The imports the templates call, as runtime.ts implements them. `ext` is the other regions'
 * bytes (outside the wasm state: updated per path through the call's path condition).
 */
function importModels(W: World, mode: Mode, ext: { now: Arr }): Map<number, ImportModel> {
  const Z = W.Z;
  const I32 = 'i32' as const;
  // trusted mode: runtime.ts reads a region outside linear memory through its DataView at lo + off
  // (id < count, not ctx, inside the view's bytes), else applies the VM's rule. (Without the
  // "inside the view" test, a pointer moved below the region and back (guard byte 0x7f) made the
  // DataView throw a RangeError: the proof found it.)
  const trustedDirect = (hi: ZT, lo: ZT, off: ZT, size: number) => {
    const id = hi.extract(23, 8);
    const at = lo.zeroExt(32).add(off.signExt(32));
    const inView = Z.And(c64(Z, 0).sle(at), at.add(c64(Z, size)).sle(W.len(id).zeroExt(32)));
    const direct = mode === 'trusted' ? Z.And(id.zeroExt(16).ult(W.count), Z.Not(W.ctx(id)), inView) : Z.Bool.val(false);
    return { id, at: at.extract(31, 0), direct };
  };
  const load: ImportModel = {
    params: [I32, I32, I32, I32, I32, I32], results: [],
    effect([, hi, lo, off, size, signed], s) {
      const n = numeral(Z, size!, 'size'), sg = numeral(Z, signed!, 'sign') !== 0;
      const m = { lin: s.mem, ext: ext.now };
      const vm = vmLoad(W, m, hi!, lo!, off!, n, sg);
      const t = trustedDirect(hi!, lo!, off!, n);
      const value = Z.If(t.direct, readBytes(W, m, t.id, t.at, n, sg), vm.value) as ZT;
      let mem = s.mem;
      for (let k = 0; k < 8; k++) mem = mem.store(c32(Z, SCRATCH + k), value.extract(8 * k + 7, 8 * k)) as Arr;
      s.mem = mem;
      return { results: [], fault: Z.If(t.direct, Z.Bool.val(false), vm.fault) as ZB };
    },
  };
  const store: ImportModel = {
    params: [I32, I32, I32, I32, I32, I32, I32], results: [],
    effect([, hi, lo, off, size, vlo, vhi], s) {
      const n = numeral(Z, size!, 'size');
      const m = { lin: s.mem, ext: ext.now };
      const v = Z.Concat(vhi!, vlo!) as ZT;
      const vm = vmStore(W, m, hi!, lo!, off!, n, v);
      const t = trustedDirect(hi!, lo!, off!, n);
      const direct = writeBytes(W, m, t.id, t.at, n, v);
      const after = { lin: Z.If(t.direct, direct.lin, vm.after.lin) as unknown as Arr, ext: Z.If(t.direct, direct.ext, vm.after.ext) as unknown as Arr };
      s.mem = after.lin;
      ext.now = Z.If(s.live, after.ext, ext.now) as unknown as Arr;
      return { results: [], fault: Z.If(t.direct, Z.Bool.val(false), vm.fault) as ZB };
    },
  };
  return new Map([[IMPORT.load, load], [IMPORT.store, store]]);
}

/** 4 bytes of linear memory at a constant-plus-symbolic address, little-endian. */
function read32(Z: Z3Ctx, lin: Arr, addr: ZT): ZT {
  return Z.Concat(...[3, 2, 1, 0].map((k) => lin.select(addr.add(c32(Z, k))) as unknown as ZT)) as ZT;
}

/**
 * What runtime.ts keeps true of the region table and the Memory (premises): the entry of a live
 * region in linear memory (not ctx) holds its base, window, write end (0 when read-only) and
 * alignment mask (writeEntry); a live region elsewhere or ctx has base -1 and an empty window; the
 * entry of region 0 or of an id past the live regions has an empty window (reset or never
 * written: zeros). Regions: 0 <= start, end <= length < 2^31 (offsets index the bytes); a region
 * in linear memory lies past the table (STACKS or later) and inside the memory; ctx regions have
 * the empty window Memory.push gives them.
 */
export function premises(W: World, lin: Arr, hi: ZT): ZB {
  const Z = W.Z;
  const id = hi.extract(23, 8);
  const id32 = id.zeroExt(16);
  const ent = (f: number) => read32(Z, lin, c32(Z, TABLE + f).add(id32.shl(c32(Z, 5))));
  const live = Z.And(Z.Not(id.eq(Z.BitVec.val(0, 16))), id32.ult(W.count));
  const written = Z.And(live, W.linear(id), Z.Not(W.ctx(id)));
  const zero = c32(Z, 0);
  const entry = Z.Implies(id32.ult(c32(Z, TABLE_CAP)), Z.And(
    Z.Implies(written, Z.And(ent(E_BASE).eq(W.base(id)), ent(E_START).eq(W.start(id)), ent(E_END).eq(W.end(id)),
      ent(E_WEND).eq(Z.If(W.writable(id), W.end(id), zero) as ZT), ent(E_ALIGN).eq(Z.If(W.strict(id), c32(Z, -1), zero) as ZT))),
    Z.Implies(Z.And(live, Z.Not(written)), Z.And(ent(E_BASE).eq(c32(Z, -1)), ent(E_START).eq(c32(Z, 1)), ent(E_END).eq(zero), ent(E_WEND).eq(zero), ent(E_ALIGN).eq(zero))),
    Z.Implies(Z.Not(live), Z.And(ent(E_END).sle(ent(E_START)), ent(E_WEND).sle(ent(E_START)))),
  ));
  return Z.And(entry, regionPremises(W, id));
}

/** The premises about region `id` and the memory alone (no table): see premises. */
function regionPremises(W: World, id: ZT): ZB {
  const Z = W.Z;
  const zero = c32(Z, 0);
  return Z.And(
    zero.sle(W.start(id)), W.end(id).sle(W.len(id)), zero.sle(W.len(id)),
    Z.Implies(W.linear(id), Z.And(W.base(id).uge(c32(Z, STACKS)), W.base(id).zeroExt(32).add(W.len(id).zeroExt(32)).ule(W.memSize))),
    Z.Implies(W.ctx(id), Z.And(W.start(id).eq(c32(Z, 1)), W.end(id).eq(zero))),
    W.memSize.ule(c64(Z, 1n << 32n)), c64(Z, STACKS).ule(W.memSize),
  );
}

/**
 * The lemma `jit.ptr.inside`, proven once and assumed by every load/store template: an access of
 * `size` bytes the VM allows (its window check) to a region in linear memory lies inside the
 * memory, base + offset + size <= memory size. The templates prove that their data access is
 * at the VM's address, the region linear and the access allowed (the facts of `place`); this
 * closes their bound. (It is the same statement for every template, offset and mode, and each
 * instance cost Z3 1-3 s of 64-bit adder reasoning: 150 instances.)
 */
function insideLemma(): Obligation {
  return jitObligation('jit.ptr.inside', (Z) => {
    const W = world(Z);
    const id = Z.BitVec.const('id', 16) as ZT;
    const addr = Z.BitVec.const('addr', 64) as ZT;
    return ([1, 2, 4, 8] as const).map((size) => Z.And(regionPremises(W, id), W.linear(id), addressRange(W, addr), windowHolds(W, id, addr, size),
      W.base(id).zeroExt(32).add(addr.and(c64(Z, 0xffffffff))).add(c64(Z, size)).ugt(W.memSize)));
  });
}

/** One load/store form through a pointer register, in one mode, at every offset of MEM_OFFSETS. */
function ptrTemplate(kind: 'ldx' | 'ldsx' | 'stx' | 'st', size: 1 | 2 | 4 | 8, mode: Mode, E: Emitters): Obligation {
  return jitObligation(`jit.${kind}${size * 8}.ptr.${mode}`, (Z) => {
    const W = world(Z);
    const goals: ZB[] = [];
    const load = kind === 'ldx' || kind === 'ldsx';
    const forms: Array<{ ins: Insn; base: number }> = [];
    for (const off of MEM_OFFSETS) {
      if (load) {
        const code = op.BPF_LDX | (kind === 'ldsx' ? op.BPF_MEMSX : op.BPF_MEM) | SIZES[size]!;
        forms.push({ ins: insn(code, 3, 1, off), base: 1 });
        if (off === MEM_OFFSETS[1]) forms.push({ ins: insn(code, 2, 2, off), base: 2 });
      } else if (kind === 'stx') {
        forms.push({ ins: insn(op.BPF_STX | op.BPF_MEM | SIZES[size]!, 1, 4, off), base: 1 });
        if (off === MEM_OFFSETS[1]) forms.push({ ins: insn(op.BPF_STX | op.BPF_MEM | SIZES[size]!, 2, 2, off), base: 2 });
      } else {
        for (const imm of off === MEM_OFFSETS[1] ? [-0x1234567, 0x7fffffff] : [-0x1234567])
          forms.push({ ins: insn(op.BPF_ST | op.BPF_MEM | SIZES[size]!, 1, 0, off, imm), base: 1 });
      }
    }
    const pc = 17;
    for (const { ins, base } of forms) {
      const f = jitFrame();
      const m: MemCtx = { ...f.m, mode, fpStatic: true, slots: new Map(), imports: IMPORT };
      if (load) E.load(m, ins, pc); else E.store(m, ins, pc);
      const regs = f.L.reg.map((_, i) => Z.BitVec.const(`r${i}`, 64));
      const lin0 = Z.Array.const('lin', Z.BitVec.sort(32), Z.BitVec.sort(8)) as unknown as Arr;
      const ext0 = Z.Array.const('ext', Z.BitVec.sort(48), Z.BitVec.sort(8)) as unknown as Arr;
      const ext = { now: ext0 };
      const ws = new WasmSymbolic(Z, importModels(W, mode, ext));
      const s = ws.run(f.c.w.view(), ws.state(new Map(f.L.reg.map((l, i) => [l, { type: 'i64', v: regs[i]! }])), lin0), (i) => f.types[i]!);
      const after = (i: number) => s.locals.get(f.L.reg[i]!)!.v;
      const ptr = regs[base]!;
      const hi = ptr.extract(63, 32), lo = ptr.extract(31, 0), off = c32(Z, ins.off);
      const P = premises(W, lin0, hi);
      const m0 = { lin: lin0, ext: ext0 };
      const vm = load ? vmLoad(W, m0, hi, lo, off, size, kind === 'ldsx') : null;
      const value = kind === 'st' ? c64(Z, ins.imm) : regs[ins.src]!;
      const vs = load ? null : vmStore(W, m0, hi, lo, off, size, value);
      const vmFault = vm ? vm.fault : vs!.fault;
      // checked: the same faults; trusted: the verifier proved the access, so the VM does not fault
      const pre = mode === 'trusted' ? Z.And(P, Z.Not(vmFault)) : P;
      const runs = Z.And(pre, Z.Not(vmFault));
      goals.push(Z.And(pre, Z.Not(s.fault.eq(vmFault))));
      const dst = load ? ins.dst : -1;
      const regsKept = Z.And(...regs.map((x, i) => (i === dst ? Z.Bool.val(true) : after(i).eq(x))));
      // Where the template's own accesses go, proven first and then used (a lemma split): the
      // region lives in linear memory, is not ctx, and the access's address is the VM's linear
      // address of its first byte. The value read and the access's bound are then proven with the
      // VM's address substituted for the access's, so both sides name the same bytes and Z3 does
      // not relate two sums (table entry + pointer + offset, base + offset) byte by byte (8-byte
      // loads: ~10 s per form before, ~0.1 s after). Sound whatever access is chosen: under the
      // premises the path reaches it (proven), the facts hold there (proven), so substituting
      // equals is exact; a wrong choice only makes a fact unprovable.
      const k = vmCheck(W, hi, lo, off, size, !load);
      const pl = placement(W, k, k.ok);
      const placed = new Set<SymAccess>();
      const place = (a: SymAccess): void => {
        placed.add(a);
        goals.push(...pl.facts(pre, a));
      };
      // loads: the data access is the template's only `size`-byte load at static offset 0 (the
      // address emitAccess leaves on the stack); one query per path (slow path called or not)
      const slow = Z.Or(...ws.calls.map((c) => c.guard));
      if (vm) {
        goals.push(Z.And(runs, slow, Z.Not(after(dst).eq(vm.value))));
        const data = ws.accesses.filter((a) => !a.stored && a.bytes === size && a.offset === 0);
        if (data.length === 1) {
          const a = data[0]!;
          place(a);
          goals.push(Z.And(pre, Z.Not(slow), Z.Not(a.guard)));
          const v = pl.substitute(after(dst), [a]);
          goals.push(Z.And(Z.Not(slow), a.guard, W.linear(k.id), Z.Not(k.ctx), Z.Not(v.eq(vm.value))));
        } else goals.push(Z.And(runs, Z.Not(slow), Z.Not(after(dst).eq(vm.value))));
      }
      goals.push(Z.And(runs, Z.Not(regsKept)));
      // stores: the template's own stores (the import's effect is the VM's store, given its
      // arguments) write the VM's bytes: the value's low `size` bytes at the region's linear address
      for (const a of ws.accesses) {
        if (!a.stored) continue;
        if (load) throw new Error(`${ins.code}: a load template stores to memory`);
        place(a);
        const same = a.bytes === size && a.stored.extract(8 * size - 1, 0).eq(value.extract(8 * size - 1, 0));
        goals.push(Z.And(pre, a.guard, same === false ? Z.Bool.val(true) : Z.Not(same)));
      }
      // the slow path calls the VM's rule with the instruction's pc, pointer, offset, size and sign / value
      for (const c of ws.calls) {
        const want = load ? [c32(Z, pc), hi, lo, off, c32(Z, size), c32(Z, kind === 'ldsx' ? 1 : 0)]
          : [c32(Z, pc), hi, lo, off, c32(Z, size), value.extract(31, 0), value.extract(63, 32)];
        goals.push(Z.And(pre, c.guard, Z.Not(Z.And(...want.map((w, i) => c.args[i]!.eq(w))))));
      }
      // whatever the VM does: no wasm trap, every access inside the memory
      goals.push(Z.And(pre, s.trap));
      // (a placed access of `size` bytes is inside by its facts and the lemma jit.ptr.inside)
      for (const a of ws.accesses) {
        if (!(placed.has(a) && a.bytes === size)) goals.push(Z.And(pre, a.guard, a.addr.zeroExt(32).add(c64(Z, a.offset + a.bytes)).ugt(W.memSize)));
      }
    }
    return goals;
  });
}

/** 50-85 small queries each, 3-7 s of solver time in all: still three times the run's per-attempt budget (headroom under load). */
const BUDGET_SCALE = 3;

/** Every load/store-through-a-pointer template, both modes, with the JIT's emitters or substituted ones. */
export function memoryObligations(E: Partial<Emitters> = {}): Obligation[] {
  const e: Emitters = { ...JIT_EMITTERS, ...E };
  const out: Obligation[] = [];
  for (const mode of ['checked', 'trusted'] as const) {
    for (const s of [1, 2, 4, 8] as const) out.push(ptrTemplate('ldx', s, mode, e));
    for (const s of [1, 2, 4] as const) out.push(ptrTemplate('ldsx', s, mode, e));
    for (const s of [1, 2, 4, 8] as const) out.push(ptrTemplate('stx', s, mode, e), ptrTemplate('st', s, mode, e));
  }
  return [insideLemma(), ...out.map((o) => ({ ...o, budgetScale: BUDGET_SCALE, assumes: 'jit.ptr.inside' }))];
}
