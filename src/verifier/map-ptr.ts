/**
 * Loads through a map pointer (CONST_PTR_TO_MAP), as check_ptr_to_map_access does: the map is
 * the kernel struct its ops name in map_btf_id (struct bpf_array for arrays, bpf_htab for hashes,
 * ...), read like a trusted-less PTR_TO_BTF_ID of that struct; writes are refused. Programs use it
 * to read map->max_entries and the like (CO-RE'd `struct bpf_map` fields).
 */
import type { MapType } from '../isa/program.js';
import { btfStructLoad, setBtfLoaded } from './btf-access.js';
import type { Env } from './env.js';
import { T } from './reg-types.js';
import type { Reg } from './state.js';

/** The struct each map type's ops declare in map_btf_id (kernel/bpf/*.c BTF_ID_LIST_SINGLE). */
const MAP_BTF_STRUCT: Partial<Record<MapType, string>> = {
  array: 'bpf_array', percpu_array: 'bpf_array', prog_array: 'bpf_array', perf_event_array: 'bpf_array',
  cgroup_array: 'bpf_array', array_of_maps: 'bpf_array',
  hash: 'bpf_htab', percpu_hash: 'bpf_htab', lru_hash: 'bpf_htab', lru_percpu_hash: 'bpf_htab', hash_of_maps: 'bpf_htab',
  ringbuf: 'bpf_ringbuf_map', user_ringbuf: 'bpf_ringbuf_map',
  lpm_trie: 'lpm_trie', stack_trace: 'bpf_stack_map', queue: 'bpf_queue_stack', stack: 'bpf_queue_stack',
  devmap: 'bpf_dtab', devmap_hash: 'bpf_dtab', cpumap: 'bpf_cpu_map', xskmap: 'xsk_map',
  sockmap: 'bpf_stab', sockhash: 'bpf_shtab', reuseport_sockarray: 'reuseport_array',
  sk_storage: 'bpf_local_storage_map', inode_storage: 'bpf_local_storage_map', task_storage: 'bpf_local_storage_map',
  cgrp_storage: 'bpf_local_storage_map', bloom_filter: 'bpf_bloom_filter', struct_ops: 'bpf_struct_ops_map',
  arena: 'bpf_arena', cgroup_storage: 'bpf_cgroup_storage_map', percpu_cgroup_storage: 'bpf_cgroup_storage_map',
};

/** check_ptr_to_map_access: a load of `size` bytes at `off` from map pointer R`regno` into R`dst`. */
export function checkMapPtrAccess(env: Env, regno: number, r: Reg, off: number, size: number, write: boolean, dst: number, loadedScalar: () => void): void {
  const m = env.map(r.map);
  const name = MAP_BTF_STRUCT[m.type];
  if (!name) env.reject('invalid_mem_access', `map_ptr access not supported for map type ${m.type}`);
  const btf = env.kernelBtf();
  const t = btf.find(name, 'struct')[0];
  if (!t) env.reject('invalid_insn', `the target kernel has no struct ${name}`);
  if (off < 0) env.reject('invalid_mem_access', `R${regno} is ${name} invalid negative access: off=${off}`);
  if (write) env.reject('readonly_write', `only read from ${name} is supported`);
  // the map reads as an untrusted PTR_TO_BTF_ID of its struct (mark_btf_ld_reg with no flags)
  const res = btfStructLoad(btf, { type: T.PTR_TO_BTF_ID, btfId: t.id }, off, size, false);
  if (typeof res === 'string') env.reject('invalid_mem_access', res);
  setBtfLoaded(env, dst, res, loadedScalar);
}
