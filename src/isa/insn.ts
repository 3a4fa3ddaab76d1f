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

/**
 * The one constructor of instruction objects: every Insn bpflab makes (decoder, assembler,
 * loaders, fuzz generators and mutators, engines) comes from this literal, so all share one V8
 * hidden class with small-integer fields. A copy made with `{ ...ins }` gets another hidden class
 * (and a copy of a copy yet another), and each new class seen by the verifier's or the VM's
 * optimised code deoptimises it ("wrong map") and makes TurboFan compile it again.
 * The fields are int32 as given: the caller keeps them in range (see insn() for the masking one).
 */
export function makeInsn(code: number, dst: number, src: number, off: number, imm: number): Insn {
  // `| 0` keeps every field a small integer (V8 Smi) even when a caller's arithmetic hands over an
  // integral heap number (fast-check's draws do): one such value turns the field's representation
  // to double, deprecating the hidden class of every instruction made before.
  return { code: code | 0, dst: dst | 0, src: src | 0, off: off | 0, imm: imm | 0 };
}

/** A copy of `ins` with the same hidden class as every other instruction (never `{ ...ins }`). */
export function copyInsn(ins: Insn): Insn {
  return makeInsn(ins.code, ins.dst, ins.src, ins.off, ins.imm);
}

/** A copy of `ins` with some fields replaced (the `{ ...ins, imm }` of bpflab, keeping the one hidden class). */
export function withInsn(ins: Insn, change: Partial<Insn>): Insn {
  return makeInsn(change.code ?? ins.code, change.dst ?? ins.dst, change.src ?? ins.src, change.off ?? ins.off, change.imm ?? ins.imm);
}

export function insn(code: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return makeInsn(code & 0xff, dst, src, (off << 16) >> 16, imm | 0);
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
    makeInsn(0x18, dst, src, 0, Number(BigInt.asIntN(32, v & 0xffffffffn))),
    makeInsn(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n))),
  ];
}
