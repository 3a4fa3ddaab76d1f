/**
 * Asynchronous work in a map value, scheduled by kfuncs: BPF workqueues (struct bpf_wq:
 * bpf_wq_init, bpf_wq_set_callback_impl, bpf_wq_start) and task work (struct bpf_task_work:
 * bpf_task_work_schedule_signal_impl / _resume_impl). The object is a KF_ARG_PTR_TO_WORKQUEUE /
 * KF_ARG_PTR_TO_TASK_WORK argument (a map value pointer at the record's field), the `__map`
 * argument that follows must be the object's own map, and the callback is queued as an
 * asynchronous path (push_callback_call: map, key and value of that map as arguments), returning 0
 * for a workqueue and any s32 for task work.
 *
 * Both callbacks are sleepable (push_async_cb with is_sleepable set); the running 6.18 kernel
 * refuses them in a program that is not sleepable: "sleepable callback in a program that is not
 * sleepable", then "kfunc NAME#ID failed callback verification"; so the callback's path is as
 * sleepable as the program.
 */
import type { Btf, BtfParam } from '../loader/btf/index.js';
import type { Env } from './env.js';
import { mapRecord, recordField } from './map-record.js';
import { checkFieldArg } from './locks.js';
import { T, base } from './reg-types.js';
import { pushAsyncCallback } from './callbacks.js';

type AsyncKind = 'wq' | 'task_work';

/** What the async-object arguments of one kfunc call named (bpf_kfunc_call_arg_meta.map). */
export interface AsyncObjCall {
  /** The map of the object or `__map` argument seen so far (-1: none). */
  map: number;
  /** The object's kind and register, for the mismatch message. */
  kind?: AsyncKind;
  regno?: number;
}

const STRUCT: Record<AsyncKind, string> = { wq: 'bpf_wq', task_work: 'bpf_task_work' };
/** The kernel's name for the object in the map-mismatch message. */
const MISMATCH_NAME: Record<AsyncKind, string> = { wq: 'workqueue', task_work: 'bpf_task_work' };
/** The callback-queuing kfuncs and their callbacks' return ranges. */
const CALLBACK_KFUNCS: Readonly<Record<string, readonly [bigint, bigint]>> = {
  bpf_wq_set_callback_impl: [0n, 0n],
  bpf_task_work_schedule_signal_impl: [-(1n << 31n), (1n << 31n) - 1n],
  bpf_task_work_schedule_resume_impl: [-(1n << 31n), (1n << 31n) - 1n],
};

/** is_kfunc_arg_wq / is_kfunc_arg_task_work: a `struct bpf_wq *` or `struct bpf_task_work *` argument. */
export function asyncObjParam(btf: Btf, p: BtfParam): AsyncKind | undefined {
  const t = btf.skipMods(p.type);
  if (t?.kind !== 'ptr') return undefined;
  const pointee = btf.skipMods(t.type);
  if (pointee?.kind !== 'struct') return undefined;
  return pointee.name === 'bpf_wq' ? 'wq' : pointee.name === 'bpf_task_work' ? 'task_work' : undefined;
}

/** KF_ARG_PTR_TO_WORKQUEUE / KF_ARG_PTR_TO_TASK_WORK: a map value pointer at the map's field (process_wq_func). */
export function checkAsyncObjArg(env: Env, i: number, kind: AsyncKind, call: AsyncObjCall): void {
  const regno = i + 1;
  const r = env.readReg(regno);
  if (r.type !== T.PTR_TO_MAP_VALUE) env.reject('helper_arg', `arg#${i} doesn't point to a map value`);
  // check_map_field_pointer: a constant offset, a map with BTF, the record's field, exactly there
  checkFieldArg(env, regno, r, kind, STRUCT[kind]);
  call.map = r.map;
  call.kind = kind;
  call.regno = regno;
}

/**
 * KF_ARG_PTR_TO_MAP after an async-object argument: the map must be the object's own
 * (map_uid 0 outside map-in-map).
 */
export function checkAsyncObjMapArg(env: Env, regno: number, call: AsyncObjCall): void {
  const r = env.reg(regno);
  // reg->map_ptr: a map pointer, key or value names its map; it shares a union with a
  // PTR_TO_BTF_ID's btf, so a kernel `struct bpf_map *` (an iterator's map) passes too.
  if (r.map < 0) {
    if (base(r.type) !== T.PTR_TO_BTF_ID) env.reject('helper_arg', `pointer in R${regno} isn't map pointer`);
    return;
  }
  // Once the object named its map (meta->map.ptr), any other map is refused, one without such an
  // object too (the running 6.18 kernel: bpf_wq_init(&wq_value->w, &plain_array) is refused), so
  // the object's map decides, not the argument's.
  const rec = call.map >= 0 ? mapRecord(env.prog, env.map(call.map)) : null;
  const holds = !!recordField(rec, 'wq') || !!recordField(rec, 'task_work');
  if (call.map >= 0 && holds && call.map !== r.map)
    env.reject('helper_arg', `${MISMATCH_NAME[call.kind ?? 'wq']} pointer in R${call.regno ?? 1} map_uid=${env.mapUid(call.map)} doesn't match map pointer in R${regno} map_uid=${env.mapUid(r.map)}`);
  call.map = r.map;
}

/** push_callback_call for the callback-queuing kfuncs, once their arguments are checked. */
export function asyncObjCallback(env: Env, name: string, btfId: number, subprog: number | undefined, call: AsyncObjCall): void {
  const ret = CALLBACK_KFUNCS[name];
  if (!ret) return;
  if (subprog === undefined || subprog < 0) env.reject('helper_arg', 'callback function not found');
  if (!env.sleepable)
    env.reject('helper_prog_type', 'sleepable callback in a program that is not sleepable', [`kfunc ${name}#${btfId} failed callback verification`]);
  pushAsyncCallback(env, subprog, call.map, ret);
}
