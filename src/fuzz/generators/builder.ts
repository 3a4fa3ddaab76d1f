/**
 * A tiny assembler with symbolic labels (cilium/ebpf's asm package in spirit): generators emit
 * instructions and jumps to labels, and `finish()` resolves every label to a pc-relative offset.
 * Labels make lowering composable: a fragment never needs to know how long its body will be.
 */
import { type Insn, ldImm64, makeInsn } from '../../isa/insn.js';
import * as op from '../../isa/opcodes.js';

export type Label = number;

interface Fixup {
  pc: number;
  label: Label;
  /** 'off': conditional/ja jumps (16-bit off); 'imm': bpf-to-bpf calls and ld_imm64 src 4 (imm). */
  field: 'off' | 'imm';
}

export class Builder {
  readonly insns: Insn[] = [];
  private readonly labels: number[] = [];
  private readonly fixups: Fixup[] = [];

  get pc(): number {
    return this.insns.length;
  }

  label(): Label {
    this.labels.push(-1);
    return this.labels.length - 1;
  }

  /** Places `l` at the next instruction. */
  bind(l: Label): void {
    this.labels[l] = this.insns.length;
  }

  emit(code: number, dst = 0, src = 0, off = 0, imm = 0): void {
    this.insns.push(makeInsn(code, dst, src, (off << 16) >> 16, imm | 0));
  }

  ld64(dst: number, value: bigint, src = 0): void {
    this.insns.push(...ldImm64(dst, value, src));
  }

  /** ld_imm64 of a map reference (src 1) or a direct map value address (src 2, value offset `off`). */
  ldMap(dst: number, mapIndex: number, value = false, off = 0): void {
    this.insns.push(makeInsn(op.BPF_LD_IMM64, dst, value ? op.BPF_PSEUDO_MAP_VALUE : op.BPF_PSEUDO_MAP_FD, 0, mapIndex),
      makeInsn(0, 0, 0, 0, value ? off : 0));
  }

  /** Conditional or unconditional jump (`code` carries class, op and source) to `l`. */
  jmp(code: number, dst: number, src: number, imm: number, l: Label): void {
    this.fixups.push({ pc: this.insns.length, label: l, field: 'off' });
    this.emit(code, dst, src, 0, imm);
  }

  ja(l: Label): void {
    this.jmp(op.BPF_JMP | op.BPF_JA, 0, 0, 0, l);
  }

  /** bpf-to-bpf call to the subprogram starting at `l`. */
  callLocal(l: Label): void {
    this.fixups.push({ pc: this.insns.length, label: l, field: 'imm' });
    this.emit(op.BPF_JMP | op.BPF_CALL, 0, op.BPF_PSEUDO_CALL, 0, 0);
  }

  callHelper(id: number): void {
    this.emit(op.BPF_JMP | op.BPF_CALL, 0, 0, 0, id);
  }

  exit(): void {
    this.emit(op.BPF_JMP | op.BPF_EXIT);
  }

  /** Resolves labels; throws if one was never bound (a generator bug, not bad input). */
  finish(): Insn[] {
    for (const f of this.fixups) {
      const at = this.labels[f.label];
      if (at === undefined || at < 0) throw new Error(`fuzz builder: label ${f.label} never bound`);
      const rel = at - f.pc - 1;
      const ins = this.insns[f.pc]!;
      if (f.field === 'off') {
        if (rel < -0x8000 || rel > 0x7fff) throw new Error(`fuzz builder: jump at ${f.pc} out of 16-bit range`);
        ins.off = rel;
      } else ins.imm = rel;
    }
    return this.insns;
  }
}
