/**
 * Structural validation of single instructions (RFC 9669 encodings, the kernel's
 * check_* rules for reserved fields). Semantic checks (reads of uninitialised registers,
 * writes to r10, reachability) are the verifier's job, not this module's.
 */
import * as op from './opcodes.js';
import type { Insn } from './insn.js';

/** Returns null when `ins` is a well-formed instruction, else a short reason. */
export function checkInsn(ins: Insn): { kind: string; reason: string } | null {
  const { code, dst, src, off, imm } = ins;
  const c = op.cls(code);
  const bad = (kind: string, reason: string) => ({ kind, reason });
  const unknown = () => bad('unknown_opcode', `unknown opcode 0x${code.toString(16).padStart(2, '0')}`);
  if (dst > 10) return bad('invalid_register', `invalid dst register r${dst}`);
  if (src > 10 && !(c === op.BPF_LD && code === op.BPF_LD_IMM64)) return bad('invalid_register', `invalid src register r${src}`);

  switch (c) {
    case op.BPF_ALU:
    case op.BPF_ALU64: {
      const o = op.aluOp(code);
      const x = op.srcBit(code) === op.BPF_X;
      if (o > op.BPF_END) return unknown();
      if (o === op.BPF_END) {
        if (c === op.BPF_ALU64 && x) return unknown();
        if (src !== 0 || off !== 0) return bad('reserved_field', 'BPF_END uses reserved fields');
        if (imm !== 16 && imm !== 32 && imm !== 64) return bad('reserved_field', `invalid byte swap width ${imm}`);
        return null;
      }
      if (o === op.BPF_NEG) {
        if (x || src !== 0 || off !== 0 || imm !== 0) return bad('reserved_field', 'BPF_NEG uses reserved fields');
        return null;
      }
      if (!x && src !== 0) return bad('reserved_field', 'BPF_ALU uses reserved fields');
      // addr_space_cast (ALU64 MOV X, off 1) carries the address spaces in imm; the verifier checks them.
      if (o === op.BPF_MOV && x && c === op.BPF_ALU64 && off === op.BPF_ADDR_SPACE_CAST) return null;
      if (x && imm !== 0) return bad('reserved_field', 'BPF_ALU uses reserved fields');
      if (o === op.BPF_DIV || o === op.BPF_MOD) {
        if (off !== 0 && off !== 1) return bad('reserved_field', 'BPF_ALU uses reserved fields');
        return null;
      }
      if (o === op.BPF_MOV) {
        if (off === 0) return null;
        // movsx: register source only; 32-bit form allows 8/16, 64-bit form 8/16/32.
        if (!x) return bad('reserved_field', 'BPF_MOV uses reserved fields');
        if (off === 8 || off === 16 || (off === 32 && c === op.BPF_ALU64)) return null;
        return bad('reserved_field', 'BPF_MOV uses reserved fields');
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
      if (o > op.BPF_JSLE) return unknown();
      if (o === op.BPF_JA) {
        if (x || src !== 0 || dst !== 0) return bad('reserved_field', 'BPF_JA uses reserved fields');
        if (c === op.BPF_JMP && imm !== 0) return bad('reserved_field', 'BPF_JA uses reserved fields');
        if (c === op.BPF_JMP32 && off !== 0) return bad('reserved_field', 'BPF_JA uses reserved fields');
        return null;
      }
      if (o === op.BPF_CALL) {
        if (c === op.BPF_JMP32 || x) return unknown();
        if (off !== 0 || dst !== 0) return bad('reserved_field', 'BPF_CALL uses reserved fields');
        if (src !== 0 && src !== op.BPF_PSEUDO_CALL && src !== op.BPF_PSEUDO_KFUNC_CALL)
          return bad('reserved_field', 'BPF_CALL uses reserved fields');
        return null;
      }
      if (o === op.BPF_EXIT) {
        if (c === op.BPF_JMP32 || x) return unknown();
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
      return unknown();
    }
    case op.BPF_LDX: {
      const m = op.mode(code);
      if (m === op.BPF_MEM) { if (imm !== 0) return bad('reserved_field', 'BPF_LDX uses reserved fields'); return null; }
      if (m === op.BPF_MEMSX && op.size(code) !== op.BPF_DW) {
        if (imm !== 0) return bad('reserved_field', 'BPF_LDX uses reserved fields');
        return null;
      }
      return unknown();
    }
    case op.BPF_ST: {
      if (op.mode(code) !== op.BPF_MEM) return unknown();
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
        if (!ok) return bad('unknown_opcode', `unknown atomic operation 0x${(a >>> 0).toString(16)}`);
        if (sz !== op.BPF_W && sz !== op.BPF_DW) return bad('unknown_opcode', 'invalid atomic operand size');
        return null;
      }
      return unknown();
    }
  }
  return unknown();
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
