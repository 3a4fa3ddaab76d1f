/**
 * Loads through a map pointer (CONST_PTR_TO_MAP), as check_ptr_to_map_access does: the map is
 * the kernel struct its ops name in map_btf_id (struct bpf_array for arrays, bpf_htab for hashes,
 * ...), read like a trusted-less PTR_TO_BTF_ID of that struct; writes are refused. Programs use it
 * to read map->max_entries and the like (CO-RE'd `struct bpf_map` fields).
 */
import { MAP_BTF_STRUCT } from '../runtime/maps/kernel-struct.js';
import { btfStructLoad, setBtfLoaded } from './btf-access.js';
import type { Env } from './env.js';
import { T } from './reg-types.js';
import type { Reg } from './state.js';

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
  const res = btfStructLoad(btf, { type: T.PTR_TO_BTF_ID, btfId: t.id }, off, size, false, false);
  if (typeof res === 'string') env.reject('invalid_mem_access', res);
  setBtfLoaded(env, dst, res, loadedScalar);
}
