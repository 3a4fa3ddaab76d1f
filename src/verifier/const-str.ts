/**
 * check_reg_const_str (ARG_PTR_TO_CONST_STR: bpf_snprintf's format, bpf_strncmp's second string):
 * the string must lie in a frozen read-only map (libbpf's .rodata) at a constant offset and be
 * NUL-terminated within the value, so the helper reads bytes that never change.
 */
import type { Env } from './env.js';
import { checkHelperMem } from './memory.js';

const BPF_F_RDONLY_PROG = 1 << 7;

/** After check_reg_type made sure register `regno` is a map value pointer. */
export function checkConstStr(env: Env, regno: number): void {
  const r = env.reg(regno);
  const m = env.map(r.map);
  // bpf_map_is_rdonly: BPF_F_RDONLY_PROG and frozen (bpflab's `readonly`: the maps libbpf freezes)
  if (!m.readonly || (m.flags & BPF_F_RDONLY_PROG) === 0) env.reject('helper_arg', `R${regno} does not point to a readonly map'`);
  const c = env.dom.constValue(r.v);
  if (c === undefined) env.reject('helper_arg', `R${regno} is not a constant address'`);
  // map_direct_value_addr: only arrays hand out the address of their value
  if (m.type !== 'array') env.reject('helper_arg', 'no direct value access support for this map type');
  checkHelperMem(env, regno, m.valueSize - r.off, false, false, false);
  const at = r.off + Number(c);
  if (at >= m.valueSize) env.reject('helper_arg', 'direct value access on string failed');
  // the frozen contents: what libbpf wrote before freezing (zeros where it wrote nothing)
  for (let i = at; i < m.valueSize; i++) if ((m.initial?.[i] ?? 0) === 0) return;
  env.reject('helper_arg', 'string is not zero-terminated');
}
