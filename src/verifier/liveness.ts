/**
 * Static register liveness (as the kernel's compute_live_registers): for every instruction the
 * registers whose current value may still be read. State pruning ignores dead registers, which
 * is what lets paths that differ only in dead values meet.
 */
import type { Insn } from '../isa/insn.js';
import * as op from '../isa/opcodes.js';
import type { Cfg } from './cfg.js';

const R = (...regs: number[]): number => regs.reduce((m, r) => m | (1 << r), 0);
const ARGS = R(1, 2, 3, 4, 5);
const CALLER_SAVED = R(0, 1, 2, 3, 4, 5);

function useDef(ins: Insn): { use: number; def: number } {
  const c = op.cls(ins.code);
  const d = 1 << ins.dst;
  const s = 1 << ins.src;
  switch (c) {
    case op.BPF_ALU:
    case op.BPF_ALU64: {
      const o = op.aluOp(ins.code);
      const x = op.srcBit(ins.code) === op.BPF_X;
      if (o === op.BPF_MOV) return { use: x ? s : 0, def: d };
      if (o === op.BPF_NEG || o === op.BPF_END) return { use: d, def: d };
      return { use: d | (x ? s : 0), def: d };
    }
    case op.BPF_LDX: return { use: s, def: d };
    case op.BPF_ST: return { use: d, def: 0 };
    case op.BPF_STX: {
      if (op.mode(ins.code) === op.BPF_ATOMIC) {
        if (ins.imm === op.BPF_CMPXCHG) return { use: d | s | 1, def: 1 };
        return { use: d | s, def: ins.imm & op.BPF_FETCH ? s : 0 };
      }
      return { use: d | s, def: 0 };
    }
    case op.BPF_LD: {
      if (ins.code === op.BPF_LD_IMM64) return { use: 0, def: d };
      const m = op.mode(ins.code);
      return { use: R(6) | (m === op.BPF_IND ? s : 0), def: CALLER_SAVED };
    }
    case op.BPF_JMP:
    case op.BPF_JMP32: {
      const o = op.jmpOp(ins.code);
      if (o === op.BPF_JA) return { use: 0, def: 0 };
      if (o === op.BPF_EXIT) return { use: R(0), def: 0 };
      if (o === op.BPF_CALL) return { use: ARGS, def: CALLER_SAVED };
      return { use: d | (op.srcBit(ins.code) === op.BPF_X ? s : 0), def: 0 };
    }
  }
  return { use: 0, def: 0 };
}

/** Live-in register masks, one per slot (bit r set when register r may be read later). */
export function liveRegisters(insns: readonly Insn[], cfg: Cfg): Uint16Array {
  const n = insns.length;
  const live = new Uint16Array(n);
  const ud = insns.map(useDef);
  const succs: number[][] = new Array(n);
  for (let pc = 0; pc < n; pc++) {
    if (cfg.second[pc]) { succs[pc] = []; continue; }
    const ins = insns[pc]!;
    const next = ins.code === op.BPF_LD_IMM64 ? pc + 2 : pc + 1;
    const c = op.cls(ins.code);
    if (c !== op.BPF_JMP && c !== op.BPF_JMP32) { succs[pc] = next < n ? [next] : []; continue; }
    const o = op.jmpOp(ins.code);
    if (o === op.BPF_EXIT) succs[pc] = [];
    else if (o === op.BPF_CALL) succs[pc] = next < n ? [next] : [];
    else if (o === op.BPF_JA) succs[pc] = [pc + 1 + (c === op.BPF_JMP32 ? ins.imm : ins.off)];
    else succs[pc] = [next, pc + 1 + ins.off].filter((t) => t < n);
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (let pc = n - 1; pc >= 0; pc--) {
      if (cfg.second[pc]) continue;
      let out = 0;
      for (const t of succs[pc]!) out |= live[t]!;
      const { use, def } = ud[pc]!;
      const inn = use | (out & ~def);
      if (inn !== live[pc]) { live[pc] = inn; changed = true; }
    }
  }
  return live;
}

// ---- stack liveness (the kernel's REG_LIVE_READ marks on stack slots) ----

import type { Env } from './env.js';
import type { Checkpoint } from './state.js';

export const SLOTS_PER_FRAME = 64;

/** A read of stack slot `slot` of frame `frame` by the current path: every checkpoint back to the last write needs it. */
export function markStackRead(env: Env, frame: number, slot: number): void {
  let w = env.cur.written;
  let p: Checkpoint | null = env.cur.parent;
  while (p) {
    if (w[frame]?.[slot]) return;
    const r = p.read[frame];
    if (!r || r[slot]) return;
    r[slot] = 1;
    w = p.written;
    p = p.parent;
  }
}

/** A full 8-byte write of a slot: older values are dead from here on this path. */
export function markStackWritten(env: Env, frame: number, slot: number): void {
  const w = env.cur.written[frame];
  if (w) w[slot] = 1;
}

/** propagate_liveness: a path pruned against `cp` reads what the paths from `cp` read. */
export function propagateStackReads(env: Env, cp: Checkpoint): void {
  cp.read.forEach((r, frame) => { for (let k = 0; k < SLOTS_PER_FRAME; k++) if (r[k]) markStackRead(env, frame, k); });
}
