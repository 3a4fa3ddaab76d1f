/**
 * Kernel-object pointers stored in map values (kptrs, `__kptr` / `__kptr_untrusted` fields):
 * what a load of the field yields (check_map_kptr_access with btf_ld_kptr_type), and the two
 * arguments of bpf_kptr_xchg (process_kptr_func for the field, map_kptr_match_type for the new
 * pointer). Only kptrs to kernel structs are modelled; a kptr to one of the program's own types
 * (bpf_obj_new objects, percpu kptrs) and uptrs are refused as unmodelled.
 */
import type { Env } from './env.js';
import { mapRecord, type RecordField } from './map-record.js';
import { structIdsMatch } from './btf-access.js';
import { MAYBE_NULL, MEM_RCU, PTR_TRUSTED, PTR_UNTRUSTED, T, base, typeName } from './reg-types.js';
import type { Reg } from './state.js';

/** rcu_protected_types (kernel/bpf/verifier.c): kernel structs freed only after an RCU grace period. */
const RCU_PROTECTED = new Set(['cgroup', 'css_set', 'task_struct', 'bpf_cpumask']);

/** The kernel BTF id of a kptr field's struct; a struct the kernel does not have is a program-local one. */
function kernelPointee(env: Env, f: RecordField): number {
  const t = f.pointee ? env.kernelBtf().find(f.pointee, 'struct')[0] : undefined;
  if (!t || f.type === 'percpu_kptr' || f.type === 'uptr')
    env.reject('unsupported', `bpflab does not model ${f.type === 'uptr' ? 'uptrs' : `kptrs to program-local types (struct ${f.pointee ?? '?'})`}`);
  return t.id;
}

/** The kptr field a constant-offset 8-byte access at `at` in a value of map `map` reads, if any. */
export function kptrFieldAt(env: Env, map: number, at: bigint, size: number): RecordField | undefined {
  if (size !== 8) return undefined;
  const rec = mapRecord(env.prog, env.map(map));
  return rec?.fields.find((f) => (f.type === 'kptr' || f.type === 'kptr_untrusted' || f.type === 'percpu_kptr' || f.type === 'uptr') && BigInt(f.off) === at);
}

/**
 * check_map_kptr_access for a load: r `dst` becomes a maybe-NULL kernel pointer, RCU-protected
 * for a referenced kptr to an RCU-freed struct inside an RCU section (btf_ld_kptr_type), untrusted otherwise.
 */
export function loadKptr(env: Env, f: RecordField, dst: Reg): void {
  const id = kernelPointee(env, f);
  const rcu = f.type === 'kptr' && RCU_PROTECTED.has(f.pointee!) && env.inRcu();
  env.markPtr(dst, T.PTR_TO_BTF_ID | MAYBE_NULL | (rcu ? MEM_RCU : PTR_UNTRUSTED));
  dst.memSize = id;
  dst.id = env.newId();
}

/** process_kptr_func: bpf_kptr_xchg's first argument, a map value pointer at a referenced kptr field. */
export function processKptrDest(env: Env, regno: number, r: Reg): RecordField {
  if (r.type !== T.PTR_TO_MAP_VALUE) {
    if (base(r.type) === T.PTR_TO_BTF_ID) env.reject('unsupported', 'bpflab does not model kptrs inside allocated objects');
    env.reject('helper_arg', `R${regno} type=${typeName(r.type)} expected=map_value, ptr_`);
  }
  const m = env.map(r.map);
  if (m.btfValueTypeId === undefined) env.reject('helper_arg', `map '${m.name}' has to have BTF in order to use bpf_kptr_xchg`);
  const c = env.dom.constValue(r.v);
  if (c === undefined) env.reject('helper_arg', `R${regno} doesn't have constant offset. kptr has to be at the constant offset`);
  const rec = mapRecord(env.prog, m);
  const kinds = ['kptr', 'kptr_untrusted', 'percpu_kptr', 'uptr'];
  if (!rec?.fields.some((f) => kinds.includes(f.type))) env.reject('helper_arg', `R${regno} has no valid kptr`);
  const at = BigInt(r.off) + c;
  const f = rec!.fields.find((x) => kinds.includes(x.type) && BigInt(x.off) === at);
  if (!f) env.reject('helper_arg', `off=${at} doesn't point to kptr`);
  if (f.type !== 'kptr' && f.type !== 'percpu_kptr') env.reject('helper_arg', `off=${at} kptr isn't referenced kptr`);
  kernelPointee(env, f);
  return f;
}

/**
 * map_kptr_match_type: the pointer put into a kptr field (by bpf_kptr_xchg, or a store into an
 * unreferenced one) points to the field's struct, at offset 0 for a referenced kptr (a strict
 * match); an unreferenced kptr also takes untrusted pointers and structs that begin with it.
 */
export function checkKptrSrc(env: Env, regno: number, r: Reg, f: RecordField): void {
  const want = f.pointee!;
  const unref = f.type === 'kptr_untrusted';
  const perm = MAYBE_NULL | PTR_TRUSTED | MEM_RCU | (unref ? PTR_UNTRUSTED : 0);
  const btf = env.kernelBtf();
  const have = base(r.type) === T.PTR_TO_BTF_ID ? btf.skipMods(r.memSize)?.name ?? '' : '';
  const bad = (): never => env.reject('helper_arg', `invalid kptr access, R${regno} type=${typeName(r.type)}${have} expected=ptr_${want}${unref ? ` or untrusted_ptr_${want}` : ''}`);
  if (base(r.type) !== T.PTR_TO_BTF_ID || (r.type & ~0xff & ~perm)) bad();
  // check_reg_type: the new pointer is released into the map, so it may not be NULL (a NULL constant is fine).
  if (r.type & MAYBE_NULL) env.reject('null_pointer', `Possibly NULL pointer passed to helper arg${regno}`);
  if (r.off < 0) env.reject('helper_arg', `negative offset ${typeName(r.type)} ptr R${regno} off=${r.off} disallowed`);
  const c = env.dom.constValue(r.v);
  if (c === undefined || c !== 0n) env.reject('helper_arg', `variable ${typeName(r.type)} access disallowed`);
  const strictOk = r.off === 0 && btf.skipMods(r.memSize)?.name === want;
  if (!(unref ? structIdsMatch(btf, r.memSize, r.off, want) : strictOk)) bad();
}

/** bpf_kptr_xchg's r0: the old pointer of the field's struct, maybe NULL, holding a new reference. */
export function kptrXchgResult(env: Env, f: RecordField, r0: Reg): void {
  env.markPtr(r0, T.PTR_TO_BTF_ID | MAYBE_NULL);
  r0.memSize = kernelPointee(env, f);
}
