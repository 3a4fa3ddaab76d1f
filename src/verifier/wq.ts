/**
 * BPF workqueues (struct bpf_wq in a map value), as 6.18's verifier checks their kfuncs:
 * - a `struct bpf_wq *` argument (KF_ARG_PTR_TO_WORKQUEUE) must point into a map value, exactly at
 *   the value's bpf_wq field (process_wq_func, check_map_field_pointer); it names the map;
 * - bpf_wq_init's `p__map` (KF_ARG_PTR_TO_MAP) must be a map pointer, and when the workqueue named
 *   a map first and the map holds a bpf_wq, the same map (map_uid: 0 outside map-in-map, which
 *   bpflab does not model);
 * - bpf_wq_set_callback_impl's callback runs later, like a bpf_timer's (push_async_cb with
 *   set_timer_callback_state: map, key, value), but in a sleepable context (the state's
 *   in_sleepable), so it may call sleepable kfuncs; the running kernel allows that callback only
 *   to sleepable programs.
 */
import type { Btf, BtfParam } from '../loader/btf/index.js';
import type { Env } from './env.js';
import type { Reg } from './state.js';
import { checkFieldArg } from './locks.js';
import { mapRecord, recordField } from './map-record.js';
import { pushAsyncCallback } from './callbacks.js';
import { T, base } from './reg-types.js';

/** The map the workqueue argument of one kfunc call named (the kernel's meta->map.ptr; -1: none). */
export interface WqCall {
  map: number;
}

/** is_kfunc_arg_wq: a pointer to struct bpf_wq. */
export function isWqParam(btf: Btf, p: BtfParam): boolean {
  const t = btf.skipMods(p.type);
  if (t?.kind !== 'ptr') return false;
  const pointee = btf.skipMods(t.type);
  return pointee?.kind === 'struct' && pointee.name === 'bpf_wq';
}

/** KF_ARG_PTR_TO_WORKQUEUE: a map value pointer at the value's bpf_wq (process_wq_func). */
export function processWqArg(env: Env, i: number, regno: number, r: Reg, call: WqCall): void {
  if (r.type !== T.PTR_TO_MAP_VALUE) env.reject('helper_arg', `arg#${i} doesn't point to a map value`);
  checkFieldArg(env, regno, r, 'wq', 'bpf_wq');
  call.map = r.map;
}

/**
 * KF_ARG_PTR_TO_MAP's own checks (before the struct bpf_map ones): the register must carry a map
 * pointer (reg->map_ptr: a map pointer, key or value; it shares a union with a PTR_TO_BTF_ID's
 * btf, so a kernel `struct bpf_map *` passes too), and when the workqueue argument named a map
 * and this map holds a bpf_wq or a bpf_task_work, it must be that map.
 */
export function checkKfuncMapArg(env: Env, regno: number, r: Reg, call: WqCall): void {
  if (r.map < 0) {
    if (base(r.type) !== T.PTR_TO_BTF_ID) env.reject('helper_arg', `pointer in R${regno} isn't map pointer`);
    return;
  }
  const rec = mapRecord(env.prog, env.map(r.map));
  const taskWork = !!recordField(rec, 'task_work');
  if (call.map >= 0 && (recordField(rec, 'wq') || taskWork) && call.map !== r.map) {
    if (taskWork) env.reject('helper_arg', "bpf_task_work pointer in R2 map_uid=0 doesn't match map pointer in R3 map_uid=0");
    env.reject('helper_arg', "workqueue pointer in R1 map_uid=0 doesn't match map pointer in R2 map_uid=0");
  }
  call.map = r.map;
}

/**
 * check_kfunc_call after the arguments: bpf_wq_set_callback_impl's callback is verified on a path
 * of its own, sleepable, with the workqueue's map, key and value as arguments.
 */
export function wqCallbacks(env: Env, name: string, subprog: number | undefined, call: WqCall): void {
  if (name !== 'bpf_wq_set_callback_impl') return;
  // The 6.18 kernel these verdicts come from refuses a sleepable callback to a program that is not
  // itself sleepable (a tc program's workqueue; a syscall program's is accepted).
  if (!env.progSleepable)
    env.reject('helper_prog_type', 'sleepable callback in a program that is not sleepable', [`kfunc ${name}#${env.insns[env.pc]!.imm} failed callback verification`]);
  pushAsyncCallback(env, subprog ?? -1, call.map, true);
}
