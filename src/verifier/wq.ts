/**
 * BPF workqueues (struct bpf_wq in a map value): the kfuncs bpf_wq_init, bpf_wq_set_callback_impl
 * and bpf_wq_start take the workqueue as KF_ARG_PTR_TO_WORKQUEUE (process_wq_func), bpf_wq_init
 * names its map as a `__map` argument that must be the workqueue's own map, and
 * bpf_wq_set_callback_impl queues its callback as an asynchronous path (push_callback_call with
 * set_timer_callback_state: map, key and value of the workqueue's map, return 0).
 *
 * A workqueue callback is sleepable (push_async_cb with is_sleepable set); the running 6.18
 * kernel refuses one in a program that is not sleepable: "sleepable callback in a program that
 * is not sleepable", then "kfunc bpf_wq_set_callback_impl#ID failed callback verification".
 * In a sleepable program the callback path is as sleepable as the program, which is what
 * bpflab's per-program sleepable flag gives it.
 */
import type { Btf, BtfParam } from '../loader/btf/index.js';
import type { Env } from './env.js';
import { mapRecord, recordField } from './map-record.js';
import { T } from './reg-types.js';
import { pushAsyncCallback } from './callbacks.js';

/** What the workqueue arguments of one kfunc call named (bpf_kfunc_call_arg_meta.map). */
export interface WqCall {
  /** The map of the workqueue or `__map` argument seen so far (-1: none). */
  map: number;
}

/** is_kfunc_arg_wq: a `struct bpf_wq *` argument. */
export function isWqParam(btf: Btf, p: BtfParam): boolean {
  const t = btf.skipMods(p.type);
  if (t?.kind !== 'ptr') return false;
  const pointee = btf.skipMods(t.type);
  return pointee?.kind === 'struct' && pointee.name === 'bpf_wq';
}

/** KF_ARG_PTR_TO_WORKQUEUE: a map value pointer at the map's bpf_wq field (process_wq_func). */
export function checkWqArg(env: Env, i: number, call: WqCall): void {
  const regno = i + 1;
  const r = env.readReg(regno);
  if (r.type !== T.PTR_TO_MAP_VALUE) env.reject('helper_arg', `arg#${i} doesn't point to a map value`);
  // process_wq_func compares var_off.value + off with the record's wq_off
  const val = env.dom.constValue(r.v) ?? env.dom.tnum(r.v).value;
  const off = BigInt.asIntN(64, val) + BigInt(r.off);
  const f = recordField(mapRecord(env.prog, env.map(r.map)), 'wq');
  const wqOff = f ? f.off : -1;
  if (BigInt(wqOff) !== off) env.reject('helper_arg', `off ${off} doesn't point to 'struct bpf_wq' that is at ${wqOff}`);
  call.map = r.map;
}

/**
 * KF_ARG_PTR_TO_MAP after a workqueue argument: the map must be the workqueue's own
 * (map_uid 0 outside map-in-map) when that map holds a workqueue.
 */
export function checkWqMapArg(env: Env, regno: number, call: WqCall): void {
  const r = env.reg(regno);
  if (r.type !== T.CONST_PTR_TO_MAP) return;
  const hasWq = !!recordField(mapRecord(env.prog, env.map(r.map)), 'wq');
  if (call.map >= 0 && hasWq && call.map !== r.map)
    env.reject('helper_arg', `workqueue pointer in R1 map_uid=0 doesn't match map pointer in R${regno} map_uid=0`);
  call.map = r.map;
}

/** push_callback_call for bpf_wq_set_callback_impl, once its arguments are checked. */
export function wqCallback(env: Env, name: string, btfId: number, subprog: number | undefined, call: WqCall): void {
  if (name !== 'bpf_wq_set_callback_impl') return;
  if (subprog === undefined || subprog < 0) env.reject('helper_arg', 'callback function not found');
  if (!env.sleepable)
    env.reject('helper_prog_type', 'sleepable callback in a program that is not sleepable', [`kfunc ${name}#${btfId} failed callback verification`]);
  pushAsyncCallback(env, subprog, call.map);
}
