/**
 * check_map_func_compatibility: which helpers a map type may be passed to, and which map types a
 * helper accepts (both directions, as the kernel checks them), plus may_update_sockmap's
 * program types. Helpers are named as in enum bpf_func_id.
 */
import { MAP_TYPES, type MapType, type ProgType } from '../isa/program.js';
import { helperId } from '../runtime/helpers/prototypes.js';

const ids = (...names: string[]): number[] => names.map((n) => {
  const id = helperId(n);
  if (id === undefined) throw new Error(`map-funcs: unknown helper ${n}`);
  return id;
});

/** Map types usable only with these helpers (the map's side of the check). */
const MAP_ONLY: Partial<Record<MapType, readonly number[]>> = {
  prog_array: ids('tail_call'),
  perf_event_array: ids('perf_event_read', 'perf_event_output', 'skb_output', 'perf_event_read_value', 'xdp_output'),
  ringbuf: ids('ringbuf_output', 'ringbuf_reserve', 'ringbuf_query', 'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr'),
  user_ringbuf: ids('user_ringbuf_drain'),
  stack_trace: ids('get_stackid'),
  cgroup_array: ids('skb_under_cgroup', 'current_task_under_cgroup'),
  cgroup_storage: ids('get_local_storage'),
  percpu_cgroup_storage: ids('get_local_storage'),
  devmap: ids('redirect_map', 'map_lookup_elem'),
  devmap_hash: ids('redirect_map', 'map_lookup_elem'),
  cpumap: ids('redirect_map'),
  xskmap: ids('redirect_map', 'map_lookup_elem'),
  array_of_maps: ids('map_lookup_elem'),
  hash_of_maps: ids('map_lookup_elem'),
  sockmap: ids('sk_redirect_map', 'sock_map_update', 'msg_redirect_map', 'sk_select_reuseport', 'map_lookup_elem'),
  sockhash: ids('sk_redirect_hash', 'sock_hash_update', 'msg_redirect_hash', 'sk_select_reuseport', 'map_lookup_elem'),
  reuseport_sockarray: ids('sk_select_reuseport'),
  queue: ids('map_peek_elem', 'map_pop_elem', 'map_push_elem'),
  stack: ids('map_peek_elem', 'map_pop_elem', 'map_push_elem'),
  sk_storage: ids('sk_storage_get', 'sk_storage_delete', 'kptr_xchg'),
  inode_storage: ids('inode_storage_get', 'inode_storage_delete', 'kptr_xchg'),
  task_storage: ids('task_storage_get', 'task_storage_delete', 'kptr_xchg'),
  cgrp_storage: ids('cgrp_storage_get', 'cgrp_storage_delete', 'kptr_xchg'),
  bloom_filter: ids('map_peek_elem', 'map_push_elem'),
};

/** Helpers that take only these map types (the helper's side). */
const FUNC_ONLY = new Map<number, readonly MapType[]>();
const need = (types: MapType[], ...names: string[]): void => { for (const id of ids(...names)) FUNC_ONLY.set(id, types); };
need(['prog_array'], 'tail_call');
need(['perf_event_array'], 'perf_event_read', 'perf_event_output', 'perf_event_read_value', 'skb_output', 'xdp_output');
need(['ringbuf'], 'ringbuf_output', 'ringbuf_reserve', 'ringbuf_query', 'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr');
need(['user_ringbuf'], 'user_ringbuf_drain');
need(['stack_trace'], 'get_stackid');
need(['cgroup_array'], 'current_task_under_cgroup', 'skb_under_cgroup');
need(['devmap', 'devmap_hash', 'cpumap', 'xskmap'], 'redirect_map');
need(['sockmap'], 'sk_redirect_map', 'msg_redirect_map', 'sock_map_update');
need(['sockhash'], 'sk_redirect_hash', 'msg_redirect_hash', 'sock_hash_update');
need(['cgroup_storage', 'percpu_cgroup_storage'], 'get_local_storage');
need(['reuseport_sockarray', 'sockmap', 'sockhash'], 'sk_select_reuseport');
need(['queue', 'stack'], 'map_pop_elem');
need(['queue', 'stack', 'bloom_filter'], 'map_peek_elem', 'map_push_elem');
need(['percpu_array', 'percpu_hash', 'lru_percpu_hash'], 'map_lookup_percpu_elem');
need(['sk_storage'], 'sk_storage_get', 'sk_storage_delete');
need(['inode_storage'], 'inode_storage_get', 'inode_storage_delete');
need(['task_storage'], 'task_storage_get', 'task_storage_delete');
need(['cgrp_storage'], 'cgrp_storage_get', 'cgrp_storage_delete');

const [UPDATE, DELETE] = ids('map_update_elem', 'map_delete_elem') as [number, number];
const TRACE_ITER = 28;

/**
 * may_update_sockmap: map_update_elem / map_delete_elem on a sockmap or sockhash only where the
 * program cannot hold a locked socket.
 */
function mayUpdateSockmap(id: number, type: ProgType, expectedAttachType: number | undefined): boolean {
  if (id !== UPDATE && id !== DELETE) return false;
  switch (type) {
    case 'tracing': return expectedAttachType === TRACE_ITER;
    case 'sock_ops': return id === DELETE;
    case 'socket_filter': case 'sched_cls': case 'sched_act': case 'xdp': case 'sk_reuseport': case 'flow_dissector': case 'sk_lookup':
      return true;
    default: return false;
  }
}

/**
 * The kernel's log lines when `map` may not be passed to helper `id` (the last one is the error),
 * or null when the pair is fine.
 */
export function mapFuncIncompatibility(map: MapType, id: number, helper: string, type: ProgType, expectedAttachType: number | undefined): string[] | null {
  const out: string[] = [];
  let bad = false;
  const only = MAP_ONLY[map];
  if (only && !only.includes(id)) {
    if (map === 'sockmap' || map === 'sockhash') {
      if (!mayUpdateSockmap(id, type, expectedAttachType)) {
        if (id === UPDATE || id === DELETE) out.push('cannot update sockmap in this context');
        bad = true;
      }
    } else bad = true;
  }
  const types = FUNC_ONLY.get(id);
  if (!bad && types && !types.includes(map)) bad = true;
  if (!bad) return null;
  out.push(`cannot pass map_type ${MAP_TYPES[map]} into func ${helper}`);
  return out;
}
