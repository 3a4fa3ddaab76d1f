/**
 * Kernel objects through BTF (PTR_TO_BTF_ID), as 6.18's verifier models them:
 * - btf_struct_walk / btf_struct_access (kernel/bpf/btf.c): a load at `off` of a struct finds
 *   the member there, through nested structs and arrays (linearised), flexible arrays at the end;
 *   an integer member (or part of an int array) reads as a scalar, a pointer-to-struct member
 *   read whole gives a new PTR_TO_BTF_ID, a pointer to anything else untrusted read-only memory
 *   of size 0; everything else is refused with the kernel's message;
 * - check_ptr_to_btf_access (verifier.c): no negative or variable offsets, no direct access to
 *   __user/__percpu memory, writes refused ("only read is supported"), trust of the loaded
 *   pointer: untrusted stays untrusted, a few fields of trusted objects stay trusted or RCU
 *   (BTF_TYPE_SAFE_TRUSTED / _RCU / _RCU_OR_NULL), any other walk gives a plain pointer;
 * - check_pseudo_btf_id: ld_imm64 of a typed kernel variable (`.ksyms`) or a kfunc address.
 * Such loads are BPF_PROBE_MEM in the kernel: a NULL or bad pointer reads as zero, never faults.
 */
import { conntrackWriteProblem, hasConntrackWrites } from './conntrack.js';
import type { Btf, BtfType } from '../loader/btf/index.js';
import { kallsymsHas } from '../loader/kallsyms.js';
import { gplCompatible } from './license.js';
import { RUNNING_KERNEL_BTF } from '../loader/target.js';
import type { Env } from './env.js';
import { MAYBE_NULL, MEM_ALLOC, MEM_PERCPU, MEM_RCU, MEM_RDONLY, MEM_USER, PTR_TRUSTED, PTR_UNTRUSTED, T, isLocalBtf, mayFaultOnDeref, typeName as typeNameOf } from './reg-types.js';
import { FIELD_NAMES, programBtf, structRecord } from './map-record.js';
import type { Reg } from './state.js';
import { structOpsWrite } from './struct-ops.js';

/** Fields that keep (or get) the parent's validity (verifier.c BTF_TYPE_SAFE_*; kernel 6.18). */
const SAFE_RCU: Record<string, string[]> = {
  task_struct: ['cpus_ptr', 'cgroups', 'real_parent', 'group_leader'],
  cgroup: ['kn'],
  css_set: ['dfl_cgrp'],
};
const SAFE_RCU_OR_NULL: Record<string, string[]> = {
  mm_struct: ['exe_file'],
  sk_buff: ['sk'],
  request_sock: ['sk'],
};
const SAFE_TRUSTED: Record<string, string[]> = {
  bpf_iter_meta: ['seq'],
  bpf_iter__task: ['meta', 'task'],
  linux_binprm: ['file'],
  file: ['f_inode', 'f_path'],
  dentry: ['d_inode'],
  socket: ['sk'],
};
const SAFE_TRUSTED_OR_NULL: Record<string, string[]> = {
  socket: ['sk'],
  vm_area_struct: ['vm_file'],
};

type Walk =
  | { kind: 'scalar' }
  | { kind: 'ptr'; btfId: number; field: string }
  | { kind: 'ptr_untrusted' }
  | { kind: 'struct'; btfId: number }
  | { kind: 'error'; message: string };

const isComposite = (t: BtfType | undefined): t is Extract<BtfType, { kind: 'struct' | 'union' }> => !!t && (t.kind === 'struct' || t.kind === 'union');

/** __btf_resolve_size: a member's size, linearising (nested) arrays into their innermost element. */
function resolveArray(btf: Btf, id: number): { size: number; elem?: BtfType; elemId?: number; nelems: number } | undefined {
  let t = btf.skipMods(id);
  let nelems = 1;
  let isArray = false;
  for (let d = 0; t && t.kind === 'array' && d < 32; d++) {
    isArray = true;
    nelems *= t.nelems;
    id = t.type;
    t = btf.skipMods(t.type);
  }
  if (!t) return undefined;
  const elemSize = t.kind === 'ptr' ? 8 : btf.resolveSize(t.id);
  if (elemSize === undefined) return undefined;
  return isArray ? { size: elemSize * nelems, elem: t, elemId: t.id, nelems } : { size: elemSize, nelems: 1 };
}

/** __btf_name_by_offset, which btf_struct_walk names types and members with: "(anon)" for no name. */
const btfName = (name: string | undefined): string => name || '(anon)';

/** btf_struct_walk: what sits at [off, off+size) of struct `id`. */
function structWalk(btf: Btf, id: number, off: number, size: number, flags: { untrusted: boolean }): Walk {
  for (let depth = 0; depth < 64; depth++) {
    const t = btf.skipMods(id);
    if (!isComposite(t)) return { kind: 'error', message: `Type '${btfName(t?.name)}' is not a struct` };
    const tname = btfName(t.name);
    if (t.kind === 'union' && t.members.length !== 1) flags.untrusted = true;
    if (off + size > t.size) {
      // A flexible array as the last member may be read past the struct's size.
      const last = t.members[t.members.length - 1];
      const lt = last ? btf.skipMods(last.type) : undefined;
      const moff = last ? last.bitOffset / 8 : 0;
      if (!last || lt?.kind !== 'array' || lt.nelems !== 0 || off < moff) return { kind: 'error', message: `access beyond struct ${tname} at off ${off} size ${size}` };
      const et = btf.skipMods(lt.type);
      if (et?.kind === 'int') return { kind: 'scalar' };
      if (!isComposite(et)) return { kind: 'error', message: `access beyond struct ${tname} at off ${off} size ${size}` };
      off = (off - moff) % et.size;
      id = et.id;
      continue;
    }
    let next: Walk | undefined;
    for (const m of t.members) {
      let moff = Math.floor(m.bitOffset / 8);
      if (off + size <= moff) break;
      if (m.bitfieldSize) {
        const endBit = m.bitOffset + m.bitfieldSize;
        if (off <= moff && Math.ceil(endBit / 8) <= off + size) return { kind: 'scalar' };
        continue;
      }
      if (off < moff) break;
      const r = resolveArray(btf, m.type);
      if (!r) return { kind: 'error', message: `field ${btfName(m.name)} doesn't have size` };
      const trueEnd = moff + r.size;
      if (off >= trueEnd) continue;
      let mtype = btf.skipMods(m.type);
      let mid = mtype?.id ?? m.type;
      let msize = r.size;
      if (r.elem) {
        if (moff === trueEnd) continue;
        msize = r.size / r.nelems;
        moff += Math.floor((off - moff) / msize) * msize;
        mtype = r.elem;
        mid = r.elemId!;
      }
      if (isComposite(mtype)) {
        if (off === moff) return { kind: 'struct', btfId: mid };
        off -= moff;
        id = mid;
        next = { kind: 'struct', btfId: -1 };
        break;
      }
      if (mtype?.kind === 'ptr') {
        if (msize !== size || off !== moff)
          return { kind: 'error', message: `cannot access ptr member ${btfName(m.name)} with moff ${moff} in struct ${tname} with off ${off} size ${size}` };
        const st = btf.skipMods(mtype.type);
        if (isComposite(st)) return { kind: 'ptr', btfId: st.id, field: m.name };
        return { kind: 'ptr_untrusted' };
      }
      if (off + size > trueEnd && !flags.untrusted)
        return { kind: 'error', message: `access beyond the end of member ${btfName(m.name)} (mend:${trueEnd}) in struct ${tname} with off ${off} size ${size}` };
      return { kind: 'scalar' };
    }
    if (next) continue;
    return { kind: 'error', message: `struct ${tname} doesn't have field at offset ${off}` };
  }
  return { kind: 'error', message: 'struct nesting too deep' };
}

/** The result of btf_struct_access: a scalar, a typed pointer, or untrusted read-only memory. */
export type BtfLoad = { kind: 'scalar' } | { kind: 'btf'; type: number; btfId: number } | { kind: 'mem'; type: number };

/**
 * check_ptr_to_btf_access's trust for a pointer loaded from field `field` of `reg`'s struct: it
 * inherits trust only through the fields listed safe (BTF_TYPE_SAFE_TRUSTED, _OR_NULL, RCU);
 * any other walk, from a trusted, RCU or plain pointer alike, gives an untrusted pointer (as
 * the running 6.18 kernel logs it: untrusted_ptr_mm_struct from a trusted task, untrusted_ptr_file
 * from an iterator's plain vm_area_struct).
 */
function walkedPointerFlag(btf: Btf, reg: { type: number; btfId: number; refObjId?: number }, field: string, inRcu: boolean): number {
  if (reg.type & PTR_UNTRUSTED) return PTR_UNTRUSTED;
  // is_trusted_reg (a referenced pointer, or PTR_TRUSTED / MEM_ALLOC) or is_rcu_reg
  if (!(reg.type & (PTR_TRUSTED | MEM_RCU | MEM_ALLOC)) && !reg.refObjId) return PTR_UNTRUSTED;
  const parent = btf.skipMods(reg.btfId)?.name ?? '';
  if (SAFE_TRUSTED[parent]?.includes(field)) return PTR_TRUSTED;
  if (SAFE_TRUSTED_OR_NULL[parent]?.includes(field)) return PTR_TRUSTED | MAYBE_NULL;
  if (inRcu && !(reg.type & MAYBE_NULL)) {
    if (SAFE_RCU[parent]?.includes(field)) return MEM_RCU;
    if (SAFE_RCU_OR_NULL[parent]?.includes(field)) return MEM_RCU | MAYBE_NULL;
  }
  return PTR_UNTRUSTED;
}

/**
 * btf_struct_access plus (with `trustRules`) the trust rules of check_ptr_to_btf_access, for a
 * load; check_ptr_to_map_access keeps btf_struct_access's own flags (`trustRules` false).
 */
export function btfStructLoad(btf: Btf, reg: { type: number; btfId: number; refObjId?: number }, off: number, size: number, inRcu: boolean, trustRules = true): BtfLoad | string {
  // btf_struct_access starts the walk with no flag (tmp_flag = 0): only a union met on the way excuses a
  // read past a member's end, never the register's own PTR_UNTRUSTED (task->parent, bpf_rdonly_cast).
  const flags = { untrusted: false };
  let id = reg.btfId;
  for (let depth = 0; depth < 64; depth++) {
    const w = structWalk(btf, id, off, size, flags);
    switch (w.kind) {
      case 'error': return w.message;
      case 'scalar': return { kind: 'scalar' };
      case 'ptr_untrusted': return { kind: 'mem', type: T.PTR_TO_MEM | MEM_RDONLY | PTR_UNTRUSTED };
      case 'struct': id = w.btfId; off = 0; continue;
      case 'ptr': {
        const flag = trustRules ? walkedPointerFlag(btf, reg, w.field, inRcu) : 0;
        return { kind: 'btf', type: T.PTR_TO_BTF_ID | flag, btfId: w.btfId };
      }
    }
  }
  return 'struct nesting too deep';
}

/** check_ptr_to_btf_access: a load or store through a PTR_TO_BTF_ID register. */
export function checkBtfAccess(env: Env, regno: number, r: Reg, insnOff: number, size: number, write: boolean, dst: number, loaded: (v: 'scalar') => void): void {
  // An allocated object (MEM_ALLOC) is typed by the program's own BTF.
  const alloc = (r.type & MEM_ALLOC) !== 0;
  const btf = isLocalBtf(r.type) ? programBtf(env.prog) : env.kernelBtf();
  if (!btf) env.reject('invalid_mem_access', 'an allocated object without program BTF');
  const t = btf.skipMods(r.memSize);
  const tname = t?.name ?? '';
  const off = insnOff + r.off;
  if (!isLocalBtf(r.type) && !gplCompatible(env.prog.license)) env.reject('helper_gpl', `Cannot access kernel 'struct ${tname}' from non-GPL compatible program`);
  if (off < 0) env.reject('invalid_mem_access', `R${regno} is ptr_${tname} invalid negative access: off=${off}`);
  const c = env.dom.constValue(r.v);
  if (c === undefined || c !== 0n) {
    const tn = env.dom.tnum(r.v);
    env.reject('invalid_mem_access', `R${regno} is ptr_${tname} invalid variable offset: off=${off}, var_off=(0x${tn.value.toString(16)}; 0x${tn.mask.toString(16)})`);
  }
  if (r.type & MEM_USER) env.reject('invalid_mem_access', `R${regno} is ptr_${tname} access user memory: off=${off}`);
  if (r.type & MEM_PERCPU) env.reject('invalid_mem_access', `R${regno} is ptr_${tname} access percpu memory: off=${off}`);
  // A store through a pointer the kernel reads through probe instructions (a plain PTR_TO_BTF_ID,
  // anything untrusted) is refused before the program type's btf_struct_access decides (6.18.y,
  // "Reject a store through a fault prone pointer": tc's conntrack rule allowed ct->master->mark = 1).
  // A referenced object (an acquired kfunc result: a flagless PTR_TO_BTF_ID since 6.18 gives it no
  // PTR_TRUSTED) stays writable where its program type allows it: the kernel accepts
  // bpf_skb_ct_lookup's ct->mark = 1 (test/verifier/net-kfuncs.test.ts).
  if (write && mayFaultOnDeref(r.type) && !r.refObjId) env.reject('readonly_write', 'only read is supported');
  // An untrusted pointer to a program type (a kptr loaded outside an RCU section): the program type's
  // btf_struct_access expects kernel BTF (the kernel reports a verifier bug); without one, reads only.
  if (write && !alloc && isLocalBtf(r.type) && (env.prog.type === 'struct_ops' || hasConntrackWrites(env.prog.type)))
    env.reject('unsupported', 'bpflab does not model stores through untrusted pointers to program types where the program type checks stores (the kernel reports a verifier bug)');
  if (write && !alloc && env.prog.type === 'struct_ops') {
    // The struct_ops type's btf_struct_access decides writes (bpf_tcp_ca: a few tcp_sock fields).
    const refused = structOpsWrite(btf, env.structOpsTarget(), r.memSize, off, size);
    if (refused !== undefined) env.reject('readonly_write', refused);
    return;
  }
  if (write && !alloc && hasConntrackWrites(env.prog.type)) {
    // env->ops->btf_struct_access (tc, XDP): the conntrack rule decides, and an allowed store is done
    const problem = conntrackWriteProblem(btf, tname, off, size);
    if (problem) env.reject('readonly_write', problem);
    return;
  }
  if (write && (!alloc || r.type & PTR_UNTRUSTED)) env.reject('readonly_write', 'only read is supported');
  if (alloc) {
    // btf_struct_access: the special fields of an allocated object are reached only through kfuncs.
    for (const f of structRecord(btf, r.memSize)?.fields ?? [])
      if (off < f.off + f.size && off + size > f.off) env.reject('invalid_mem_access', `direct access to ${FIELD_NAMES[f.type]} is disallowed`);
  }
  const res = btfStructLoad(btf, { type: r.type, btfId: r.memSize, refObjId: r.refObjId }, off, size, env.inRcu());
  if (isLocalBtf(r.type) && typeof res !== 'string' && res.kind === 'btf') {
    if (write) return;
    env.reject('unsupported', `bpflab does not model struct pointers loaded from allocated objects (struct ${tname} off=${off})`);
  }
  if (alloc && write) return;
  if (typeof res === 'string') env.reject('invalid_mem_access', res);
  setBtfLoaded(env, dst, res, () => loaded('scalar'));
}

/** mark_btf_ld_reg: R`dst` gets what a BTF-typed load produced (a scalar, a kernel pointer, memory). */
export function setBtfLoaded(env: Env, dst: number, res: BtfLoad, scalar: () => void): void {
  if (dst < 0) return;
  if (res.kind === 'scalar') { scalar(); return; }
  const out = env.writeReg(dst);
  env.markPtr(out, res.type);
  if (res.kind === 'btf') {
    out.memSize = res.btfId;
    if (res.type & MAYBE_NULL) out.id = env.newId();
  }
}

/**
 * check_pseudo_btf_id: what an ld_imm64 of kernel BTF id `id` (a VAR or a FUNC) loads. When the
 * target is the running kernel (no `targetBtf`, or its own BTF) the symbol must also be in its
 * kallsyms, as kallsyms_lookup_name is asked for the address.
 */
export function pseudoBtfId(btf: Btf, id: number, targetBtf?: string): { type: number; btfId?: number; memSize?: number } | string {
  const liveKernel = targetBtf === undefined || targetBtf === RUNNING_KERNEL_BTF;
  const t = btf.type(id);
  if (!t || id === 0) return `ldimm64 insn specifies invalid btf_id ${id}`;
  if (t.kind !== 'func' && t.kind !== 'var') return `pseudo btf_id ${id} in ldimm64 isn't KIND_VAR or KIND_FUNC`;
  if (liveKernel && !kallsymsHas(t.name)) return `ldimm64 failed to find the address for kernel symbol '${t.name}'.`;
  if (t.kind === 'func') return { type: T.PTR_TO_MEM | MEM_RDONLY, memSize: 0 };
  const percpu = btf.types.some((d) => d.kind === 'datasec' && d.name === '.data..percpu' && d.vars.some((v) => v.type === id));
  const vt = btf.skipMods(t.type);
  if (percpu) return { type: T.PTR_TO_BTF_ID | MEM_PERCPU, btfId: vt?.id ?? t.type };
  if (!isComposite(vt)) {
    const size = vt ? (vt.kind === 'ptr' ? 8 : btf.resolveSize(vt.id)) : undefined;
    if (size === undefined) return `ldimm64 unable to resolve the size of type '${vt?.name ?? ''}'`;
    return { type: T.PTR_TO_MEM | MEM_RDONLY, memSize: size };
  }
  return { type: T.PTR_TO_BTF_ID, btfId: vt.id };
}

/** Kernel structs of helper results (the protos' ret_btf_id) and whether they are trusted. */
const HELPER_RET_BTF: Record<number, { struct: string; trusted: boolean }> = {
  158: { struct: 'task_struct', trusted: true }, // bpf_get_current_task_btf
  // bpf_skc_to_*: the socket seen as its protocol's struct (btf_sock_ids), or NULL.
  136: { struct: 'tcp6_sock', trusted: false },
  137: { struct: 'tcp_sock', trusted: false },
  138: { struct: 'tcp_timewait_sock', trusted: false },
  139: { struct: 'tcp_request_sock', trusted: false },
  140: { struct: 'udp6_sock', trusted: false },
  178: { struct: 'unix_sock', trusted: false },
  196: { struct: 'mptcp_sock', trusted: false },
  175: { struct: 'pt_regs', trusted: false }, // bpf_task_pt_regs
  162: { struct: 'socket', trusted: false }, // bpf_sock_from_file
};

/** r0 of a helper returning a kernel object: PTR_TO_BTF_ID of its struct (RET_PTR_TO_BTF_ID[_OR_NULL]). */
export function helperRetBtf(env: Env, id: number, r0: Reg, orNull: boolean): void {
  const spec = HELPER_RET_BTF[id];
  if (!spec) env.reject('unsupported', `bpflab does not know which kernel struct helper #${id} returns`);
  const t = env.kernelBtf().find(spec.struct, 'struct')[0];
  if (!t) env.reject('invalid_insn', `the target kernel has no struct ${spec.struct}`);
  env.markPtr(r0, T.PTR_TO_BTF_ID | (spec.trusted ? PTR_TRUSTED : 0) | (orNull ? MAYBE_NULL : 0));
  r0.memSize = t.id;
}

/** btf_struct_ids_match (not strict): struct `want` is `id` itself at offset 0, or nested in it at `off`. */
export function structIdsMatch(btf: Btf, id: number, off: number, want: string): boolean {
  for (let d = 0; d < 32; d++) {
    const t = btf.skipMods(id);
    if (off === 0 && isComposite(t) && t.name === want) return true;
    const w = structWalk(btf, id, off, 1, { untrusted: false });
    if (w.kind !== 'struct') return false;
    id = w.btfId;
    off = 0;
  }
  return false;
}

/** check_reg_type for ARG_PTR_TO_BTF_ID helper arguments: a (trusted or RCU) kernel pointer to the expected struct. */
export function checkHelperBtfArg(env: Env, regno: number, r: Reg, want: string | undefined, helper: string, nullable = false): void {
  const allowed = [T.PTR_TO_BTF_ID, T.PTR_TO_BTF_ID | PTR_TRUSTED, T.PTR_TO_BTF_ID | MEM_RCU];
  // An argument type with PTR_MAYBE_NULL also takes the nullable variants (check_reg_type).
  if (!allowed.includes(nullable ? r.type & ~MAYBE_NULL : r.type)) env.reject('helper_arg', `R${regno} type=${typeNameOf(r.type)} expected=ptr_, trusted_ptr_, rcu_ptr_`);
  if (!want) env.reject('unsupported', `bpflab does not know which kernel struct ${helper} expects in R${regno}`);
  const c = env.dom.constValue(r.v);
  if (c === undefined || c !== 0n) env.reject('helper_arg', `R${regno} variable ptr_ access var_off disallowed`);
  const btf = env.kernelBtf();
  if (!structIdsMatch(btf, r.memSize, r.off, want)) {
    const have = btf.skipMods(r.memSize)?.name ?? '';
    env.reject('helper_arg', `R${regno} is of type ${have} but ${want} is expected`);
  }
}

/** btf_allowlist_d_path (kernel/trace/bpf_trace.c): the fentry/fexit targets that may call bpf_d_path. */
const D_PATH_ALLOWED = new Set(['security_file_permission', 'security_inode_getattr', 'security_file_open', 'security_path_truncate',
  'vfs_truncate', 'vfs_fallocate', 'dentry_open', 'vfs_getattr', 'filp_close']);

/** A helper's `.allowed` callback (bpf_d_path_allowed): why this program may not call it, if it may not. */
export function helperNotAllowed(env: Env, id: number): string | undefined {
  // (syscall programs get tracing_prog_func_proto's bpf_sk_storage_*_tracing_proto too)
  if ((id === 107 || id === 108) && (env.prog.type === 'tracing' || env.prog.type === 'syscall')) return skStorageTracingAllowed(env) ? undefined : 'helper call is not allowed in probe';
  if (id !== 147) return undefined;
  const t = env.tracingTarget();
  if (t?.iter) return undefined;
  if (env.prog.type === 'lsm') env.reject('unsupported', 'bpflab does not know which LSM hooks are sleepable (bpf_d_path from LSM programs)');
  return t && D_PATH_ALLOWED.has(t.name) ? undefined : 'helper call is not allowed in probe';
}

const BPF_TRACE_RAW_TP = 23, BPF_TRACE_FENTRY = 24, BPF_TRACE_FEXIT = 25, BPF_TRACE_ITER = 28;

/**
 * bpf_sk_storage_tracing_allowed: iterators and BTF tracepoints may use socket storage; fentry and
 * fexit programs only when they do not trace a bpf_sk_storage function themselves.
 */
function skStorageTracingAllowed(env: Env): boolean {
  const eat = env.prog.expectedAttachType;
  if (eat === BPF_TRACE_ITER || eat === BPF_TRACE_RAW_TP) return true;
  if (eat !== BPF_TRACE_FENTRY && eat !== BPF_TRACE_FEXIT) return false;
  return !(env.prog.attachTo ?? '').startsWith('bpf_sk_storage');
}
