/**
 * Predecoding: a Program becomes flat typed arrays the interpreter indexes by pc, with the
 * variant an instruction needs resolved once (sdiv vs div, movsx widths, byte-swap widths,
 * atomic operations, K vs X operands).
 *
 * Operands: every binary operation reads its second operand from the VM's register file at
 * index `s[pc]`. For the X form that is the source register (2*src); for the K form it is a
 * constant slot (base + 2*pc) that holds the immediate sign-extended to 64 bits. K and X forms
 * therefore share one interpreter case, with no branch.
 */
import type { Insn } from '../isa/insn.js';
import type { Program } from '../isa/program.js';
import * as op from '../isa/opcodes.js';
import { invalidRegister } from '../isa/validate.js';
import { plainAccesses } from '../isa/ordered-access.js';
import { VmError } from './errors.js';
import { ATOMIC_KINDS } from '../runtime/access.js';
import { type LinkedKfunc, linkKfunc } from '../runtime/kfuncs/index.js';

// Internal operation numbers beyond the opcode byte (the rest keep their X-form opcode).
export const OP = {
  LE16: 0x100, LE32: 0x101, LE64: 0x102, BE16: 0x103, BE32: 0x104, BE64: 0x105,
  BSWAP16: 0x106, BSWAP32: 0x107, BSWAP64: 0x108,
  SDIV64: 0x109, SMOD64: 0x10a, SDIV32: 0x10b, SMOD32: 0x10c,
  MOVSX64_8: 0x10d, MOVSX64_16: 0x10e, MOVSX64_32: 0x10f, MOVSX32_8: 0x110, MOVSX32_16: 0x111,
  CALL_LOCAL: 0x112, KFUNC: 0x113, INVALID: 0x114, MAY_GOTO: 0x115,
  /** Atomics: ATOMIC32 + k and ATOMIC64 + k, k in ATOMIC_KINDS order. */
  ATOMIC32: 0x120, ATOMIC64: 0x130,
} as const;

/** Order of atomic operations (offset from OP.ATOMIC32 / OP.ATOMIC64): runtime/access.ts's table. */
export { ATOMIC_KINDS };

/** An ld_imm64 whose value depends on the run (map pointers, map values, function pointers). */
export interface PseudoLoad {
  pc: number;
  src: number;
  imm: number;
  next: number;
}

export interface Decoded {
  program: Program;
  n: number;
  op: Uint16Array;
  /** 2 * dst register. */
  d: Uint8Array;
  /** Operand index in the VM register file (2 * src, or a constant slot). */
  s: Int32Array;
  off: Int32Array;
  /** Jump target (pc + 1 + off), call target, or pc + 2 after ld_imm64. */
  tgt: Int32Array;
  imm: Int32Array;
  /** Constant slots: 2 per pc (lo, hi), copied into the register file at `base` when linked. */
  consts: Int32Array;
  base: number;
  pseudo: PseudoLoad[];
  /** Kfunc call sites (pc -> implementation, or why there is none), resolved against the program's target BTF. */
  kfuncs: Map<number, LinkedKfunc>;
}

const ENDS: Record<number, number> = { 16: 0, 32: 1, 64: 2 };

/**
 * Decodes `program` for a register file whose constant area starts at `base`. `store`: a
 * backing store no longer in use (a VM's program before last) to decode into when it is large
 * enough, rather than allocating one.
 */
export function decodeProgram(program: Program, base: number, store?: ArrayBuffer): Decoded {
  // load-acquire and store-release run as the plain load and store (one CPU)
  const insns = plainAccesses(program.insns);
  const n = insns.length;
  // One backing store for all the arrays: a typed array of more than 64 bytes gets its own
  // off-heap store, and seven of them cost a fuzz run more than decoding its program does.
  let buf: ArrayBuffer;
  if (store && store.byteLength >= 27 * n) { buf = store; new Uint8Array(buf, 0, 27 * n).fill(0); } else buf = new ArrayBuffer(27 * n);
  const D: Decoded = {
    program, n, s: new Int32Array(buf, 0, n), off: new Int32Array(buf, 4 * n, n), tgt: new Int32Array(buf, 8 * n, n),
    imm: new Int32Array(buf, 12 * n, n), consts: new Int32Array(buf, 16 * n, 2 * n),
    op: new Uint16Array(buf, 24 * n, n), d: new Uint8Array(buf, 26 * n, n), base, pseudo: [], kfuncs: new Map(),
  };
  const OPS = D.op, DST = D.d, SRC = D.s, OFF = D.off, TGT = D.tgt, IMM = D.imm, CONSTS = D.consts;
  for (let pc = 0; pc < n; pc++) {
    const ins = insns[pc]!;
    const code = ins.code;
    const c = op.cls(code);
    const x = op.srcBit(code) === op.BPF_X;
    const slot = base + 2 * pc;
    if (invalidRegister(ins)) {
      // r11..r15 (the verifier refuses them where reached; dead code may hold them): no register
      // file index for them, the instruction faults if run unverified
      OPS[pc] = OP.INVALID;
      SRC[pc] = slot;
      if (code === op.BPF_LD_IMM64 && pc + 1 < n) OPS[++pc] = OP.INVALID;
      continue;
    }
    DST[pc] = 2 * (ins.dst & 15);
    OFF[pc] = ins.off;
    IMM[pc] = ins.imm;
    CONSTS[2 * pc] = ins.imm;
    CONSTS[2 * pc + 1] = ins.imm >> 31;
    // ALU/JMP: operand from src (X) or the constant slot (K); loads/stores/LD_IND: src register; ST: constant slot
    SRC[pc] = (c === op.BPF_ALU || c === op.BPF_ALU64 || c === op.BPF_JMP || c === op.BPF_JMP32) && !x ? slot : c === op.BPF_ST ? slot : 2 * (ins.src & 15);
    TGT[pc] = pc + 1 + ins.off;
    let o: number = code;
    switch (c) {
      case op.BPF_ALU:
      case op.BPF_ALU64: {
        const a = op.aluOp(code);
        const is64 = c === op.BPF_ALU64;
        o = (code & 0xf7) | op.BPF_X; // merge K into X
        if (a === op.BPF_NEG) o = code; // 0x84 / 0x87
        else if (a === op.BPF_END) {
          const w = ENDS[ins.imm];
          if (w === undefined) o = OP.INVALID;
          else if (is64) o = OP.BSWAP16 + w;
          else o = (x ? OP.BE16 : OP.LE16) + w;
        } else if ((a === op.BPF_DIV || a === op.BPF_MOD) && ins.off === 1) {
          o = a === op.BPF_DIV ? (is64 ? OP.SDIV64 : OP.SDIV32) : (is64 ? OP.SMOD64 : OP.SMOD32);
        } else if (a === op.BPF_MOV && x && ins.off !== 0) {
          // addr_space_cast (off 1): the VM has no arena to translate into.
          if (is64 && ins.off === op.BPF_ADDR_SPACE_CAST) o = OP.INVALID;
          else o = is64 ? (ins.off === 8 ? OP.MOVSX64_8 : ins.off === 16 ? OP.MOVSX64_16 : OP.MOVSX64_32) : (ins.off === 8 ? OP.MOVSX32_8 : OP.MOVSX32_16);
        }
        break;
      }
      case op.BPF_JMP:
      case op.BPF_JMP32: {
        const j = op.jmpOp(code);
        if (j === op.BPF_JA) { o = 0x05; if (c === op.BPF_JMP32) TGT[pc] = pc + 1 + ins.imm; }
        else if (j === op.BPF_CALL) {
          if (ins.src === op.BPF_PSEUDO_CALL) { o = OP.CALL_LOCAL; TGT[pc] = pc + 1 + ins.imm; }
          else if (ins.src === op.BPF_PSEUDO_KFUNC_CALL) { o = OP.KFUNC; D.kfuncs.set(pc, linkKfunc(program, ins.imm)); }
          else o = 0x85;
        } else if (j === op.BPF_EXIT) o = 0x95;
        else if (j === op.BPF_JCOND) {
          // may_goto; `may_goto +0` is removed by the verifier (opt_remove_nops), so it is a no-op
          if (code !== (op.BPF_JMP | op.BPF_JCOND) || ins.src !== op.BPF_MAY_GOTO) o = OP.INVALID;
          else o = ins.off === 0 ? 0x05 : OP.MAY_GOTO;
        }
        else o = code | op.BPF_X;
        break;
      }
      case op.BPF_LD:
        if (code === op.BPF_LD_IMM64) {
          const next = insns[pc + 1]?.imm ?? 0;
          CONSTS[2 * pc + 1] = next;
          SRC[pc] = slot;
          TGT[pc] = pc + 2;
          if (ins.src !== 0) D.pseudo.push({ pc, src: ins.src, imm: ins.imm, next });
          OPS[pc] = code;
          if (pc + 1 < n) { pc++; OPS[pc] = OP.INVALID; }
          continue;
        }
        break;
      case op.BPF_ST:
        o = code + 1; // store the constant slot like STX
        break;
      case op.BPF_STX:
        if (op.mode(code) === op.BPF_ATOMIC) {
          const k = (ATOMIC_KINDS as readonly number[]).indexOf(ins.imm);
          o = k < 0 ? OP.INVALID : (op.size(code) === op.BPF_DW ? OP.ATOMIC64 : OP.ATOMIC32) + k;
        }
        break;
    }
    OPS[pc] = o;
  }
  return D;
}

/** Why an engine cannot execute `ins` (an OP.INVALID slot, or a JIT trap there): the VM's and the JIT's text. */
export function cannotExecute(ins: Insn | undefined): string {
  const reg = ins ? invalidRegister(ins) : null;
  if (reg) return `invalid ${reg.field} register r${reg.regno}`;
  return `cannot execute opcode 0x${(ins?.code ?? 0).toString(16).padStart(2, '0')}`;
}

/** Throws when a pc the program jumps or calls to is outside it (checked once at link time). */
export function checkTargets(D: Decoded): void {
  for (let pc = 0; pc < D.n; pc++) {
    const o = D.op[pc]!;
    const isJump = (o & 0x07) === 0x05 || (o & 0x07) === 0x06;
    if ((o < 0x100 && isJump && o !== 0x85 && o !== 0x95) || o === OP.CALL_LOCAL || o === OP.MAY_GOTO) {
      const t = D.tgt[pc]!;
      if (t < 0 || t >= D.n) throw new VmError('bad_call', pc, `jump target ${t} outside the program (${D.n} insns)`);
    }
  }
}
