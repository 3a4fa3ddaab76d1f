/**
 * Per-subprogram effects that check_cfg summarizes (mark_subprog_might_sleep, ..._might_throw and
 * merge_callee_effects): a subprogram has the effect when one of its own instructions has it, or
 * when it calls a subprogram that has it. The verifier consults them where it does not descend
 * into the callee: at a call to a global function.
 */
import * as op from '../isa/opcodes.js';
import type { Insn } from '../isa/insn.js';
import type { Env } from './env.js';

/** For every subprogram, 1 when an instruction of its own (`has`) or of a callee has the effect. */
export function subprogEffect(env: Env, has: (ins: Insn, pc: number) => boolean): Uint8Array {
  const subs = env.cfg.subprogs;
  const out = new Uint8Array(subs.length);
  const callees: number[][] = subs.map(() => []);
  const ofPc = (pc: number): number => subs.findIndex((s) => s.start <= pc && pc < s.end);
  for (let i = 0; i < subs.length; i++) {
    for (let pc = subs[i]!.start; pc < subs[i]!.end; pc++) {
      const ins = env.insns[pc]!;
      if (ins.code !== (op.BPF_JMP | op.BPF_CALL)) continue;
      if (ins.src === op.BPF_PSEUDO_CALL) {
        const callee = ofPc(pc + 1 + ins.imm);
        if (callee >= 0) callees[i]!.push(callee);
      } else if (has(ins, pc)) out[i] = 1;
    }
  }
  // Through calls, direct or not: iterate to a fixed point (the call graph is acyclic).
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 0; i < subs.length; i++) if (!out[i] && callees[i]!.some((c) => out[c])) { out[i] = 1; changed = true; }
  }
  return out;
}

/** is_bpf_throw_kfunc: a kfunc call (of vmlinux) to bpf_throw. */
export function isThrowCall(env: Env, pc: number): boolean {
  const ins = env.insns[pc]!;
  if (ins.code !== (op.BPF_JMP | op.BPF_CALL) || ins.src !== op.BPF_PSEUDO_KFUNC_CALL || ins.off !== 0) return false;
  const t = env.kernelBtf().type(ins.imm);
  return t?.kind === 'func' && t.name === 'bpf_throw';
}

/** subprog_info[].might_throw (3d562d35a044, in the running 6.18.44): the subprogram may call bpf_throw. */
export const subprogsMightThrow = (env: Env): Uint8Array => subprogEffect(env, (_ins, pc) => isThrowCall(env, pc));
