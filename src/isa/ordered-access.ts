/**
 * Load-acquire and store-release (BPF_ATOMIC imm BPF_LOAD_ACQ / BPF_STORE_REL, Linux 6.15).
 *
 * On one CPU they are the plain load and store of the same size: the ordering they add only
 * matters between CPUs, and bpflab's engines run a program on one. An 8- or 16-bit load-acquire
 * zero-extends as LDX does. The engines execute the plain instruction this returns.
 */
import { type Insn, withInsn } from './insn.js';
import * as op from './opcodes.js';

/** The plain BPF_LDX / BPF_STX with the same registers, offset and size, or `ins` itself. */
export function plainAccess(ins: Insn): Insn {
  if (op.cls(ins.code) !== op.BPF_STX || op.mode(ins.code) !== op.BPF_ATOMIC) return ins;
  if (ins.imm === op.BPF_LOAD_ACQ) return withInsn(ins, { code: op.BPF_LDX | op.BPF_MEM | op.size(ins.code), imm: 0 });
  if (ins.imm === op.BPF_STORE_REL) return withInsn(ins, { code: op.BPF_STX | op.BPF_MEM | op.size(ins.code), imm: 0 });
  return ins;
}

/** Whether `ins` is a load-acquire (it writes its dst register, as BPF_LDX). */
export function isLoadAcquire(ins: Insn): boolean {
  return op.cls(ins.code) === op.BPF_STX && op.mode(ins.code) === op.BPF_ATOMIC && ins.imm === op.BPF_LOAD_ACQ;
}

/** `insns` with every load-acquire and store-release made plain (the same array when there is none). */
export function plainAccesses(insns: readonly Insn[]): readonly Insn[] {
  let out: Insn[] | null = null;
  for (let pc = 0; pc < insns.length; pc++) {
    const ins = insns[pc]!;
    const p = plainAccess(ins);
    if (p !== ins) (out ??= insns.slice())[pc] = p;
  }
  return out ?? insns;
}
