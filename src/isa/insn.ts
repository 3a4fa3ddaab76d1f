/**
 * One 8-byte eBPF instruction slot, as the kernel's `struct bpf_insn`.
 *
 * A 64-bit immediate load (ld_imm64) occupies two slots, exactly as in the kernel: the first
 * carries the opcode and the low 32 bits in `imm`, the second has opcode 0 and the high 32
 * bits in `imm`. Keeping slots (not merged instructions) means every pc in bpflab is the
 * kernel's pc: logs, errors and line info line up without translation.
 */
export interface Insn {
  /** Opcode byte (0..255). */
  code: number;
  /** Destination register (0..15 as encoded; valid programs use 0..10). */
  dst: number;
  /** Source register (0..15 as encoded). */
  src: number;
  /** Signed 16-bit offset. */
  off: number;
  /** Signed 32-bit immediate. */
  imm: number;
}

export function insn(code: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return { code: code & 0xff, dst, src, off: (off << 16) >> 16, imm: imm | 0 };
}

/** The 64-bit immediate of an ld_imm64 whose first slot is at `pc`, as an unsigned bigint. */
export function imm64(insns: readonly Insn[], pc: number): bigint {
  const lo = BigInt((insns[pc]?.imm ?? 0) >>> 0);
  const hi = BigInt((insns[pc + 1]?.imm ?? 0) >>> 0);
  return (hi << 32n) | lo;
}

/** The two slots of an ld_imm64 loading `value` (taken modulo 2^64) into `dst`. */
export function ldImm64(dst: number, value: bigint, src = 0): [Insn, Insn] {
  const v = BigInt.asUintN(64, value);
  return [
    { code: 0x18, dst, src, off: 0, imm: Number(BigInt.asIntN(32, v & 0xffffffffn)) },
    { code: 0, dst: 0, src: 0, off: 0, imm: Number(BigInt.asIntN(32, v >> 32n)) },
  ];
}
