/**
 * The bpf_fastcall contract (mark_fastcall_patterns, check_fastcall_stack_contract,
 * remove_fastcall_spills_fills).
 *
 * clang wraps a call to a function marked bpf_fastcall in spills and fills of the caller-saved
 * registers the call does not use, at the lowest stack offsets of the subprogram:
 *
 *     *(u64 *)(r10 - 16) = r1
 *     call bpf_get_smp_processor_id
 *     r1 = *(u64 *)(r10 - 16)
 *
 * When the kernel inlines the call it keeps r1-r5 intact, so it removes the pairs after
 * verification and gives the stack they used back: the subprogram's stack depth becomes the top
 * of that region. This is what lets a program whose frames already use 512 bytes call such a
 * subprogram. The region is given back only if nothing but the patterns touched it.
 */
import * as op from '../isa/opcodes.js';
import type { Insn } from '../isa/insn.js';
import type { Subprog } from './cfg.js';
import { zeroedU8 } from './flat-arrays.js';

/** get_call_summary: what the verifier knows of a helper or kfunc call before verifying it. */
export interface CallSummary {
  numParams: number;
  isVoid: boolean;
  /** The call follows the bpf_fastcall contract on this kernel (allow_fastcall/KF_FASTCALL and inlined). */
  fastcall: boolean;
}
export type CallSummarizer = (ins: Insn) => CallSummary | undefined;

export interface FastcallInfo {
  /** Per instruction: a spill or fill of some call's pattern (insn_aux_data.fastcall_pattern). */
  readonly pattern: Uint8Array;
  /** Per call instruction: spill/fill pairs removed after verification (fastcall_spills_num). */
  readonly spills: Uint8Array;
  /** Per subprogram: the top of the region the patterns use (fastcall_stack_off; 0 when none). */
  readonly stackOff: Int32Array;
  /** Per subprogram: a pattern around a call that is not inlined keeps the region (keep_fastcall_stack). */
  readonly keep: Uint8Array;
}

const BPF_REG_SIZE = 8;
/** Offsets at or above every possible stack offset: the contract is off for the subprogram. */
const CONTRACT_BROKEN = -32768;
const ALL_CALLER_SAVED = 0b111111; // r0-r5
const STX_DW = op.BPF_STX | op.BPF_MEM | op.BPF_DW;
const LDX_DW = op.BPF_LDX | op.BPF_MEM | op.BPF_DW;

/** mark_fastcall_patterns: run once per program, before verification. */
export function markFastcallPatterns(insns: readonly Insn[], subprogs: readonly Subprog[], summarize: CallSummarizer): FastcallInfo {
  const info: FastcallInfo = {
    pattern: zeroedU8(insns.length),
    spills: zeroedU8(insns.length),
    stackOff: new Int32Array(subprogs.length),
    keep: new Uint8Array(subprogs.length),
  };
  subprogs.forEach((sp, s) => {
    // The lowest offset any 8-byte register spill of the subprogram uses: patterns start there.
    let lowest = 0;
    for (let i = sp.start; i < sp.end; i++) {
      const ins = insns[i]!;
      if (ins.code === STX_DW && ins.dst === 10 && ins.off < lowest) lowest = ins.off;
    }
    for (let i = sp.start; i < sp.end; i++) {
      if (insns[i]!.code === (op.BPF_JMP | op.BPF_CALL)) markPatternForCall(insns, info, s, i, lowest, summarize);
    }
  });
  return info;
}

/** mark_fastcall_pattern_for_call. */
function markPatternForCall(insns: readonly Insn[], info: FastcallInfo, sub: number, pc: number, lowest: number, summarize: CallSummarizer): void {
  const cs = summarize(insns[pc]!);
  if (!cs) return;
  // Registers the call clobbers as if it followed the contract: r0 unless void, and its parameters.
  let clobbered = 0;
  for (let r = cs.isVoid ? 1 : 0; r <= cs.numParams; r++) clobbered |= 1 << r;
  let expected = ~clobbered & ALL_CALLER_SAVED;
  let i = 1;
  let off = lowest;
  for (; i <= 6; i++, off += BPF_REG_SIZE) {
    if (pc - i < 0 || pc + i >= insns.length) break;
    const stx = insns[pc - i]!;
    const ldx = insns[pc + i]!;
    if (stx.code !== STX_DW || ldx.code !== LDX_DW || stx.dst !== 10 || ldx.src !== 10) break;
    if (stx.src !== ldx.dst) break;
    if (((1 << stx.src) & expected) === 0) break;
    if (stx.off !== off || ldx.off !== off) break;
    expected &= ~(1 << stx.src);
    info.pattern[pc - i] = 1;
    info.pattern[pc + i] = 1;
  }
  if (i === 1) return;
  // A pattern around a call this kernel does not inline stays (compilers may mark more functions
  // bpf_fastcall than a kernel inlines), and the region then stays too.
  if (cs.fastcall) info.spills[pc] = i - 1;
  else info.keep[sub] = 1;
  info.stackOff[sub] = Math.min(info.stackOff[sub]!, off);
}

/**
 * check_fastcall_stack_contract: a stack access at `off` by an instruction that is not part of a
 * pattern, into the region of the current subprogram, turns the contract off for that subprogram.
 */
export function checkFastcallStackContract(info: FastcallInfo, subprogs: readonly Subprog[], sub: number, pc: number, off: number): void {
  if (info.stackOff[sub]! <= off || info.pattern[pc]) return;
  info.stackOff[sub] = CONTRACT_BROKEN;
  const sp = subprogs[sub]!;
  info.spills.fill(0, sp.start, sp.end);
  info.pattern.fill(0, sp.start, sp.end);
}

/**
 * remove_fastcall_spills_fills's effect on stack depths: a subprogram whose patterns are removed
 * uses only the stack above its fastcall region. `depths` are the deepest bytes touched, per subprogram.
 */
export function depthsWithoutFastcallSpills(info: FastcallInfo, subprogs: readonly Subprog[], depths: number[]): number[] {
  return depths.map((d, s) => {
    const sp = subprogs[s]!;
    let removed = false;
    for (let i = sp.start; i < sp.end && !removed; i++) if (info.spills[i]! > 0) removed = true;
    return removed && !info.keep[s] ? -info.stackOff[s]! : d;
  });
}
