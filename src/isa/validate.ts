/**
 * Structural validation of single instructions (RFC 9669 encodings, the kernel's
 * check_* rules for reserved fields). Semantic checks (reads of uninitialised registers,
 * writes to r10, reachability) are the verifier's job, not this module's.
 *
 * Register fields are 4 bits (r0..r15); only r0..r10 exist. checkInsn leaves them alone: the
 * kernel judges a register where check_reg_arg meets it, during exploration ("R15 is invalid"),
 * so an instruction naming r11..r15 in dead code loads. invalidRegister says which one an
 * instruction uses, for tools that run programs without the verifier.
 */
import * as op from './opcodes.js';
import type { Insn } from './insn.js';

/** A register field naming no register (r11..r15) that an instruction's operation uses. */
export interface InvalidRegister {
  field: 'dst' | 'src';
  regno: number;
}

/**
 * The first register above r10 that `ins` reads or writes, in the order the kernel's
 * check_reg_arg meets them (source before destination, except a conditional jump, which checks
 * its destination first), or null. Fields the operation does not use (a K-form's src, a call's
 * dst, ld_imm64's src, which is its pseudo kind) are reserved fields, not registers.
 */
export function invalidRegister(ins: Insn): InvalidRegister | null {
  const { code, dst, src } = ins;
  if (dst < op.MAX_BPF_REG && src < op.MAX_BPF_REG) return null;
  const c = op.cls(code);
  const x = op.srcBit(code) === op.BPF_X;
  let usesSrc = false, usesDst = false, dstFirst = false;
  switch (c) {
    case op.BPF_ALU:
    case op.BPF_ALU64: {
      const o = op.aluOp(code);
      usesDst = true;
      usesSrc = x && o !== op.BPF_NEG && o !== op.BPF_END;
      break;
    }
    case op.BPF_JMP:
    case op.BPF_JMP32: {
      const o = op.jmpOp(code);
      if (o === op.BPF_JA || o === op.BPF_CALL || o === op.BPF_EXIT || o === op.BPF_JCOND) return null;
      usesDst = true;
      usesSrc = x;
      dstFirst = true;
      break;
    }
    case op.BPF_LD:
      if (code === op.BPF_LD_IMM64) usesDst = true;
      else usesSrc = op.mode(code) === op.BPF_IND;
      break;
    case op.BPF_ST:
      usesDst = true;
      break;
    default: // LDX, STX (memory and atomic)
      usesSrc = usesDst = true;
  }
  const badDst = usesDst && dst >= op.MAX_BPF_REG, badSrc = usesSrc && src >= op.MAX_BPF_REG;
  if (badDst && (dstFirst || !badSrc)) return { field: 'dst', regno: dst };
  return badSrc ? { field: 'src', regno: src } : null;
}

const bad = (kind: string, reason: string): { kind: string; reason: string } => ({ kind, reason });
const unknownOpcode = (code: number): { kind: string; reason: string } => bad('unknown_opcode', `unknown opcode 0x${code.toString(16).padStart(2, '0')}`);
const movReserved = (): { kind: string; reason: string } => bad('reserved_field', 'BPF_MOV uses reserved fields');

/**
 * Returns null when `ins` is a well-formed instruction, else a short reason. Register numbers
 * are not judged here (invalidRegister).
 */
export function checkInsn(ins: Insn): { kind: string; reason: string } | null {
  const { code, dst, src, off, imm } = ins;
  const c = op.cls(code);
  // Module-level helpers, not closures or eager results: this runs for every instruction of every program.

  switch (c) {
    case op.BPF_ALU:
    case op.BPF_ALU64: {
      const o = op.aluOp(code);
      const x = op.srcBit(code) === op.BPF_X;
      if (o > op.BPF_END) return unknownOpcode(code);
      if (o === op.BPF_END) {
        if (c === op.BPF_ALU64 && x) return unknownOpcode(code);
        if (src !== 0 || off !== 0) return bad('reserved_field', 'BPF_END uses reserved fields');
        if (imm !== 16 && imm !== 32 && imm !== 64) return bad('reserved_field', 'BPF_END uses reserved fields'); // a width other than 16/32/64
        return null;
      }
      if (o === op.BPF_NEG) {
        if (x || src !== 0 || off !== 0 || imm !== 0) return bad('reserved_field', 'BPF_NEG uses reserved fields');
        return null;
      }
      if (o === op.BPF_MOV) {
        // check_alu_op names every field problem of a move "BPF_MOV"; movsx: register source
        // only, the 32-bit form sign-extends 8/16 bits, the 64-bit form 8/16/32.
        if (!x) return src !== 0 || off !== 0 ? movReserved() : null;
        // addr_space_cast (ALU64 MOV X, off 1) carries the address spaces in imm; the verifier checks them.
        if (c === op.BPF_ALU64 && off === op.BPF_ADDR_SPACE_CAST) return null;
        if (imm !== 0) return movReserved();
        return off === 0 || off === 8 || off === 16 || (off === 32 && c === op.BPF_ALU64) ? null : movReserved();
      }
      if (!x && src !== 0) return bad('reserved_field', 'BPF_ALU uses reserved fields');
      if (x && imm !== 0) return bad('reserved_field', 'BPF_ALU uses reserved fields');
      if (o === op.BPF_DIV || o === op.BPF_MOD) {
        if (off !== 0 && off !== 1) return bad('reserved_field', 'BPF_ALU uses reserved fields');
        return null;
      }
      if (off !== 0) return bad('reserved_field', 'BPF_ALU uses reserved fields');
      return null;
    }
    case op.BPF_JMP:
    case op.BPF_JMP32: {
      const o = op.jmpOp(code);
      const x = op.srcBit(code) === op.BPF_X;
      if (o === op.BPF_JCOND) {
        // may_goto: the kernel's check_jmp_fields
        if (code !== (op.BPF_JMP | op.BPF_JCOND) || src !== op.BPF_MAY_GOTO || dst !== 0 || imm !== 0) return bad('reserved_field', `invalid may_goto imm ${imm}`);
        return null;
      }
      if (o > op.BPF_JSLE) return unknownOpcode(code);
      if (o === op.BPF_JA) {
        if (x || src !== 0 || dst !== 0) return bad('reserved_field', 'BPF_JA uses reserved fields');
        if (c === op.BPF_JMP && imm !== 0) return bad('reserved_field', 'BPF_JA uses reserved fields');
        if (c === op.BPF_JMP32 && off !== 0) return bad('reserved_field', 'BPF_JA uses reserved fields');
        return null;
      }
      if (o === op.BPF_CALL) {
        if (c === op.BPF_JMP32 || x) return unknownOpcode(code);
        if (off !== 0 || dst !== 0) return bad('reserved_field', 'BPF_CALL uses reserved fields');
        if (src !== 0 && src !== op.BPF_PSEUDO_CALL && src !== op.BPF_PSEUDO_KFUNC_CALL)
          return bad('reserved_field', 'BPF_CALL uses reserved fields');
        return null;
      }
      if (o === op.BPF_EXIT) {
        if (c === op.BPF_JMP32 || x) return unknownOpcode(code);
        if (src !== 0 || dst !== 0 || off !== 0 || imm !== 0) return bad('reserved_field', 'BPF_EXIT uses reserved fields');
        return null;
      }
      if (!x && src !== 0) return bad('reserved_field', 'BPF_JMP/JMP32 uses reserved fields');
      if (x && imm !== 0) return bad('reserved_field', 'BPF_JMP/JMP32 uses reserved fields');
      return null;
    }
    case op.BPF_LD: {
      const m = op.mode(code);
      if (code === op.BPF_LD_IMM64) {
        if (off !== 0 || src > op.BPF_PSEUDO_MAP_IDX_VALUE) return bad('reserved_field', 'invalid BPF_LD_IMM insn');
        return null;
      }
      if ((m === op.BPF_ABS || m === op.BPF_IND) && op.size(code) !== op.BPF_DW) {
        if (dst !== 0 || off !== 0 || (m === op.BPF_ABS && src !== 0))
          return bad('reserved_field', 'BPF_LD_[ABS|IND] uses reserved fields');
        return null;
      }
      return unknownOpcode(code);
    }
    case op.BPF_LDX: {
      const m = op.mode(code);
      if (m === op.BPF_MEM) { if (imm !== 0) return bad('reserved_field', 'BPF_LDX uses reserved fields'); return null; }
      if (m === op.BPF_MEMSX && op.size(code) !== op.BPF_DW) {
        if (imm !== 0) return bad('reserved_field', 'BPF_LDX uses reserved fields');
        return null;
      }
      return unknownOpcode(code);
    }
    case op.BPF_ST: {
      if (op.mode(code) !== op.BPF_MEM) return unknownOpcode(code);
      if (src !== 0) return bad('reserved_field', 'BPF_ST uses reserved fields');
      return null;
    }
    case op.BPF_STX: {
      const m = op.mode(code);
      if (m === op.BPF_MEM) { if (imm !== 0) return bad('reserved_field', 'BPF_STX uses reserved fields'); return null; }
      if (m === op.BPF_ATOMIC) {
        // All four sizes are in the kernel's instruction table (6.15 added 8/16-bit ones for
        // load-acquire/store-release); check_atomic judges the operation, then its size.
        const sz = op.size(code);
        const a = imm;
        if (a === op.BPF_LOAD_ACQ || a === op.BPF_STORE_REL) return null;
        const ok = a === op.BPF_ADD || a === op.BPF_OR || a === op.BPF_AND || a === op.BPF_XOR ||
          a === (op.BPF_ADD | op.BPF_FETCH) || a === (op.BPF_OR | op.BPF_FETCH) ||
          a === (op.BPF_AND | op.BPF_FETCH) || a === (op.BPF_XOR | op.BPF_FETCH) ||
          a === op.BPF_XCHG || a === op.BPF_CMPXCHG;
        if (!ok) return bad('unknown_opcode', `BPF_ATOMIC uses invalid atomic opcode ${(a >>> 0).toString(16).padStart(2, '0')}`);
        if (sz !== op.BPF_W && sz !== op.BPF_DW) return bad('unknown_opcode', 'invalid atomic operand size');
        return null;
      }
      return unknownOpcode(code);
    }
  }
  return unknownOpcode(code);
}

/** Jump target of a jump at `pc`, or null when `ins` is not a pc-relative jump/call. */
export function jumpTarget(ins: Insn, pc: number): number | null {
  const c = op.cls(ins.code);
  if (c !== op.BPF_JMP && c !== op.BPF_JMP32) return null;
  const o = op.jmpOp(ins.code);
  if (o === op.BPF_EXIT) return null;
  if (o === op.BPF_CALL) return ins.src === op.BPF_PSEUDO_CALL ? pc + 1 + ins.imm : null;
  if (o === op.BPF_JA && c === op.BPF_JMP32) return pc + 1 + ins.imm;
  return pc + 1 + ins.off;
}
