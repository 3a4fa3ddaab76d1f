/**
 * ALU instructions (the kernel's check_alu_op, adjust_reg_min_max_vals and
 * adjust_ptr_min_max_vals): scalar arithmetic through the scalar domain, and the rules for
 * what may be done to a pointer.
 */
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import type { AluOp } from './domains/index.js';
import type { Env } from './env.js';
import { MAYBE_NULL, PTR_UNTRUSTED, T, base, isPacketPtr, isPointer, typeName } from './reg-types.js';
import { markPrecise } from './precision.js';
import { cloneState, copyReg, newReg, type Reg } from './state.js';
import { idBeforeMov, linkAfterAlu } from './linked-scalars.js';
import { addrSpaceCast, arenaArithmetic } from './arena.js';

/** bpf_alu_string: operator spellings in messages. */
const ALU_STR = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian'];
const ALU_OPS_BY_CODE: Record<number, AluOp> = {
  [op.BPF_ADD]: 'add', [op.BPF_SUB]: 'sub', [op.BPF_MUL]: 'mul', [op.BPF_DIV]: 'div', [op.BPF_OR]: 'or',
  [op.BPF_AND]: 'and', [op.BPF_LSH]: 'lsh', [op.BPF_RSH]: 'rsh', [op.BPF_MOD]: 'mod', [op.BPF_XOR]: 'xor', [op.BPF_ARSH]: 'arsh',
};
/** The operations by aluOp >> 4 (a dense array: the code's object has sparse integer keys). */
const ALU_OPS: readonly (AluOp | undefined)[] = Array.from({ length: 16 }, (_, i) => ALU_OPS_BY_CODE[i << 4]);

/** BPF_MAX_VAR_OFF: the largest variable offset a pointer may carry. */
export const MAX_VAR_OFF = 1n << 29n;

/** A scratch register for immediates (reused; never stored). */
let immReg: Reg | null = null;

/** BPF_NEG and BPF_END (byte swaps). */
function aluNegEnd(env: Env, ins: Insn, o: number, alu64: boolean): void {
  const d = env.dom;
  const dst = env.readReg(ins.dst);
  env.writeReg(ins.dst);
  if (dst.type !== T.SCALAR) { env.usesAddress = true; env.markUnknown(dst); return; }
  if (o === op.BPF_NEG) env.markScalar(dst, d.neg(!alu64, dst.v));
  else {
    const kind = alu64 ? 'bswap' : op.srcBit(ins.code) === op.BPF_TO_BE ? 'be' : 'le';
    // scalar_byte_swap keeps the scalar id only for le64 (a no-op on a little-endian host).
    const id = kind === 'le' && ins.imm === 64 ? dst.id : 0;
    env.markScalar(dst, d.end(dst.v, ins.imm as 16 | 32 | 64, kind));
    dst.id = id;
  }
}

/** BPF_MOV: a register or immediate copy, sign-extending (movsx) or an address-space cast. */
function aluMov(env: Env, ins: Insn, alu64: boolean, x: boolean): void {
  const d = env.dom;
  if (x && alu64 && ins.off === op.BPF_ADDR_SPACE_CAST) { addrSpaceCast(env, ins); return; }
  if (x) {
    const src = env.readReg(ins.src);
    const dst = env.writeReg(ins.dst);
    if (alu64) {
      if (ins.off === 0) {
        // r1 = r2: copies share an id so that bounds learnt on one apply to the other.
        idBeforeMov(env, src);
        copyReg(dst, src);
      } else if (src.type === T.SCALAR) {
        const noSext = d.umax(src.v) < 1n << BigInt(ins.off - 1);
        if (noSext) idBeforeMov(env, src);
        const id = noSext ? src.id : 0;
        env.markScalar(dst, d.movsx(src.v, ins.off as 8 | 16 | 32, false));
        dst.id = id;
      } else { env.usesAddress = true; env.markUnknown(dst); }
    } else {
      // w1 = w2 (or movsx): a pointer's low half is a meaningless scalar (privileged), but
      // still zero-extended into 64 bits (mark_reg_unknown, then zext_32_to_64).
      if (src.type !== T.SCALAR) { env.usesAddress = true; env.markScalar(dst, d.mov32(env.UNKNOWN)); }
      else if (ins.off === 0) {
        const keep = d.umax(src.v) <= 0xffffffffn;
        if (keep) idBeforeMov(env, src);
        const id = keep ? src.id : 0;
        env.markScalar(dst, d.mov32(src.v));
        dst.id = id;
      } else {
        // w1 = (s8/s16) w2: as for r1 = (sN) r2, a value that no sign extension changes stays linked.
        const noSext = d.umax(src.v) < 1n << BigInt(ins.off - 1);
        if (noSext) idBeforeMov(env, src);
        const id = noSext ? src.id : 0;
        env.markScalar(dst, d.movsx(src.v, ins.off as 8 | 16, true));
        dst.id = id;
      }
    }
  } else {
    const dst = env.writeReg(ins.dst);
    env.markKnownInt(dst, alu64 ? ins.imm : ins.imm >>> 0);
  }
}

/** An ALU operation with a pointer operand (one or both). */
function pointerAlu(env: Env, ins: Insn, o: number, alu64: boolean, x: boolean, dst: Reg, src: Reg): void {
  if (dst.type !== T.SCALAR && src.type !== T.SCALAR) {
    // Two pointers: only ptr - ptr is allowed (privileged), giving an unknown scalar. Its
    // value is a distance between addresses unless both point into one region.
    if (o === op.BPF_SUB) { if (!sameRegion(dst, src)) env.usesAddress = true; env.markUnknown(dst); return; }
    env.reject('pointer_arithmetic', `R${ins.dst} pointer ${ALU_STR[o >> 4]} pointer prohibited`);
  }
  // The pointer's new offset depends on the scalar's value.
  if (dst.type !== T.SCALAR) { if (x) markPrecise(env, 1 << ins.src); adjustPtr(env, ins, o, alu64, dst, src, dst); }
  else { markPrecise(env, 1 << ins.dst); adjustPtr(env, ins, o, alu64, src, dst, dst); }
}

/**
 * check_alu_op. NEG/END, MOV and pointer arithmetic are functions of their own: V8 optimises a
 * small function sooner (and again sooner after a deoptimisation).
 */
export function checkAlu(env: Env, ins: Insn): void {
  const o = op.aluOp(ins.code);
  const alu64 = op.cls(ins.code) === op.BPF_ALU64;
  const x = op.srcBit(ins.code) === op.BPF_X;
  const d = env.dom;

  if (o === op.BPF_NEG || o === op.BPF_END) { aluNegEnd(env, ins, o, alu64); return; }
  if (o === op.BPF_MOV) { aluMov(env, ins, alu64, x); return; }

  const aop = ALU_OPS[o >> 4];
  if (aop === undefined) env.reject('invalid_insn', `invalid BPF_ALU opcode ${(o >> 4).toString(16)}`);
  let src: Reg;
  if (x) src = env.readReg(ins.src);
  else {
    if ((o === op.BPF_DIV || o === op.BPF_MOD) && ins.imm === 0) env.reject('div_by_zero', 'div by zero');
    if ((o === op.BPF_LSH || o === op.BPF_RSH || o === op.BPF_ARSH) && (ins.imm < 0 || ins.imm >= (alu64 ? 64 : 32)))
      env.reject('invalid_shift', `invalid shift ${ins.imm}`);
    immReg ??= newReg(env.UNKNOWN);
    env.markKnownInt(immReg, ins.imm);
    src = immReg;
  }
  const dst = env.readReg(ins.dst);
  env.writeReg(ins.dst);
  if (arenaArithmetic(dst)) return;
  const signedDiv = (o === op.BPF_DIV || o === op.BPF_MOD) && ins.off === 1;

  if (dst.type !== T.SCALAR || src.type !== T.SCALAR) { pointerAlu(env, ins, o, alu64, x, dst, src); return; }
  if ((o === op.BPF_AND || o === op.BPF_OR) && d.isConst(src.v)) maybeForkScalars(env, ins.dst, dst);
  const name: AluOp = signedDiv ? (o === op.BPF_DIV ? 'sdiv' : 'smod') : aop;
  const oldId = dst.id;
  const oldUmax = oldId ? d.umax(dst.v) : 0n;
  const srcV = src.v;
  const v = d.alu(name, !alu64, dst.v, srcV);
  env.markScalar(dst, v);
  // rX += rX / rX -= rX: no link (the stable fix d7f14173c0d5 in the running 6.18.44; the kernel
  // had read the delta from the register the operation had already changed)
  const linkable = !(x && ins.src === ins.dst);
  linkAfterAlu(env, dst, oldId, oldUmax, linkable && o === op.BPF_ADD, linkable && o === op.BPF_SUB, !alu64, srcV);
}

/** Two pointers whose distance does not depend on where anything is placed: into one packet, or one stack frame. */
function sameRegion(a: Reg, b: Reg): boolean {
  const pkt = (t: number): boolean => t === T.PTR_TO_PACKET || t === T.PTR_TO_PACKET_META || t === T.PTR_TO_PACKET_END;
  if (pkt(a.type) && pkt(b.type)) return true;
  return a.type === T.PTR_TO_STACK && b.type === T.PTR_TO_STACK && a.frameno === b.frameno;
}

/**
 * maybe_fork_scalars: a scalar in [-1, 0] (64-bit, else its s32 half) ANDed or ORed with a
 * constant is the "gzip trick" clang makes of a select; the kernel explores it as two states,
 * this one with -1 and a pushed one that redoes the instruction with 0.
 */
function maybeForkScalars(env: Env, dstno: number, dst: Reg): void {
  const d = env.dom;
  let alu32: boolean;
  // (the maxima first: almost no operand has one of 0, and each query makes a bigint)
  if (d.smax(dst.v) === 0n && d.smin(dst.v) === -1n) alu32 = false;
  else if (d.s32max(dst.v) === 0n && d.s32min(dst.v) === -1n) alu32 = true;
  else return;
  const branch = cloneState(env.cur);
  branch.pc = env.pc;
  branch.prevPc = env.pc;
  const other = branch.frames[branch.frames.length - 1]!.regs[dstno]!;
  if (alu32) {
    other.v = d.known32(other.v, 0n);
    dst.v = d.known32(dst.v, -1n);
  } else {
    env.markKnown(other, 0n);
    env.markKnown(dst, -1n);
  }
  env.pushBranch(branch);
}

/** adjustPtr's copy of the pointer operand. */
let ptrCopy: Reg | null = null;

/** adjust_ptr_min_max_vals: pointer +/- scalar; `out` may alias either operand. */
/** The pointer types adjust_ptr_min_max_vals allows arithmetic on (a map pointer or flow keys only by a constant), or its refusal. */
function checkPtrArithmeticType(env: Env, dstno: number, o: number, ptr: Reg, known: boolean, smin: bigint): void {
  switch (base(ptr.type)) {
    case T.PTR_TO_CTX: case T.PTR_TO_MAP_VALUE: case T.PTR_TO_MAP_KEY: case T.PTR_TO_STACK:
    case T.PTR_TO_PACKET_META: case T.PTR_TO_PACKET: case T.PTR_TO_TP_BUFFER: case T.PTR_TO_BTF_ID:
    case T.PTR_TO_MEM: case T.PTR_TO_BUF: case T.PTR_TO_FUNC: case T.CONST_PTR_TO_DYNPTR:
      break;
    case T.PTR_TO_FLOW_KEYS:
      if (known) break;
      env.reject('pointer_arithmetic', `R${dstno} pointer arithmetic on ${typeName(ptr.type)} prohibited`);
    // eslint-disable-next-line no-fallthrough
    case T.CONST_PTR_TO_MAP:
      if (known && smin === 0n && o === op.BPF_ADD) break;
      env.reject('pointer_arithmetic', `R${dstno} pointer arithmetic on ${typeName(ptr.type)} prohibited`);
    // eslint-disable-next-line no-fallthrough
    default:
      env.reject('pointer_arithmetic', `R${dstno} pointer arithmetic on ${typeName(ptr.type)} prohibited`);
  }
}

function adjustPtr(env: Env, ins: Insn, o: number, alu64: boolean, ptr: Reg, off: Reg, out: Reg): void {
  const d = env.dom;
  const dstno = ins.dst;
  const offV = off.v; // read before `out` (which may alias `off`) is overwritten
  const known = d.isConst(offV);
  const smin = d.smin(off.v);
  const smax = d.smax(off.v);
  const umin = d.umin(off.v);
  const umax = d.umax(off.v);
  if ((known && (smin !== smax || umin !== umax)) || smin > smax || umin > umax) { env.markUnknown(out); return; }
  if (!alu64) {
    if (o === op.BPF_SUB) { env.usesAddress = true; env.markUnknown(out); return; }
    env.reject('pointer_arithmetic', `R${dstno} 32-bit pointer arithmetic prohibited`);
  }
  if (ptr.type & MAYBE_NULL)
    env.reject('pointer_arithmetic', `R${dstno} pointer arithmetic on ${typeName(ptr.type)} prohibited, null-check it first`);
  // Untrusted memory is read with probe loads, so its offset is not tracked: the result is the
  // pointer as it was (a `scalar += pointer` copies it).
  if (base(ptr.type) === T.PTR_TO_MEM && ptr.type & PTR_UNTRUSTED) { if (out !== ptr) copyReg(out, ptr); return; }
  checkPtrArithmeticType(env, dstno, o, ptr, known, smin);
  checkSaneOffset(env, off, ptr.type);
  checkSaneOffset(env, ptr, ptr.type);
  // Work on a copy of the pointer so that `out` may alias the offset register (one register
  // reused: nothing keeps it past this call).
  const p = (ptrCopy ??= newReg(env.UNKNOWN));
  copyReg(p, ptr);
  const ptrIsPkt = isPacketPtr(p.type);
  switch (o) {
    case op.BPF_ADD: {
      if (known && fitsS32(p.off + Number(smin))) {
        copyReg(out, p);
        out.off = (p.off + Number(smin)) | 0; // within s32: | 0 keeps it a small integer (see state.ts)
        break;
      }
      copyReg(out, p);
      out.v = d.ptrAdd(p.v, offV);
      if (ptrIsPkt) { out.id = env.newId(); out.range = 0; }
      break;
    }
    case op.BPF_SUB: {
      if (out === off && off !== ptr) env.reject('pointer_arithmetic', `R${dstno} tried to subtract pointer from scalar`);
      if (p.type === T.PTR_TO_STACK) env.reject('pointer_arithmetic', `R${dstno} subtraction from stack pointer prohibited`);
      if (known && fitsS32(p.off - Number(smin))) {
        copyReg(out, p);
        out.off = (p.off - Number(smin)) | 0;
        break;
      }
      copyReg(out, p);
      out.v = d.ptrSub(p.v, offV);
      if (ptrIsPkt) { out.id = env.newId(); if (smin < 0n) out.range = 0; }
      break;
    }
    case op.BPF_AND: case op.BPF_OR: case op.BPF_XOR:
      env.reject('pointer_arithmetic', `R${dstno} bitwise operator ${ALU_STR[o >> 4]} on pointer prohibited`);
    // eslint-disable-next-line no-fallthrough
    default:
      env.reject('pointer_arithmetic', `R${dstno} pointer arithmetic with ${ALU_STR[o >> 4]} operator prohibited`);
  }
  // A packet pointer's AT/BEYOND_PKT_END mark (a negative range) does not survive arithmetic, not
  // even `+= 0`; a proven range does (6.18.44, probed: r2 += 0 / r2 += r1 with r1 == 0 / r2 -= 0).
  if (ptrIsPkt && out.range < 0) out.range = 0;
  checkSaneOffset(env, out, p.type);
}

const fitsS32 = (n: number): boolean => n >= -0x80000000 && n <= 0x7fffffff;

const S64_MIN = -(1n << 63n);
const NEG_MAX_VAR_OFF = -MAX_VAR_OFF;

/** check_reg_sane_offset (of `r`, read only). */
function checkSaneOffset(env: Env, r: Reg, type: number): void {
  const d = env.dom;
  const c = d.constValue(r.v);
  if (c !== undefined) {
    const val = BigInt.asIntN(64, c);
    if (val >= MAX_VAR_OFF || val <= NEG_MAX_VAR_OFF) env.reject('pointer_arithmetic', `math between ${typeName(type)} pointer and ${val} is not allowed`);
  }
  if (isPointer(r.type) && (r.off >= 1 << 29 || r.off <= -(1 << 29))) env.reject('pointer_arithmetic', `${typeName(type)} pointer offset ${r.off} is not allowed`);
  const smin = d.smin(r.v);
  if (smin === S64_MIN) env.reject('pointer_arithmetic', `math between ${typeName(type)} pointer and register with unbounded min value is not allowed`);
  if (smin >= MAX_VAR_OFF || smin <= NEG_MAX_VAR_OFF) env.reject('pointer_arithmetic', `value ${smin} makes ${typeName(type)} pointer be out of bounds`);
}
