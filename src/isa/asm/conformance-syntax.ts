/**
 * Statements in the syntax of the bpf_conformance and uBPF test suites:
 *   mov %r0, 1    add32 %r0, %r1    ldxw %r0, [%r1+4]    stxdw [%r10-8], %r1    stb [%r10-4], 0x01
 *   jne %r0, 15, label    ja +1    ja32 L1    call local func1    call 5    call %r2    lddw %r0, 0x1122334455667788
 *   be16 %r0    swap32 %r0    neg %r1    movsx832 %r0, %r1    ldxsb %r0, [%r1]
 *   lock add [%r10-8], %r1    lock fetch xor32 [%r10-4], %r3    lock cmpxchg [%r10-8], %r1
 * Mnemonics take the 64-bit form by default; a `32` suffix selects ALU/JMP32 (`64` is accepted too).
 */
import * as op from '../opcodes.js';
import { insn, ldImm64 } from '../insn.js';
import type { Cursor, Emitted, Reg } from './cursor.js';
import { jumpTarget } from './kernel-syntax.js';

const ALU: Record<string, { op: number; off?: number }> = {
  add: { op: op.BPF_ADD }, sub: { op: op.BPF_SUB }, mul: { op: op.BPF_MUL }, div: { op: op.BPF_DIV },
  sdiv: { op: op.BPF_DIV, off: 1 }, or: { op: op.BPF_OR }, and: { op: op.BPF_AND }, lsh: { op: op.BPF_LSH },
  rsh: { op: op.BPF_RSH }, mod: { op: op.BPF_MOD }, smod: { op: op.BPF_MOD, off: 1 }, xor: { op: op.BPF_XOR },
  mov: { op: op.BPF_MOV }, arsh: { op: op.BPF_ARSH },
};
const JMP: Record<string, number> = {
  jeq: op.BPF_JEQ, jgt: op.BPF_JGT, jge: op.BPF_JGE, jset: op.BPF_JSET, jne: op.BPF_JNE, jsgt: op.BPF_JSGT,
  jsge: op.BPF_JSGE, jlt: op.BPF_JLT, jle: op.BPF_JLE, jslt: op.BPF_JSLT, jsle: op.BPF_JSLE,
};
const SIZE: Record<string, number> = { b: op.BPF_B, h: op.BPF_H, w: op.BPF_W, dw: op.BPF_DW };
const ATOMIC: Record<string, number> = { add: op.BPF_ADD, and: op.BPF_AND, or: op.BPF_OR, xor: op.BPF_XOR, xchg: op.BPF_XCHG, cmpxchg: op.BPF_CMPXCHG };

const ALU_RE = /^(add|sub|mul|div|sdiv|or|and|lsh|rsh|mod|smod|xor|mov|arsh|neg)(32|64)?$/;
const MOVSX_RE = /^movsx(8|16|32)(32|64)$/;
const END_RE = /^(be|le|swap|bswap)(16|32|64)$/;
const JMP_RE = /^(jeq|jgt|jge|jset|jne|jsgt|jsge|jlt|jle|jslt|jsle)(32)?$/;
const LDX_RE = /^ldx(s)?(b|h|w|dw)$/;
const ST_RE = /^st(x)?(b|h|w|dw)$/;
const LDABS_RE = /^ld(abs|ind)(b|h|w|dw)$/;
const XADD_RE = /^xadd(w|dw)$/;

/** True when `word` is a conformance-syntax mnemonic (other than the shared `call`, `exit`, `lock`). */
export function isConformanceMnemonic(word: string): boolean {
  return ALU_RE.test(word) || MOVSX_RE.test(word) || END_RE.test(word) || JMP_RE.test(word) || LDX_RE.test(word) ||
    ST_RE.test(word) || LDABS_RE.test(word) || XADD_RE.test(word) || word === 'ja' || word === 'ja32' || word === 'lddw';
}

/** `[%r1+4]`, `[%r1-8]`, `[%r1]`. */
function memOperand(c: Cursor): { reg: Reg; off: number } {
  c.expectOp('[');
  const reg = c.reg64();
  const off = c.isOp('+') || c.isOp('-') ? c.off16() : 0;
  c.expectOp(']');
  return { reg, off };
}

/** Parses one conformance-syntax statement whose mnemonic is the current token. */
export function parseConformanceStatement(c: Cursor): Emitted {
  const mt = c.ident('a mnemonic');
  const m = mt.text;
  const one = (s: ReturnType<typeof insn>): Emitted => { c.end(); return { slots: [s] }; };
  let r: RegExpExecArray | null;

  if ((r = ALU_RE.exec(m))) {
    const cls = r[2] === '32' ? op.BPF_ALU : op.BPF_ALU64;
    const d = c.reg64();
    if (r[1] === 'neg') return one(insn(cls | op.BPF_NEG, d.n));
    const a = ALU[r[1]!]!;
    c.expectOp(',');
    if (c.atReg()) return one(insn(cls | a.op | op.BPF_X, d.n, c.reg64().n, a.off ?? 0, 0));
    return one(insn(cls | a.op | op.BPF_K, d.n, 0, a.off ?? 0, c.imm32('a register or an immediate')));
  }
  if ((r = MOVSX_RE.exec(m))) {
    const cls = r[2] === '32' ? op.BPF_ALU : op.BPF_ALU64;
    const d = c.reg64();
    c.expectOp(',');
    return one(insn(cls | op.BPF_MOV | op.BPF_X, d.n, c.reg64().n, Number(r[1]), 0));
  }
  if ((r = END_RE.exec(m))) {
    const code = r[1] === 'swap' || r[1] === 'bswap' ? op.BPF_ALU64 | op.BPF_END : op.BPF_ALU | op.BPF_END | (r[1] === 'be' ? op.BPF_TO_BE : op.BPF_TO_LE);
    return one(insn(code, c.reg64().n, 0, 0, Number(r[2])));
  }
  if (m === 'ja' || m === 'ja32') {
    const field = m === 'ja' ? 'off' : 'imm';
    const { value, fixup } = jumpTarget(c, field);
    c.end();
    const s = m === 'ja' ? insn(op.BPF_JMP | op.BPF_JA, 0, 0, value, 0) : insn(op.BPF_JMP32 | op.BPF_JA, 0, 0, 0, value);
    return fixup ? { slots: [s], fixup } : { slots: [s] };
  }
  if ((r = JMP_RE.exec(m))) {
    const cls = r[2] === '32' ? op.BPF_JMP32 : op.BPF_JMP;
    const d = c.reg64();
    c.expectOp(',');
    let code = cls | JMP[r[1]!]! | op.BPF_K;
    let src = 0;
    let imm = 0;
    if (c.atReg()) { src = c.reg64().n; code = cls | JMP[r[1]!]! | op.BPF_X; } else imm = c.imm32('a register or an immediate');
    c.expectOp(',');
    const { value, fixup } = jumpTarget(c, 'off');
    c.end();
    const s = insn(code, d.n, src, value, imm);
    return fixup ? { slots: [s], fixup } : { slots: [s] };
  }
  if (m === 'lddw') {
    const d = c.reg64();
    c.expectOp(',');
    const v = c.imm64('a 64-bit immediate');
    c.end();
    return { slots: ldImm64(d.n, v) };
  }
  if ((r = LDX_RE.exec(m))) {
    if (r[1] && r[2] === 'dw') c.fail(`unknown mnemonic '${m}'`, mt.col);
    const d = c.reg64();
    c.expectOp(',');
    const mem = memOperand(c);
    return one(insn(op.BPF_LDX | (r[1] ? op.BPF_MEMSX : op.BPF_MEM) | SIZE[r[2]!]!, d.n, mem.reg.n, mem.off, 0));
  }
  if ((r = ST_RE.exec(m))) {
    const mem = memOperand(c);
    c.expectOp(',');
    if (r[1]) return one(insn(op.BPF_STX | op.BPF_MEM | SIZE[r[2]!]!, mem.reg.n, c.reg64().n, mem.off, 0));
    return one(insn(op.BPF_ST | op.BPF_MEM | SIZE[r[2]!]!, mem.reg.n, 0, mem.off, c.imm32('an immediate')));
  }
  if ((r = LDABS_RE.exec(m))) {
    const size = SIZE[r[2]!]!;
    if (r[1] === 'abs') return one(insn(op.BPF_LD | op.BPF_ABS | size, 0, 0, 0, c.imm32('a packet offset')));
    const s = c.reg64();
    c.expectOp(',');
    return one(insn(op.BPF_LD | op.BPF_IND | size, 0, s.n, 0, c.imm32('a packet offset')));
  }
  if ((r = XADD_RE.exec(m))) {
    const mem = memOperand(c);
    c.expectOp(',');
    return one(insn(op.BPF_STX | op.BPF_ATOMIC | SIZE[r[1]!]!, mem.reg.n, c.reg64().n, mem.off, op.BPF_ADD));
  }
  return c.fail(`unknown mnemonic '${m}'`, mt.col);
}

/** `lock [fetch] OP[32] [%rD+off], %rS` (the `lock` token is current). */
export function parseConformanceLock(c: Cursor): Emitted {
  c.expectId('lock');
  const fetch = c.eatId('fetch');
  const t = c.ident('an atomic operation (add, and, or, xor, xchg, cmpxchg)');
  const mm = /^(add|and|or|xor|xchg|cmpxchg)(32|64)?$/.exec(t.text);
  if (!mm) return c.fail(`unknown atomic operation '${t.text}'`, t.col);
  let imm = ATOMIC[mm[1]!]!;
  if (fetch) imm |= op.BPF_FETCH;
  const size = mm[2] === '32' ? op.BPF_W : op.BPF_DW;
  const mem = memOperand(c);
  c.expectOp(',');
  const s = c.reg64();
  c.end();
  return { slots: [insn(op.BPF_STX | op.BPF_ATOMIC | size, mem.reg.n, s.n, mem.off, imm)] };
}
