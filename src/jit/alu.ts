/**
 * ALU instructions as wasm: registers are i64 locals; 32-bit operations work on the low
 * halves (i32) and zero-extend the result, as the kernel does. Division and modulo follow the
 * kernel's rules: x / 0 = 0, x % 0 = x (32-bit: zero-extended), signed INT_MIN / -1 = INT_MIN,
 * INT_MIN % -1 = 0; shift counts are masked to the width (wasm's own shift semantics).
 */
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { I32, I64, Op, type Code } from './wasm/index.js';

/** Local indices the ALU code needs: the eleven registers and two i64 / two i32 scratch locals. */
export interface AluLocals {
  reg: readonly number[];
  t64: number;
  u64: number;
  t32: number;
  u32: number;
}

const BIN64: Record<number, number> = {
  [op.BPF_ADD]: Op.i64_add, [op.BPF_SUB]: Op.i64_sub, [op.BPF_MUL]: Op.i64_mul,
  [op.BPF_OR]: Op.i64_or, [op.BPF_AND]: Op.i64_and, [op.BPF_XOR]: Op.i64_xor,
  [op.BPF_LSH]: Op.i64_shl, [op.BPF_RSH]: Op.i64_shr_u, [op.BPF_ARSH]: Op.i64_shr_s,
};
const BIN32: Record<number, number> = {
  [op.BPF_ADD]: Op.i32_add, [op.BPF_SUB]: Op.i32_sub, [op.BPF_MUL]: Op.i32_mul,
  [op.BPF_OR]: Op.i32_or, [op.BPF_AND]: Op.i32_and, [op.BPF_XOR]: Op.i32_xor,
  [op.BPF_LSH]: Op.i32_shl, [op.BPF_RSH]: Op.i32_shr_u, [op.BPF_ARSH]: Op.i32_shr_s,
};

/** Emits one ALU/ALU64 instruction. */
export function emitAlu(c: Code, ins: Insn, L: AluLocals): void {
  const is64 = op.cls(ins.code) === op.BPF_ALU64;
  const o = op.aluOp(ins.code);
  const x = op.srcBit(ins.code) === op.BPF_X;
  const dst = L.reg[ins.dst]!;
  const src = L.reg[ins.src]!;
  if (o === op.BPF_END) return emitEnd(c, ins, dst, is64, L.t32);
  if (is64) {
    // Pushes the 64-bit source operand (register, or sign-extended immediate).
    const pushSrc = () => { if (x) c.get(src); else c.i64s(ins.imm); };
    switch (o) {
      case op.BPF_MOV:
        if (!x) { c.i64s(ins.imm).set(dst); return; }
        c.get(src);
        if (ins.off === 8) c.op(Op.i64_extend8_s);
        else if (ins.off === 16) c.op(Op.i64_extend16_s);
        else if (ins.off === 32) c.op(Op.i64_extend32_s);
        c.set(dst);
        return;
      case op.BPF_NEG: c.i64s(0).get(dst).op(Op.i64_sub).set(dst); return;
      case op.BPF_DIV: case op.BPF_MOD: return emitDivMod64(c, ins, dst, src, x, L);
      default: {
        const w = BIN64[o];
        if (w === undefined) throw new Error(`jit: unhandled ALU64 op 0x${o.toString(16)}`);
        if (!x && (o === op.BPF_LSH || o === op.BPF_RSH || o === op.BPF_ARSH)) {
          c.get(dst).i64s(ins.imm & 63).op(w).set(dst);
          return;
        }
        c.get(dst);
        pushSrc();
        c.op(w).set(dst);
      }
    }
    return;
  }
  // 32-bit: operate on i32 halves, zero-extend into dst.
  const pushSrc32 = () => { if (x) c.get(src).op(Op.i32_wrap_i64); else c.i32(ins.imm); };
  switch (o) {
    case op.BPF_MOV:
      if (!x) { c.i64(BigInt(ins.imm >>> 0)).set(dst); return; }
      c.get(src).op(Op.i32_wrap_i64);
      if (ins.off === 8) c.op(Op.i32_extend8_s);
      else if (ins.off === 16) c.op(Op.i32_extend16_s);
      c.op(Op.i64_extend_i32_u).set(dst);
      return;
    case op.BPF_NEG: c.i32(0).get(dst).op(Op.i32_wrap_i64).op(Op.i32_sub).op(Op.i64_extend_i32_u).set(dst); return;
    case op.BPF_DIV: case op.BPF_MOD: return emitDivMod32(c, ins, dst, src, x, L);
    default: {
      const w = BIN32[o];
      if (w === undefined) throw new Error(`jit: unhandled ALU op 0x${o.toString(16)}`);
      c.get(dst).op(Op.i32_wrap_i64);
      pushSrc32();
      c.op(w).op(Op.i64_extend_i32_u).set(dst);
    }
  }
}

function emitDivMod64(c: Code, ins: Insn, dst: number, src: number, x: boolean, L: AluLocals): void {
  const isDiv = op.aluOp(ins.code) === op.BPF_DIV;
  const signed = ins.off === 1;
  if (!x) {
    // Immediate divisor: the special cases are decided at compile time.
    const k = BigInt(ins.imm);
    if (k === 0n) { if (isDiv) c.i64s(0).set(dst); return; }
    if (signed && k === -1n) {
      if (isDiv) c.i64s(0).get(dst).op(Op.i64_sub).set(dst);
      else c.i64s(0).set(dst);
      return;
    }
    c.get(dst).i64(k).op(isDiv ? (signed ? Op.i64_div_s : Op.i64_div_u) : (signed ? Op.i64_rem_s : Op.i64_rem_u)).set(dst);
    return;
  }
  // Register divisor: dst = src == 0 ? (div ? 0 : dst) : (signed && src == -1 ? (div ? -dst : 0) : dst op src)
  c.get(src).tee(L.t64).op(Op.i64_eqz);
  c.ifT(I64);
  if (isDiv) c.i64s(0); else c.get(dst);
  c.else_();
  if (signed) {
    c.get(L.t64).i64s(-1).op(Op.i64_eq);
    c.ifT(I64);
    if (isDiv) c.i64s(0).get(dst).op(Op.i64_sub); else c.i64s(0);
    c.else_();
    c.get(dst).get(L.t64).op(isDiv ? Op.i64_div_s : Op.i64_rem_s);
    c.end();
  } else {
    c.get(dst).get(L.t64).op(isDiv ? Op.i64_div_u : Op.i64_rem_u);
  }
  c.end();
  c.set(dst);
}

function emitDivMod32(c: Code, ins: Insn, dst: number, src: number, x: boolean, L: AluLocals): void {
  const isDiv = op.aluOp(ins.code) === op.BPF_DIV;
  const signed = ins.off === 1;
  const wrapDst = () => c.get(dst).op(Op.i32_wrap_i64);
  if (!x) {
    const k = ins.imm | 0;
    if (k === 0) {
      if (isDiv) c.i64s(0).set(dst);
      else wrapDst().op(Op.i64_extend_i32_u).set(dst);
      return;
    }
    if (signed && k === -1) {
      if (isDiv) { c.i32(0); wrapDst().op(Op.i32_sub).op(Op.i64_extend_i32_u).set(dst); }
      else c.i64s(0).set(dst);
      return;
    }
    wrapDst().i32(k).op(isDiv ? (signed ? Op.i32_div_s : Op.i32_div_u) : (signed ? Op.i32_rem_s : Op.i32_rem_u));
    c.op(Op.i64_extend_i32_u).set(dst);
    return;
  }
  c.get(src).op(Op.i32_wrap_i64).tee(L.t32).op(Op.i32_eqz);
  c.ifT(I32);
  if (isDiv) c.i32(0); else wrapDst();
  c.else_();
  if (signed) {
    c.get(L.t32).i32(-1).op(Op.i32_eq);
    c.ifT(I32);
    if (isDiv) { c.i32(0); wrapDst().op(Op.i32_sub); } else c.i32(0);
    c.else_();
    wrapDst().get(L.t32).op(isDiv ? Op.i32_div_s : Op.i32_rem_s);
    c.end();
  } else {
    wrapDst().get(L.t32).op(isDiv ? Op.i32_div_u : Op.i32_rem_u);
  }
  c.end();
  c.op(Op.i64_extend_i32_u).set(dst);
}

/** Byte swaps: BPF_ALU|END|TO_LE truncates (little-endian host), TO_BE and ALU64 bswap swap. */
function emitEnd(c: Code, ins: Insn, dst: number, is64: boolean, t32: number): void {
  const swap = is64 || op.srcBit(ins.code) === op.BPF_TO_BE;
  const width = ins.imm;
  if (!swap) {
    if (width === 16) c.get(dst).i64s(0xffff).op(Op.i64_and).set(dst);
    else if (width === 32) c.get(dst).op(Op.i32_wrap_i64).op(Op.i64_extend_i32_u).set(dst);
    return;
  }
  if (width === 16) {
    // ((x & 0xff) << 8) | ((x >> 8) & 0xff), on the low 32 bits.
    c.get(dst).op(Op.i32_wrap_i64);
    c.i32(0xff).op(Op.i32_and).i32(8).op(Op.i32_shl);
    c.get(dst).op(Op.i32_wrap_i64).i32(8).op(Op.i32_shr_u).i32(0xff).op(Op.i32_and);
    c.op(Op.i32_or).op(Op.i64_extend_i32_u).set(dst);
  } else if (width === 32) {
    c.get(dst).op(Op.i32_wrap_i64);
    emitBswap32(c, t32);
    c.op(Op.i64_extend_i32_u).set(dst);
  } else {
    // Swap bytes within 16-bit lanes, then 16-bit lanes within 32-bit, then the two halves.
    const m8 = 0x00ff00ff00ff00ffn, m16 = 0x0000ffff0000ffffn;
    c.get(dst).i64s(8).op(Op.i64_shr_u).i64(m8).op(Op.i64_and);
    c.get(dst).i64(m8).op(Op.i64_and).i64s(8).op(Op.i64_shl).op(Op.i64_or).set(dst);
    c.get(dst).i64s(16).op(Op.i64_shr_u).i64(m16).op(Op.i64_and);
    c.get(dst).i64(m16).op(Op.i64_and).i64s(16).op(Op.i64_shl).op(Op.i64_or);
    c.i64s(32).op(Op.i64_rotl).set(dst);
  }
}

/** bswap32 of the i32 on the stack via scratch local t: rotr(x & 0x00ff00ff, 8) | (rotl(x, 8) & 0x00ff00ff). */
export function emitBswap32(c: Code, t: number): void {
  c.tee(t).i32(0x00ff00ff).op(Op.i32_and).i32(8).op(Op.i32_rotr);
  c.get(t).i32(8).op(Op.i32_rotl).i32(0x00ff00ff).op(Op.i32_and);
  c.op(Op.i32_or);
}
