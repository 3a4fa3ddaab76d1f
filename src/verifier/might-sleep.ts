/**
 * subprog_info[].might_sleep (mark_subprog_might_sleep in check_cfg, 6.18): a subprogram that
 * calls a helper that may sleep or a sleepable kfunc, or calls a subprogram that may. Used when
 * a global function is called where sleeping is not allowed (RCU or preempt-disabled sections,
 * non-sleepable programs).
 */
import * as op from '../isa/opcodes.js';
import type { Env } from './env.js';
import { KFUNC_FLAGS, KF_SLEEPABLE } from './kfuncs.js';
import { helperProto } from '../runtime/helpers/prototypes.js';

export function subprogsMightSleep(env: Env): Uint8Array {
  const subs = env.cfg.subprogs;
  const out = new Uint8Array(subs.length);
  const callees: number[][] = subs.map(() => []);
  const ofPc = (pc: number): number => subs.findIndex((s) => s.start <= pc && pc < s.end);
  for (let i = 0; i < subs.length; i++) {
    for (let pc = subs[i]!.start; pc < subs[i]!.end; pc++) {
      const ins = env.insns[pc]!;
      if (ins.code !== (op.BPF_JMP | op.BPF_CALL)) continue;
      if (ins.src === 0 && helperProto(ins.imm)?.mightSleep) out[i] = 1;
      else if (ins.src === op.BPF_PSEUDO_KFUNC_CALL && ins.off === 0) {
        const flags = KFUNC_FLAGS[env.kernelBtf().type(ins.imm)?.name ?? ''] ?? 0;
        if (flags & KF_SLEEPABLE) out[i] = 1;
      } else if (ins.src === op.BPF_PSEUDO_CALL) {
        const callee = ofPc(pc + 1 + ins.imm);
        if (callee >= 0) callees[i]!.push(callee);
      }
    }
  }
  // Through calls, direct or not: iterate to a fixed point (the call graph is acyclic).
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 0; i < subs.length; i++) if (!out[i] && callees[i]!.some((c) => out[c])) { out[i] = 1; changed = true; }
  }
  return out;
}
