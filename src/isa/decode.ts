/**
 * Bytes ⇄ instruction slots. Little-endian `struct bpf_insn`:
 * u8 code; u8 dst:4, src:4; s16 off; s32 imm.
 */
import { DecodeError, InputError } from './errors.js';
import { type Insn, makeInsn } from './insn.js';
import { checkInsn, invalidRegister, jumpTarget } from './validate.js';
import { BPF_LD_IMM64, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX } from './opcodes.js';

export interface DecodeOptions {
  /** Check every instruction's encoding and every jump target (default true). */
  validate?: boolean;
}

export interface ValidateOptions {
  /**
   * Also refuse reserved fields that are set (default true). Loaders of programs for the verifier
   * pass false: the kernel judges those encodings itself, most only where exploration reaches
   * them, so a reserved field in dead code is no error.
   */
  reservedFields?: boolean;
  /**
   * Also refuse an instruction that uses a register above r10 (default true: nothing runs it
   * unverified). Loaders pass false: the kernel judges registers only where exploration meets
   * them (check_reg_arg), so r11..r15 in dead code load.
   */
  registers?: boolean;
}

/** What the kernel's load path checks before exploring; everything else is the verifier's. */
export const LOADER_VALIDATION: ValidateOptions = { reservedFields: false, registers: false };

/** Decodes raw little-endian bytecode into instruction slots. */
export function decodeInsns(bytes: Uint8Array, opts: DecodeOptions = {}): Insn[] {
  if (bytes.length % 8 !== 0)
    throw new InputError('truncated', `bytecode length ${bytes.length} is not a multiple of 8 (trailing ${bytes.length % 8} bytes at offset ${bytes.length - (bytes.length % 8)})`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length / 8;
  // Filled by push, not preallocated: a `new Array(n)` stays a holey array, another hidden class
  // for the instruction arrays the verifier and the VM index than every other loader's.
  const out: Insn[] = [];
  for (let i = 0; i < n; i++) {
    const o = i * 8;
    const regs = dv.getUint8(o + 1);
    out.push(makeInsn(dv.getUint8(o), regs & 0x0f, regs >> 4, dv.getInt16(o + 2, true), dv.getInt32(o + 4, true)));
  }
  if (opts.validate !== false) validateInsns(out);
  return out;
}

/** Encodes instruction slots as raw little-endian bytecode. */
export function encodeInsns(insns: readonly Insn[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * 8);
  const dv = new DataView(bytes.buffer);
  insns.forEach((ins, i) => {
    const o = i * 8;
    dv.setUint8(o, ins.code & 0xff);
    dv.setUint8(o + 1, (ins.dst & 0x0f) | ((ins.src & 0x0f) << 4));
    dv.setInt16(o + 2, ins.off, true);
    dv.setInt32(o + 4, ins.imm | 0, true);
  });
  return bytes;
}

/**
 * Checks every slot: known opcode, reserved fields clear, registers used ≤ r10, ld_imm64 followed
 * by its second half, jumps inside the program and not into the middle of an ld_imm64.
 * Throws a DecodeError naming the pc.
 */
export function validateInsns(insns: readonly Insn[], opts: ValidateOptions = {}): void {
  const fields = opts.reservedFields !== false;
  const registers = opts.registers !== false;
  const checkSlot = (ins: Insn, pc: number): void => {
    const bad = checkInsn(ins);
    if (bad && (fields || bad.kind !== 'reserved_field')) throw new DecodeError(bad.kind, pc, bad.reason);
    const reg = registers ? invalidRegister(ins) : null;
    if (reg) throw new DecodeError('invalid_register', pc, `invalid ${reg.field} register r${reg.regno}`);
  };
  const n = insns.length;
  if (n === 0) throw new InputError('empty', 'program has no instructions');
  const second = new Uint8Array(n); // 1 where the slot is the second half of an ld_imm64
  for (let pc = 0; pc < n; pc++) {
    const ins = insns[pc]!;
    if (ins.code === BPF_LD_IMM64) {
      const next = insns[pc + 1];
      if (!next) throw new DecodeError('truncated', pc, 'ld_imm64 without its second half (last instruction)');
      if (fields && (next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0))
        throw new DecodeError('reserved_field', pc, 'invalid BPF_LD_IMM insn: second half has reserved fields set');
      checkSlot(ins, pc);
      // The kernel (resolve_pseudo_ldimm64) wants the upper half 0 for map fd / map index loads.
      if (fields && (ins.src === BPF_PSEUDO_MAP_FD || ins.src === BPF_PSEUDO_MAP_IDX) && next.imm !== 0)
        throw new DecodeError('reserved_field', pc, 'unrecognized bpf_ld_imm64 insn: a map reference with a non-zero upper half');
      second[pc + 1] = 1;
      pc++;
      continue;
    }
    checkSlot(ins, pc);
  }
  for (let pc = 0; pc < n; pc++) {
    if (second[pc]) continue;
    const t = jumpTarget(insns[pc]!, pc);
    if (t === null) continue;
    if (t < 0 || t >= n) throw new DecodeError('jump_out_of_range', pc, `jump out of range from insn ${pc} to ${t}`);
    if (second[t]) throw new DecodeError('jump_out_of_range', pc, `jump into the middle of ldimm64 insn ${t - 1}`);
  }
}
