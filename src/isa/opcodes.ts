/**
 * eBPF opcode constants (RFC 9669, and the Linux uapi names).
 * An opcode byte is class (low 3 bits) | source/size | operation/mode.
 */

// Instruction classes (low 3 bits).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

// Source operand (bit 3) for ALU and JMP classes.
export const BPF_K = 0x00;
export const BPF_X = 0x08;
/** For BPF_END in class ALU: BPF_TO_LE = BPF_K, BPF_TO_BE = BPF_X. */
export const BPF_TO_LE = 0x00;
export const BPF_TO_BE = 0x08;

// ALU operations (high 4 bits).
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
export const BPF_MOV = 0xb0;
export const BPF_ARSH = 0xc0;
export const BPF_END = 0xd0;

// Jump operations (high 4 bits).
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_JNE = 0x50;
export const BPF_JSGT = 0x60;
export const BPF_JSGE = 0x70;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;
export const BPF_JLT = 0xa0;
export const BPF_JLE = 0xb0;
export const BPF_JSLT = 0xc0;
export const BPF_JSLE = 0xd0;

// Load/store sizes (bits 3-4).
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;

// Load/store modes (bits 5-7).
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_MEMSX = 0x80;
export const BPF_ATOMIC = 0xc0;

// Atomic operations (in imm of BPF_STX | BPF_ATOMIC).
export const BPF_FETCH = 0x01;
export const BPF_XCHG = 0xe0 | BPF_FETCH;
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;

// Linux extensions beyond RFC 9669 that the disassembler and assembler know (not accepted by checkInsn):
/** BPF_JMP | BPF_JCOND with src BPF_MAY_GOTO: `may_goto pc+N` (bounded loops, Linux 6.9). */
export const BPF_JCOND = 0xe0;
export const BPF_MAY_GOTO = 0;
/** Atomic imm for `rD = load_acquire((uN *)(rS +off))` and `store_release(...)` (Linux 6.15). */
export const BPF_LOAD_ACQ = 0x100;
export const BPF_STORE_REL = 0x110;
/** ALU64 MOV X offset for `rD = addr_space_cast(rS, to, from)` (arena programs, Linux 6.9). */
export const BPF_ADDR_SPACE_CAST = 1;

// ld_imm64 src_reg pseudo kinds.
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_MAP_IDX = 5;
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;

// call src_reg kinds.
export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_KFUNC_CALL = 2;

export const BPF_REG_0 = 0;
export const BPF_REG_1 = 1;
export const BPF_REG_10 = 10;
export const MAX_BPF_REG = 11;

/** The ld_imm64 opcode: BPF_LD | BPF_IMM | BPF_DW. */
export const BPF_LD_IMM64 = BPF_LD | BPF_IMM | BPF_DW;

export const cls = (code: number): number => code & 0x07;
export const aluOp = (code: number): number => code & 0xf0;
export const jmpOp = (code: number): number => code & 0xf0;
export const srcBit = (code: number): number => code & 0x08;
export const size = (code: number): number => code & 0x18;
export const mode = (code: number): number => code & 0xe0;

/** Bytes moved by a load/store of the given size field. */
export function sizeBytes(sizeField: number): 1 | 2 | 4 | 8 {
  switch (sizeField) {
    case BPF_B: return 1;
    case BPF_H: return 2;
    case BPF_W: return 4;
    default: return 8;
  }
}
