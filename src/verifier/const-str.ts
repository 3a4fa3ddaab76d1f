/**
 * check_reg_const_str (ARG_PTR_TO_CONST_STR: bpf_snprintf's format, bpf_strncmp's second string):
 * the string must lie in a frozen read-only map (libbpf's .rodata) at a constant offset and be
 * NUL-terminated within the value, so the helper reads bytes that never change.
 */
import { formatPrintf } from '../runtime/helpers/impl/printf.js';
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

/**
 * check_bpf_snprintf_call, after the arguments are checked: the data (r4) is an array of u64 whose
 * length r5 gives, and the constant format (r3, checked by checkConstStr) must be one
 * bpf_bprintf_prepare accepts with that many arguments.
 */
export function checkSnprintfFormat(env: Env): void {
  const len = env.dom.tnum(env.reg(5).v).value;
  // The kernel refuses a length that is no multiple of 8 with -EINVAL and no log line.
  if (len % 8n !== 0n) env.reject('helper_arg', 'bpf_snprintf data_len is not a multiple of 8');
  const r = env.reg(3);
  const m = env.map(r.map);
  const at = r.off + Number(env.dom.constValue(r.v)!);
  const bytes: number[] = [];
  for (let i = at; i < m.valueSize && (m.initial?.[i] ?? 0) !== 0; i++) bytes.push(m.initial![i]!);
  const args = Array.from({ length: Number(len / 8n) }, () => 0n);
  if (formatPrintf(String.fromCharCode(...bytes), { args, str: () => '', bytes: () => null }) === null)
    env.reject('helper_arg', 'Invalid format string');
}
