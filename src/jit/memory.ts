/**
 * Loads, stores and atomics as wasm. A pointer register holds the runtime's encoding
 * (hi = tag | region << 8, lo = offset). The generated code looks the region up in the
 * linear-memory table (layout.ts) and accesses linear memory directly when the region lives
 * there; anything else (ctx fields, map values, faults) goes to an imported slow path that
 * applies the VM's rules through the runtime's Memory, so both engines fault identically.
 *
 * checked: the table's window, write end and alignment mask are tested inline exactly as the
 *          VM's fast path does; failure means "ask the slow path" (which names the fault).
 * trusted: only the region's linear base is fetched (the verifier proved the access in
 *          bounds, as the kernel JIT assumes).
 * Frame-pointer accesses (r10 + const in a function that never writes r10) are resolved at
 * compile time in both modes: the frame's stack is at a known linear address.
 */
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { PTR_TAG, PTR_TAG_MASK, STACK_SIZE } from '../runtime/memory.js';
import { plantedJitBugs } from './planted.js';
import { E_ALIGN, E_BASE, E_END, E_START, E_WEND, SCRATCH, TABLE, TABLE_CAP } from './layout.js';
import { I32, Op, type Code } from './wasm/index.js';

export type JitMode = 'checked' | 'trusted';

/** Per-function locals and facts the memory code needs. */
export interface MemCtx {
  c: Code;
  mode: JitMode;
  reg: readonly number[];
  /** i64 scratch locals. */
  t64: number;
  a64: number;
  /** i32 scratch locals. */
  t32: number;
  e32: number;
  /** Linear address of this frame's stack bottom (i32 local). */
  sb: number;
  /** r10 is never written in this function: r10 + k is a compile-time stack address. */
  fpStatic: boolean;
  /**
   * Stack slots held in i64 locals (slot index = (512 + off) >> 3 -> local), for functions whose
   * frame pointer never escapes (trusted mode; see promoteSlots). Empty otherwise.
   */
  slots: ReadonlyMap<number, PromotedSlot>;
  imports: { load: number; store: number; atomic: number };
}

const LOAD_U = { 1: Op.i64_load8_u, 2: Op.i64_load16_u, 4: Op.i64_load32_u, 8: Op.i64_load } as const;
const LOAD_S = { 1: Op.i64_load8_s, 2: Op.i64_load16_s, 4: Op.i64_load32_s, 8: Op.i64_load } as const;
const STORE = { 1: Op.i64_store8, 2: Op.i64_store16, 4: Op.i64_store32, 8: Op.i64_store } as const;
const ALIGN = { 1: 0, 2: 1, 4: 2, 8: 3 } as const;

type Size = 1 | 2 | 4 | 8;

/** Pushes hi (i32) then lo (i32) of register local r. */
function pushHiLo(c: Code, r: number): void {
  c.get(r).i64s(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
  c.get(r).op(Op.i32_wrap_i64);
}

/** Whether r10 + off of `size` bytes is a valid, aligned stack access (the VM's checks, decided now). */
function stackOk(off: number, size: number): boolean {
  const a = STACK_SIZE + off;
  return a >= 0 && a + size <= STACK_SIZE && (a & (size - 1)) === 0;
}

/**
 * Emits the address computation for an access through register local `base` + off.
 * On the fast path leaves the linear address (i32) on the stack and continues; on the slow
 * path branches to depth `slowDepth` (relative to inside the caller's blocks) — implemented as:
 *   block $slow { <checks, br_if 0> <fast code> br 1 } <slow code>
 * so callers pass `fast` and `slow` emitters.
 */
function emitAccess(m: MemCtx, base: number, off: number, size: Size, write: boolean, atomic: boolean, fast: () => void, slow: () => void): void {
  const { c } = m;
  if (m.fpStatic && base === m.reg[10]) {
    if (stackOk(off, size)) {
      c.get(m.sb).i32(STACK_SIZE + off).op(Op.i32_add);
      fast();
    } else slow(); // the slow path names the fault exactly as the VM does
    return;
  }
  c.block(); // $done
  c.block(); // $slow
  if (m.mode === 'trusted') {
    // base of region ((v >> 40) & 0xffff), -1 when not in linear memory
    c.get(base).i64s(40).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32(0xffff).op(Op.i32_and);
    c.tee(m.e32).i32(TABLE_CAP).op(Op.i32_ge_u).brIf(0);
    c.get(m.e32).i32(5).op(Op.i32_shl).mem(Op.i32_load, 2, TABLE + E_BASE).tee(m.t32);
    c.i32(0).op(Op.i32_lt_s).brIf(0);
    c.get(m.t32).get(base).op(Op.i32_wrap_i64).op(Op.i32_add);
    if (off !== 0) c.i32(off).op(Op.i32_add);
  } else {
    // tag
    c.get(base).i64s(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64).tee(m.t32);
    c.i32(PTR_TAG_MASK | 0).op(Op.i32_and).i32(PTR_TAG | 0).op(Op.i32_ne).brIf(0);
    // region id within the table
    c.get(m.t32).i32(8).op(Op.i32_shr_u).i32(0xffff).op(Op.i32_and).tee(m.e32);
    c.i32(TABLE_CAP).op(Op.i32_ge_u).brIf(0);
    c.get(m.e32).i32(5).op(Op.i32_shl).set(m.e32);
    // a = lo + off (as a 64-bit number: may leave [0, 2^32))
    c.get(base).op(Op.i32_wrap_i64).op(Op.i64_extend_i32_u);
    if (off !== 0) c.i64s(off).op(Op.i64_add);
    c.tee(m.a64);
    c.get(m.e32).mem(Op.i32_load, 2, TABLE + E_START).op(Op.i64_extend_i32_s).op(plantedJitBugs.windowStartUnsigned ? Op.i64_lt_u : Op.i64_lt_s).brIf(0);
    c.get(m.a64).i64s(size).op(Op.i64_add);
    c.get(m.e32).mem(Op.i32_load, 2, TABLE + (write && !plantedJitBugs.storesIgnoreReadOnly ? E_WEND : E_END)).op(Op.i64_extend_i32_s).op(Op.i64_gt_s).brIf(0);
    if (size > 1 && !plantedJitBugs.noAlignCheck) {
      c.get(m.a64).op(Op.i32_wrap_i64).i32(size - 1).op(Op.i32_and);
      if (!atomic) c.get(m.e32).mem(Op.i32_load, 2, TABLE + E_ALIGN).op(Op.i32_and);
      c.brIf(0);
    }
    c.get(m.e32).mem(Op.i32_load, 2, TABLE + E_BASE).get(m.a64).op(Op.i32_wrap_i64).op(Op.i32_add);
  }
  fast();
  c.br(1);
  c.end();
  slow();
  c.end();
}

const MASK: Record<number, bigint> = { 1: 0xffn, 2: 0xffffn, 4: 0xffffffffn, 8: -1n };

/**
 * A stack slot held in an i64 local. A "uniform" slot is only ever accessed with one size at
 * one position: its local holds that field zero-extended (stores just truncate, loads are free);
 * otherwise the local holds the slot's 8 bytes and sub-word accesses shift and mask.
 */
export interface PromotedSlot { local: number; uniform: { shift: number; size: number } | null }

/** The local holding the promoted slot of r10 + off, with the byte position inside it; null when not promoted. */
function slotOf(m: MemCtx, base: number, off: number, size: number): { local: number; shift: number; uniform: boolean } | null {
  if (!m.slots.size || base !== m.reg[10] || !stackOk(off, size)) return null;
  const a = STACK_SIZE + off;
  const p = m.slots.get(a >> 3);
  if (p === undefined || (a & 7) + size > 8) return null;
  return { local: p.local, shift: 8 * (a & 7), uniform: p.uniform !== null };
}

/** Pushes the value of `size` bytes of a promoted slot (zero- or sign-extended to 64 bits). */
function slotLoad(c: Code, s: { local: number; shift: number; uniform: boolean }, size: number, signed: boolean): void {
  c.get(s.local);
  if (size === 8) return;
  if (s.uniform) {
    if (signed) c.op(size === 1 ? Op.i64_extend8_s : size === 2 ? Op.i64_extend16_s : Op.i64_extend32_s);
    return;
  }
  if (signed) {
    const up = 64 - 8 * size - s.shift;
    if (up) c.i64s(up).op(Op.i64_shl);
    c.i64s(64 - 8 * size).op(Op.i64_shr_s);
    return;
  }
  if (s.shift) c.i64s(s.shift).op(Op.i64_shr_u);
  if (size === 4) c.op(Op.i32_wrap_i64).op(Op.i64_extend_i32_u);
  else c.i64(MASK[size]!).op(Op.i64_and);
}

/** slot = slot with `size` bytes at its position replaced by the low bytes of the i64 in local v. */
function slotStore(c: Code, s: { local: number; shift: number; uniform: boolean }, size: number, v: () => void): void {
  if (size === 8) { v(); c.set(s.local); return; }
  if (s.uniform) {
    v();
    if (size === 4) c.op(Op.i32_wrap_i64).op(Op.i64_extend_i32_u);
    else c.i64(MASK[size]!).op(Op.i64_and);
    c.set(s.local);
    return;
  }
  const mask = MASK[size]! << BigInt(s.shift);
  c.get(s.local).i64(BigInt.asIntN(64, ~mask)).op(Op.i64_and);
  v();
  if (size === 4 && s.shift === 0) c.op(Op.i32_wrap_i64).op(Op.i64_extend_i32_u);
  else c.i64(MASK[size]!).op(Op.i64_and);
  if (s.shift) c.i64s(s.shift).op(Op.i64_shl);
  c.op(Op.i64_or).set(s.local);
}

/** LDX / LDSX: dst = *(size *)(src + off). */
export function emitLoad(m: MemCtx, ins: Insn, pc: number): void {
  const { c, reg } = m;
  const size = op.sizeBytes(op.size(ins.code)) as Size;
  const signed = op.mode(ins.code) === op.BPF_MEMSX;
  const src = reg[ins.src]!, dst = reg[ins.dst]!;
  const slot = slotOf(m, src, ins.off, size);
  if (slot) { slotLoad(c, slot, size, signed); c.set(dst); return; }
  emitAccess(m, src, ins.off, size, false, false,
    () => { c.mem(signed ? LOAD_S[size] : LOAD_U[size], ALIGN[size], 0).set(dst); },
    () => {
      c.i32(pc);
      pushHiLo(c, src);
      c.i32(plantedJitBugs.slowPathWithoutOffset ? 0 : ins.off).i32(size).i32(signed ? 1 : 0).call(m.imports.load);
      c.i32(0).mem(Op.i64_load, 3, SCRATCH).set(dst);
    });
}

/** ST / STX: *(size *)(dst + off) = src or imm. */
export function emitStore(m: MemCtx, ins: Insn, pc: number): void {
  const { c, reg } = m;
  const size = op.sizeBytes(op.size(ins.code)) as Size;
  const isImm = op.cls(ins.code) === op.BPF_ST;
  const dst = reg[ins.dst]!, src = reg[ins.src]!;
  const pushValue = () => { if (isImm) c.i64s(ins.imm); else c.get(src); };
  const slot = slotOf(m, dst, ins.off, size);
  if (slot) { slotStore(c, slot, size, pushValue); return; }
  emitAccess(m, dst, ins.off, size, true, false,
    () => { pushValue(); c.mem(STORE[size], ALIGN[size], 0); },
    () => {
      c.i32(pc);
      pushHiLo(c, dst);
      c.i32(ins.off).i32(size);
      if (isImm) c.i32(ins.imm).i32(ins.imm >> 31);
      else { c.get(src).op(Op.i32_wrap_i64); c.get(src).i64s(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64); }
      c.call(m.imports.store);
    });
}

/** BPF_ATOMIC: add/or/and/xor (optionally fetch), xchg, cmpxchg; 32 or 64 bits. */
export function emitAtomic(m: MemCtx, ins: Insn, pc: number): void {
  const { c, reg } = m;
  const is64 = op.size(ins.code) === op.BPF_DW;
  const size: Size = is64 ? 8 : 4;
  const kind = ins.imm;
  const base = kind & ~op.BPF_FETCH;
  const fetch = (kind & op.BPF_FETCH) !== 0;
  const dst = reg[ins.dst]!, src = reg[ins.src]!, r0 = reg[0]!;
  const { t64, a64, e32 } = m;
  const w = base === op.BPF_ADD ? Op.i64_add : base === op.BPF_OR ? Op.i64_or : base === op.BPF_AND ? Op.i64_and : Op.i64_xor;
  /** fetch: src = the old value (t64; the operand is in a64). */
  const fetchResult = () => {
    if (!fetch) return;
    if (plantedJitBugs.atomicFetchReturnsNew && kind !== op.BPF_XCHG) {
      c.get(t64).get(a64).op(w);
      if (!is64) c.op(Op.i32_wrap_i64).op(Op.i64_extend_i32_u);
      c.set(src);
    } else c.get(t64).set(src);
  };
  const slot = slotOf(m, dst, ins.off, size);
  if (slot) {
    // the same read-modify-write on a promoted slot: old -> t64, operand -> a64
    slotLoad(c, slot, size, false);
    c.set(t64);
    c.get(src).set(a64);
    if (kind === op.BPF_CMPXCHG) {
      if (is64 && !plantedJitBugs.cmpxchg64ComparesLow32) c.get(r0).get(t64).op(Op.i64_eq);
      else c.get(r0).op(Op.i32_wrap_i64).get(t64).op(Op.i32_wrap_i64).op(Op.i32_eq);
      c.if_();
      slotStore(c, slot, size, () => c.get(a64));
      c.end();
      c.get(t64).set(r0);
      return;
    }
    if (kind === op.BPF_XCHG) slotStore(c, slot, size, () => c.get(a64));
    else slotStore(c, slot, size, () => c.get(t64).get(a64).op(w));
    fetchResult();
    return;
  }
  const fast = () => {
    // linear address on the stack -> e32; old value -> t64 (zero-extended for 32-bit)
    c.set(e32);
    c.get(e32).mem(is64 ? Op.i64_load : Op.i64_load32_u, ALIGN[size], 0).set(t64);
    // the operand, read before any register changes (src may be r0 or dst)
    c.get(src).set(a64);
    if (kind === op.BPF_CMPXCHG) {
      if (is64 && !plantedJitBugs.cmpxchg64ComparesLow32) c.get(r0).get(t64).op(Op.i64_eq);
      else c.get(r0).op(Op.i32_wrap_i64).get(t64).op(Op.i32_wrap_i64).op(Op.i32_eq);
      c.if_();
      c.get(e32).get(a64).mem(STORE[size], ALIGN[size], 0);
      c.end();
      c.get(t64).set(r0);
      return;
    }
    c.get(e32);
    if (kind === op.BPF_XCHG) c.get(a64);
    else c.get(t64).get(a64).op(w);
    c.mem(STORE[size], ALIGN[size], 0);
    fetchResult();
  };
  const slow = () => {
    c.i32(pc);
    pushHiLo(c, dst);
    c.i32(ins.off).i32(kind).i32(is64 ? 1 : 0);
    c.get(src).op(Op.i32_wrap_i64); c.get(src).i64s(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
    c.get(r0).op(Op.i32_wrap_i64); c.get(r0).i64s(32).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
    c.call(m.imports.atomic);
    if (kind === op.BPF_CMPXCHG) c.i32(0).mem(Op.i64_load, 3, SCRATCH + 8).set(r0);
    else if (fetch) c.i32(0).mem(Op.i64_load, 3, SCRATCH).set(src);
  };
  emitAccess(m, dst, ins.off, size, true, true, fast, slow);
}

/**
 * LD_ABS / LD_IND: r0 = the big-endian packet value at imm (+ the source register's low word),
 * read by the `ldAbs` import (runtime/access.ts ldAbsLoad, which the VM calls too: the offset's
 * SKF_NET_OFF/SKF_LL_OFF bases, the byte order and the bounds live there); a short packet ends
 * the run with r0 = 0 (the import throws).
 */
export function emitLdAbs(c: Code, ins: Insn, pc: number, reg: readonly number[], ldAbs: number): void {
  const ind = op.mode(ins.code) === op.BPF_IND;
  const size = op.sizeBytes(op.size(ins.code));
  c.i32(pc);
  if (ind) c.get(reg[ins.src]!).op(Op.i32_wrap_i64); else c.i32(0);
  c.i32(ins.imm).i32(size).i32(ind ? 1 : 0).call(ldAbs).op(plantedJitBugs.ldAbsSignExtends ? Op.i64_extend_i32_s : Op.i64_extend_i32_u).set(reg[0]!);
}

export { I32 };

/**
 * Stack slots to keep in locals: in trusted mode, when r10 is only ever a load/store base at
 * constant offsets (it is never copied, compared, stored or passed on), the frame is private to
 * this function's code, so each 8-byte slot touched only by accesses inside it can live in a
 * register, as a compiler would allocate it. Returns the slot indices.
 */
export function promotableSlots(insns: readonly Insn[], start: number, end: number): Array<{ slot: number; uniform: { shift: number; size: number } | null }> {
  const touched = new Map<number, { shift: number; size: number } | null>();
  const spanning = new Set<number>();
  for (let pc = start; pc < end; pc++) {
    const ins = insns[pc]!;
    if (ins.code === op.BPF_LD_IMM64) { if (ins.dst === 10) return []; pc++; continue; }
    const c = op.cls(ins.code);
    let base = -1;
    if (c === op.BPF_LDX) { if (ins.dst === 10) return []; base = ins.src; }
    else if (c === op.BPF_ST) base = ins.dst;
    else if (c === op.BPF_STX) { if (ins.src === 10) return []; base = ins.dst; }
    else if (c === op.BPF_ALU || c === op.BPF_ALU64) { if (ins.dst === 10 || (op.srcBit(ins.code) === op.BPF_X && ins.src === 10)) return []; continue; }
    else if (c === op.BPF_JMP || c === op.BPF_JMP32) {
      if (op.jmpOp(ins.code) === op.BPF_CALL || op.jmpOp(ins.code) === op.BPF_EXIT || op.jmpOp(ins.code) === op.BPF_JA) continue;
      if (ins.dst === 10 || (op.srcBit(ins.code) === op.BPF_X && ins.src === 10)) return [];
      continue;
    } else if (c === op.BPF_LD) { if (op.mode(ins.code) === op.BPF_IND && ins.src === 10) return []; continue; }
    if (base !== 10) continue;
    const size = op.sizeBytes(op.size(ins.code));
    if (!stackOk(ins.off, size)) continue; // faults: take the memory path
    const a = STACK_SIZE + ins.off;
    const field = { shift: 8 * (a & 7), size };
    const seen = touched.get(a >> 3);
    const same = seen !== undefined && seen !== null && seen.shift === field.shift && seen.size === field.size;
    touched.set(a >> 3, seen === undefined || same ? field : null);
    if ((a & 7) + size > 8) { spanning.add(a >> 3); spanning.add((a + size - 1) >> 3); }
  }
  return [...touched].filter(([s]) => !spanning.has(s)).sort((x, y) => x[0] - y[0])
    .map(([slot, f]) => ({ slot, uniform: f && f.size < 8 ? f : null }));
}
