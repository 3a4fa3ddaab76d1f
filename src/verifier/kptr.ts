/**
 * Kernel-object pointers stored in map values (kptrs, `__kptr` / `__kptr_untrusted` fields):
 * what a load of the field yields (check_map_kptr_access with btf_ld_kptr_type), and the two
 * arguments of bpf_kptr_xchg (process_kptr_func for the field, map_kptr_match_type for the new
 * pointer). Kptrs to kernel structs, to the program's own bpf_obj_new objects and `__percpu_kptr`
 * fields holding bpf_percpu_obj_new objects (percpu-obj.ts) are modelled; uptrs are refused as unmodelled.
 */
import type { Env } from './env.js';
import { mapHasBtf, mapRecord, programBtf, recordField, structRecord, type RecordField } from './map-record.js';
import { structIdsMatch } from './btf-access.js';
import { LOCAL_BTF, MAYBE_NULL, MEM_ALLOC, MEM_PERCPU, MEM_RCU, PTR_TRUSTED, PTR_UNTRUSTED, T, base, typeName } from './reg-types.js';
import type { Reg } from './state.js';

/** rcu_protected_types (kernel/bpf/verifier.c): kernel structs freed only after an RCU grace period. */
const RCU_PROTECTED = new Set(['prog_test_ref_kfunc', 'cgroup', 'css_set', 'task_struct', 'bpf_cpumask', 'bpf_crypto_ctx']);

/**
 * btf_parse_kptr: the struct a kptr field points to, looked up by name in the kernel's BTF, else
 * one of the program's own types (an object bpf_obj_new allocated; its id in the program's BTF).
 */
function kptrPointee(env: Env, f: RecordField): { id: number; local: boolean } {
  if (f.type === 'uptr') env.reject('unsupported', 'bpflab does not model uptrs');
  const t = f.pointee ? env.kernelBtf().find(f.pointee, 'struct')[0] : undefined;
  if (t && f.type === 'percpu_kptr') env.reject('unsupported', `bpflab does not model per-CPU kptrs to kernel structs (struct ${f.pointee ?? '?'})`);
  if (t) return { id: t.id, local: false };
  if (f.localId === undefined || (f.type !== 'kptr' && f.type !== 'percpu_kptr')) env.reject('unsupported', `bpflab does not model kptrs to program-local types (struct ${f.pointee ?? '?'})`);
  return { id: f.localId, local: true };
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
  const { id, local } = kptrPointee(env, f);
  // rcu_protected_object: a program type is freed after a grace period when it is refcounted.
  // rcu_safe_kptr: a per-CPU kptr always is (its object is freed after a grace period).
  const percpu = f.type === 'percpu_kptr';
  const rcuSafe = percpu || (local ? !!recordField(structRecord(programBtf(env.prog)!, id), 'refcount') : RCU_PROTECTED.has(f.pointee!));
  const rcu = (f.type === 'kptr' || percpu) && rcuSafe && env.inRcu();
  // btf_ld_kptr_type: MEM_PERCPU instead of MEM_ALLOC for a per-CPU object, and only PTR_UNTRUSTED outside
  // an RCU section (typed by the program's BTF all the same: LOCAL_BTF where MEM_ALLOC does not say it)
  const kind = !rcu ? (local ? LOCAL_BTF : 0) : percpu ? MEM_PERCPU | LOCAL_BTF : local ? MEM_ALLOC : 0;
  env.markPtr(dst, T.PTR_TO_BTF_ID | MAYBE_NULL | (rcu ? MEM_RCU : PTR_UNTRUSTED) | kind);
  dst.memSize = id;
  dst.id = env.newId();
}

/**
 * process_kptr_func: bpf_kptr_xchg's first argument, a referenced kptr field of a map value or of
 * an object the program allocated (PTR_TO_BTF_ID | MEM_ALLOC, kptr_xchg_dest_types).
 */
export function processKptrDest(env: Env, regno: number, r: Reg): RecordField {
  const alloc = r.type === (T.PTR_TO_BTF_ID | MEM_ALLOC);
  if (r.type !== T.PTR_TO_MAP_VALUE && !alloc) env.reject('helper_arg', `R${regno} type=${typeName(r.type)} expected=map_value, ptr_`);
  let rec;
  if (alloc) rec = structRecord(programBtf(env.prog)!, r.memSize);
  else {
    const m = env.map(r.map);
    if (!mapHasBtf(env.prog, m)) env.reject('helper_arg', `map '${m.name}' has to have BTF in order to use bpf_kptr_xchg`);
    rec = mapRecord(env.prog, m);
  }
  const c = env.dom.constValue(r.v);
  if (c === undefined) env.reject('helper_arg', `R${regno} doesn't have constant offset. kptr has to be at the constant offset`);
  const kinds = ['kptr', 'kptr_untrusted', 'percpu_kptr', 'uptr'];
  if (!rec?.fields.some((f) => kinds.includes(f.type))) env.reject('helper_arg', `R${regno} has no valid kptr`);
  const at = BigInt(r.off) + c;
  const f = rec!.fields.find((x) => kinds.includes(x.type) && BigInt(x.off) === at);
  if (!f) env.reject('helper_arg', `off=${at} doesn't point to kptr`);
  if (f.type !== 'kptr' && f.type !== 'percpu_kptr') env.reject('helper_arg', `off=${at} kptr isn't referenced kptr`);
  kptrPointee(env, f);
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
  const { id, local } = kptrPointee(env, f);
  // A kptr to a program type takes only objects the program allocated, of exactly that type.
  const perm = local ? MAYBE_NULL | MEM_ALLOC | (f.type === 'percpu_kptr' ? MEM_PERCPU : 0) : MAYBE_NULL | PTR_TRUSTED | MEM_RCU | (unref ? PTR_UNTRUSTED : 0);
  const btf = r.type & MEM_ALLOC ? programBtf(env.prog)! : env.kernelBtf();
  const have = base(r.type) === T.PTR_TO_BTF_ID ? btf.skipMods(r.memSize)?.name ?? '' : '';
  const bad = (): never => env.reject('helper_arg', `invalid kptr access, R${regno} type=${typeName(r.type)}${have} expected=ptr_${want}${unref ? ` or untrusted_ptr_${want}` : ''}`);
  if (base(r.type) !== T.PTR_TO_BTF_ID || (r.type & ~0xff & ~perm)) bad();
  // check_reg_type: the new pointer is released into the map, so it may not be NULL (a NULL constant is fine).
  if (r.type & MAYBE_NULL) env.reject('null_pointer', `Possibly NULL pointer passed to helper arg${regno}`);
  if (r.off < 0) env.reject('helper_arg', `negative offset ${typeName(r.type)} ptr R${regno} off=${r.off} disallowed`);
  const c = env.dom.constValue(r.v);
  if (c === undefined || c !== 0n) env.reject('helper_arg', `variable ${typeName(r.type)} access disallowed`);
  if (local || r.type & MEM_ALLOC) {
    if (!local || !(r.type & MEM_ALLOC) || r.off !== 0 || btf.skipMods(r.memSize)?.id !== id) bad();
    return;
  }
  const strictOk = r.off === 0 && btf.skipMods(r.memSize)?.name === want;
  if (!(unref ? structIdsMatch(btf, r.memSize, r.off, want) : strictOk)) bad();
}

/** bpf_kptr_xchg's r0: the old pointer of the field's struct, maybe NULL, holding a new reference. */
export function kptrXchgResult(env: Env, f: RecordField, r0: Reg): void {
  const { id, local } = kptrPointee(env, f);
  env.markPtr(r0, T.PTR_TO_BTF_ID | MAYBE_NULL | (local ? MEM_ALLOC : 0) | (local && f.type === 'percpu_kptr' ? MEM_PERCPU : 0));
  r0.memSize = id;
}
