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
import { subprogEffect } from './subprog-effects.js';

export function subprogsMightSleep(env: Env): Uint8Array {
  return subprogEffect(env, (ins) => {
    if (ins.src === 0) return helperProto(ins.imm)?.mightSleep === true;
    if (ins.src !== op.BPF_PSEUDO_KFUNC_CALL || ins.off !== 0) return false;
    return ((KFUNC_FLAGS[env.kernelBtf().type(ins.imm)?.name ?? ''] ?? 0) & KF_SLEEPABLE) !== 0;
  });
}
