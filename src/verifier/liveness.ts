/**
 * Static register liveness (as the kernel's compute_live_registers): for every instruction the
 * registers whose current value may still be read. State pruning ignores dead registers, which
 * is what lets paths that differ only in dead values meet.
 */
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import { EDGE_KINDS, type Cfg } from './cfg.js';
import { zeroedU16 } from './flat-arrays.js';

const R = (...regs: number[]): number => regs.reduce((m, r) => m | (1 << r), 0);
const ARGS = R(1, 2, 3, 4, 5);
const CALLER_SAVED = R(0, 1, 2, 3, 4, 5);
const ALL = 0x7ff;

/**
 * The number of arguments a helper or kfunc call takes (the kernel's get_call_summary:
 * num_params), or undefined when unknown (bpf-to-bpf calls, unknown helpers): then r1-r5.
 */
export type CallParams = (ins: Insn) => number | undefined;

/** Registers an instruction reads (use) and writes (def), as bit masks. */
function useDef(ins: Insn, out: Uint16Array, pc: number, callParams?: CallParams, legacyReadsAll = true): void {
  const c = op.cls(ins.code);
  const d = 1 << ins.dst;
  const s = 1 << ins.src;
  let use = 0;
  let def = 0;
  switch (c) {
    case op.BPF_ALU:
    case op.BPF_ALU64: {
      const o = op.aluOp(ins.code);
      const x = op.srcBit(ins.code) === op.BPF_X;
      if (o === op.BPF_MOV) { use = x ? s : 0; def = d; } else if (o === op.BPF_NEG || o === op.BPF_END) { use = d; def = d; } else { use = d | (x ? s : 0); def = d; }
      break;
    }
    case op.BPF_LDX: use = s; def = d; break;
    case op.BPF_ST: use = d; break;
    case op.BPF_STX:
      if (op.mode(ins.code) === op.BPF_ATOMIC) {
        if (ins.imm === op.BPF_CMPXCHG) { use = d | s | 1; def = 1; }
        else if (ins.imm === op.BPF_LOAD_ACQ) { use = s; def = d; }
        else if (ins.imm === op.BPF_STORE_REL) use = d | s;
        else { use = d | s; def = ins.imm & op.BPF_FETCH ? s : 0; }
      } else use = d | s;
      break;
    case op.BPF_LD:
      // compute_insn_live_regs keeps its defaults for legacy packet loads (LD_ABS/LD_IND): every
      // register is read and none written, so all of them stay live across such a load.
      if (ins.code === op.BPF_LD_IMM64) def = d;
      else if (legacyReadsAll) { use = ALL; def = 0; }
      // what such a load really reads (r6, the index) and clobbers (r0-r5)
      else { use = R(6) | (op.mode(ins.code) === op.BPF_IND ? s : 0); def = CALLER_SAVED; }
      break;
    case op.BPF_JMP:
    case op.BPF_JMP32: {
      const o = op.jmpOp(ins.code);
      if (o === op.BPF_EXIT) use = R(0);
      else if (o === op.BPF_CALL) {
        // compute_insn_live_regs: a helper or kfunc reads only its declared arguments.
        const n = ins.src === op.BPF_PSEUDO_CALL ? undefined : callParams?.(ins);
        use = n === undefined ? ARGS : ((1 << (n + 1)) - 2) & ARGS;
        def = CALLER_SAVED;
      } else if (o !== op.BPF_JA && o !== op.BPF_JCOND) use = d | (op.srcBit(ins.code) === op.BPF_X ? s : 0);
      break;
    }
  }
  out[2 * pc] = use;
  out[2 * pc + 1] = def;
}

/** Live-in register masks, one per slot (bit r set when register r may be read later). */
export function liveRegisters(insns: readonly Insn[], cfg: Cfg, callParams?: CallParams, { legacyReadsAll = true }: { legacyReadsAll?: boolean } = {}): Uint16Array {
  const n = insns.length;
  const live = zeroedU16(n);
  const ud = zeroedU16(2 * n);
  for (let pc = 0; pc < n; pc++) if (!cfg.second[pc]) useDef(insns[pc]!, ud, pc, callParams, legacyReadsAll);
  const { succCount, succTo, succKind, second } = cfg;
  const CALL_EDGE = EDGE_KINDS.indexOf('call');
  // Backward fixpoint over the intra-procedural successors (a call continues at the next insn).
  // When every edge leads forward (no loop, no jump back), the first pass from the last
  // instruction back computes each instruction from its successors' final masks: the solution is
  // reached, and a pass to confirm it would change nothing.
  let changed = true;
  while (changed) {
    changed = false;
    let backward = false;
    for (let pc = n - 1; pc >= 0; pc--) {
      if (second[pc]) continue;
      let out = 0;
      for (let i = 2 * pc; i < 2 * pc + succCount[pc]!; i++) {
        const t = succTo[i]!;
        if (succKind[i] !== CALL_EDGE && t >= 0 && t < n) {
          out |= live[t]!;
          if (t <= pc) backward = true;
        }
      }
      const inn = ud[2 * pc]! | (out & ~ud[2 * pc + 1]!);
      if (inn !== live[pc]) { live[pc] = inn; changed = true; }
    }
    if (!backward) break;
  }
  return live;
}

// ---- stack liveness (Linux 6.18's liveness.c: stack-liveness.ts), as the verifier's checks report accesses ----

import type { Env } from './env.js';

/** bpf_mark_stack_read: the current instruction reads bpflab stack slot `slot` (bytes fp-512+8*slot..) of frame `frame`. */
export function markStackRead(env: Env, frame: number, slot: number): void {
  env.stackLive.markRead(env.cur, frame, env.pc, 63 - slot);
}

/** bpf_mark_stack_write: the current instruction writes all 8 bytes of slot `slot` of frame `frame`. */
export function markStackWritten(env: Env, frame: number, slot: number): void {
  env.stackLive.markWrite(frame, 63 - slot);
}
