/**
 * Contexts of BTF-typed programs (tp_btf, fentry/fexit/fmod_ret, lsm, iter): the context is the
 * attach target's arguments as u64 slots, typed by the target's BTF prototype, as the kernel's
 * btf_ctx_access types them (kernel/bpf/btf.c): integers, enums and structs read as scalars,
 * pointers to structs as PTR_TO_BTF_ID (trusted for tp_btf, iterators and trusted LSM hooks; maybe
 * NULL or an error pointer for the tracepoint arguments raw_tp_null_args lists), pointers to void or
 * integers as scalars, any other pointer refused; fexit and LSM programs also read the return value after the last
 * argument, fmod_ret only when the target returns an integer.
 *
 * The target is found as libbpf and the kernel find it (bpf_check_attach_target): the
 * `btf_trace_NAME` typedef for tp_btf (its first `void *__data` argument skipped), the FUNC
 * NAME for fentry/fexit/fmod_ret, `bpf_lsm_NAME` for lsm, `bpf_iter_NAME` for iter.
 */
import { ATTACH_TYPES } from '../loader/section-types.js';
import { btfKindStr, type Btf, type BtfParam } from '../loader/btf/index.js';
import { rawTpArgNullness } from './raw-tp-null-args.js';
import { MAYBE_NULL, MEM_RDONLY, PTR_TRUSTED, T } from './reg-types.js';

/** MAX_BPF_FUNC_ARGS: the context holds at most 12 u64 slots. */
export const MAX_BPF_FUNC_ARGS = 12;

export interface TracingTarget {
  /** The attach target's name as the kernel logs it (tname). */
  name: string;
  params: BtfParam[];
  /** Return type id of the target (0: void). */
  ret: number;
  /** Which slot, if any, is the return value (fexit, fmod_ret, lsm). */
  retSlot: boolean;
  /** prog_args_trusted: pointer arguments are PTR_TRUSTED. */
  trusted: boolean;
  /** Iterators: pointer arguments after the first may be NULL, trusted or not as the iterator's ctx_arg_info says (ITER_CTX_ARGS). */
  iter: boolean;
  attach: number;
  /** is_valid_access retyping of pointer arguments by struct id (struct_ops tcp_ca: sock -> tcp_sock). */
  retype?: ReadonlyMap<number, number>;
}

/**
 * The iterators' ctx_arg_info for their kernel-object arguments (Linux 6.18 bpf_iter_reg
 * registrations; checked against the running kernel): per argument index, whether the
 * registered type is PTR_TO_BTF_ID_OR_NULL | PTR_TRUSTED (true) or plain PTR_TO_BTF_ID_OR_NULL
 * (false). An argument the iterator does not list takes btf_ctx_access's default: trusted, not NULL.
 */
const ITER_CTX_ARGS: Readonly<Record<string, Readonly<Record<number, boolean>>>> = {
  bpf_iter_task: { 1: true },
  bpf_iter_task_file: { 1: false, 3: false },
  bpf_iter_task_vma: { 1: false, 2: false },
  bpf_iter_bpf_map: { 1: true },
  bpf_iter_bpf_map_elem: {},
  bpf_iter_bpf_prog: { 1: false },
  bpf_iter_bpf_link: { 1: false },
  bpf_iter_ksym: { 1: false },
  bpf_iter_cgroup: { 1: true },
  bpf_iter_kmem_cache: { 1: true },
  bpf_iter_dmabuf: { 1: false },
  bpf_iter_netlink: { 1: false },
  bpf_iter_tcp: { 1: true },
  bpf_iter_udp: { 1: true },
  bpf_iter_unix: { 1: false },
  bpf_iter_ipv6_route: { 1: false },
  bpf_iter_sockmap: { 3: false },
  bpf_iter_bpf_sk_storage_map: { 2: false },
};

/**
 * What a context load yields: a scalar, or a typed kernel pointer (`btfId` in the target BTF).
 * `log` is what btf_ctx_access printed on the way ("func 'f' arg1 has btf_id ..."); `logOpen` when
 * its last line has no newline, so that the verifier's next output continues it.
 */
export type CtxArg = { kind: 'scalar'; log?: string; logOpen?: boolean } | { kind: 'btf'; type: number; btfId: number; log?: string } | { kind: 'buf'; type: number };

/**
 * The iterators' ctx_arg_info entries of type PTR_TO_BUF | PTR_MAYBE_NULL (Linux 6.18 map_iter.c,
 * sock_map.c, bpf_sk_storage.c), by argument index: a map element's key (read-only) and value.
 */
const ITER_BUF_ARGS: Readonly<Record<string, Readonly<Record<number, 'rdonly' | 'rdwr'>>>> = {
  bpf_iter_bpf_map_elem: { 2: 'rdonly', 3: 'rdwr' },
  bpf_iter_sockmap: { 2: 'rdonly' },
  bpf_iter_bpf_sk_storage_map: { 3: 'rdwr' },
};

/** Program types whose context is BTF-typed this way. */
export function isBtfCtxProgram(type: string, attach: number | undefined): boolean {
  if (type === 'lsm') return true;
  if (type !== 'tracing') return false;
  return attach === ATTACH_TYPES.trace_raw_tp || attach === ATTACH_TYPES.trace_fentry || attach === ATTACH_TYPES.trace_fexit
    || attach === ATTACH_TYPES.modify_return || attach === ATTACH_TYPES.trace_iter;
}

/** Resolves the attach target's prototype, or says why the kernel would refuse the program at load. */
export function tracingTarget(btf: Btf, type: string, attach: number, attachTo: string | undefined): TracingTarget | string {
  if (!attachTo) return 'attach target is missing from the section name';
  const proto = (id: number) => {
    const t = btf.skipMods(id);
    return t?.kind === 'func_proto' ? t : undefined;
  };
  let fp: ReturnType<typeof proto>;
  let name = attachTo;
  let skipFirst = false;
  if (attach === ATTACH_TYPES.trace_raw_tp) {
    const td = btf.find(`btf_trace_${attachTo}`, 'typedef')[0];
    const ptr = td && td.kind === 'typedef' ? btf.skipMods(td.type) : undefined;
    fp = ptr?.kind === 'ptr' ? proto(ptr.type) : undefined;
    if (!fp) return `failed to find kernel BTF type ID of 'btf_trace_${attachTo}'`;
    skipFirst = true;
  } else {
    const fname = type === 'lsm' ? `bpf_lsm_${attachTo}` : attach === ATTACH_TYPES.trace_iter ? `bpf_iter_${attachTo}` : attachTo;
    const fn = btf.find(fname, 'func')[0];
    if (!fn || fn.kind !== 'func') return `failed to find kernel BTF type ID of '${fname}'`;
    fp = proto(fn.type);
    if (!fp) return `attach target '${fname}' is not a function`;
    name = fname;
  }
  const params = skipFirst ? fp.params.slice(1) : fp.params;
  const retSlot = type === 'lsm' || attach === ATTACH_TYPES.trace_fexit || attach === ATTACH_TYPES.modify_return;
  // prog_args_trusted: tp_btf and iterators; LSM hooks through bpf_lsm_is_trusted, every hook but
  // those that see an object being set up or torn down.
  const trusted = attach === ATTACH_TYPES.trace_raw_tp || attach === ATTACH_TYPES.trace_iter || (type === 'lsm' && !UNTRUSTED_LSM_HOOKS.has(name));
  return { name, params, ret: fp.type, retSlot, trusted, iter: attach === ATTACH_TYPES.trace_iter, attach };
}

/** bpf_lsm.c's untrusted_lsm_hooks (Linux 6.18): their arguments are not PTR_TRUSTED. */
const UNTRUSTED_LSM_HOOKS: ReadonlySet<string> = new Set([
  'bpf_lsm_bpf_map_free', 'bpf_lsm_bpf_prog_free', 'bpf_lsm_file_alloc_security', 'bpf_lsm_file_free_security',
  'bpf_lsm_sk_alloc_security', 'bpf_lsm_sk_free_security', 'bpf_lsm_task_free',
  'bpf_lsm_bdev_alloc_security', 'bpf_lsm_bdev_free_security',
]);

/** btf_ctx_access for a read of `size` bytes at `off`; a string is the kernel's log line for a refusal. */
export function btfCtxAccess(btf: Btf, t: TracingTarget, off: number, size: number): CtxArg | string {
  // bpf_tracing_ctx_access: any size dividing the offset; btf_ctx_access then wants 8-byte slots and
  // full-width pointer loads, while a scalar argument may be read narrower (a u32 fd, a bool).
  if (off < 0 || off >= MAX_BPF_FUNC_ARGS * 8 || off % size !== 0) return `invalid bpf_context access off=${off} size=${size}`;
  if (off % 8) return `func '${t.name}' offset ${off} is not multiple of 8`;
  const arg = off / 8;
  const nr = t.params.length;
  let typeId: number;
  if (arg > nr) return `func '${t.name}' doesn't have ${ctxArgIdx(btf, t, off) + 1}-th argument`;
  if (arg === nr) {
    if (!t.retSlot) return `func '${t.name}' doesn't have ${ctxArgIdx(btf, t, off) + 1}-th argument`;
    if (t.attach === ATTACH_TYPES.modify_return) {
      const rt = btf.skipMods(t.ret);
      if (!rt || rt.kind !== 'int' || rt.size > 8) return `ret type ${rt?.kind ?? 'void'} not allowed for fmod_ret`;
    }
    typeId = t.ret;
  } else typeId = t.params[arg]!.type;
  const at = btf.skipMods(typeId);
  if (!at || at.kind === 'void') {
    // fexit/lsm on a void function: the "return value" slot is a scalar.
    if (arg === nr) return { kind: 'scalar' };
    return `func '${t.name}' arg${arg} type void is not a pointer`;
  }
  if ((at.kind === 'int' && at.size <= 16) || at.kind === 'enum' || at.kind === 'enum64' || at.kind === 'struct' || at.kind === 'union') return { kind: 'scalar' };
  if (at.kind !== 'ptr') return `func '${t.name}' arg${arg} '${at.name}' has type ${at.kind.toUpperCase()}. Only pointer access is allowed`;
  if (size !== 8) return `func '${t.name}' size ${size} must be 8`;
  // btf_ctx_access: an iterator's buffer argument, whatever the pointer's type (void *)
  const buf = t.iter ? ITER_BUF_ARGS[t.name]?.[arg] : undefined;
  if (buf) return { kind: 'buf', type: T.PTR_TO_BUF | MAYBE_NULL | (buf === 'rdonly' ? MEM_RDONLY : 0) };
  const pointee = btf.skipMods(at.type);
  // is_void_or_int_ptr: a pointer to void or to an integer is a scalar (no walking through it).
  if (!pointee || pointee.kind === 'void' || pointee.kind === 'int') return { kind: 'scalar' };
  let type: number = T.PTR_TO_BTF_ID;
  const registered = t.iter ? ITER_CTX_ARGS[t.name] : undefined;
  const listed = registered?.[arg];
  if (listed !== undefined) {
    // the iterator's ctx_arg_info entry: exactly the type it registered
    type |= MAYBE_NULL | (listed ? PTR_TRUSTED : 0);
    return { kind: 'btf', type, btfId: pointee.id };
  }
  if (t.trusted) type |= PTR_TRUSTED;
  const pname = arg < nr ? t.params[arg]!.name : '';
  if (pname.endsWith('__nullable')) type |= MAYBE_NULL;
  let maybeErr = false;
  if (t.attach === ATTACH_TYPES.trace_raw_tp) {
    const n = rawTpArgNullness(t.name, arg);
    if (n.maybeNull) type |= MAYBE_NULL;
    maybeErr = n.maybeErr;
  }
  // an iterator bpflab has no table for: its object arguments taken as may-be-NULL
  if (t.iter && !registered && arg > 0) type |= MAYBE_NULL;
  // Any other pointer (to a pointer, an enum, an array, a function) is refused, not read as a scalar.
  if (pointee.kind !== 'struct' && pointee.kind !== 'union') return `func '${t.name}' arg${arg} type ${btfKindStr(pointee)} is not a struct`;
  const log = `func '${t.name}' arg${arg} has btf_id ${pointee.id} type ${btfKindStr(pointee)} '${pointee.name}'`;
  // An argument that may encode an error (IS_ERR) is checked like a pointer, then read as a scalar;
  // the kernel's message about it has no newline.
  if (maybeErr) return { kind: 'scalar', log: `${log}\nmarking pointer arg${arg} as scalar as it may encode error`, logOpen: true };
  // is_valid_access retypes only pointers without unsafe modifiers (bpf_type_has_unsafe_modifiers: MAYBE_NULL is one).
  const btfId = type & MAYBE_NULL ? pointee.id : t.retype?.get(pointee.id) ?? pointee.id;
  return { kind: 'btf', type, btfId, log };
}

/**
 * get_ctx_arg_idx, for the kernel's message about a slot past the arguments: slots are counted
 * over the whole prototype (tp_btf's skipped `void *__data` included), then the return value's
 * (none for void), then one more.
 */
function ctxArgIdx(btf: Btf, t: TracingTarget, off: number): number {
  const skipped = t.attach === ATTACH_TYPES.trace_raw_tp ? 1 : 0;
  const slot = (id: number): number => {
    const ty = btf.skipMods(id);
    if (!ty || ty.kind === 'void') return 0;
    return ty.kind === 'ptr' ? 8 : Math.ceil((btf.resolveSize(id) ?? 0) / 8) * 8;
  };
  let end = skipped * 8;
  for (let i = 0; i < t.params.length; i++) {
    end += slot(t.params[i]!.type);
    if (off < end) return i + skipped;
  }
  end += slot(t.ret);
  return off < end ? t.params.length + skipped : t.params.length + skipped + 1;
}

/** LSM hooks BPF programs may not attach to (bpf_lsm_disabled_hooks, kernel/bpf/bpf_lsm.c). */
const LSM_DISABLED = new Set(['bpf_lsm_vm_enough_memory', 'bpf_lsm_inode_need_killpriv', 'bpf_lsm_inode_getsecurity', 'bpf_lsm_inode_listsecurity',
  'bpf_lsm_inode_copy_up_xattr', 'bpf_lsm_getselfattr', 'bpf_lsm_getprocattr', 'bpf_lsm_setprocattr', 'bpf_lsm_key_getsecurity',
  'bpf_lsm_audit_rule_match', 'bpf_lsm_ismaclabel']);
/** LSM hooks that return a bool (bool_lsm_hooks). */
const LSM_BOOL = new Set(['bpf_lsm_xfrm_state_pol_flow_match', 'bpf_lsm_audit_rule_known', 'bpf_lsm_inode_xattr_skipcap']);

/** bpf_lsm_verify_prog: why the kernel refuses this LSM attach target, if it does. */
export function lsmTargetError(t: TracingTarget, btfId: number): string | undefined {
  return LSM_DISABLED.has(t.name) ? `attach_btf_id ${btfId} points to disabled hook ${t.name}` : undefined;
}

/**
 * check_return_code for BTF-typed programs: fentry/fexit return 0, iterators 0 or 1, LSM hooks
 * 0 or -errno (bool hooks 0 or 1; void hooks anything), compared on the low 32 bits for LSM;
 * tp_btf and fmod_ret anything (undefined).
 */
export function btfProgRetRange(btf: Btf, type: string, t: TracingTarget): { min: number; max: number; bits32: boolean } | undefined {
  if (type === 'lsm') {
    const rt = btf.skipMods(t.ret);
    if (!rt || rt.kind === 'void') return undefined;
    return LSM_BOOL.has(t.name) ? { min: 0, max: 1, bits32: true } : { min: -4095, max: 0, bits32: true };
  }
  if (t.attach === ATTACH_TYPES.trace_fentry || t.attach === ATTACH_TYPES.trace_fexit) return { min: 0, max: 0, bits32: false };
  if (t.attach === ATTACH_TYPES.trace_iter) return { min: 0, max: 1, bits32: false };
  return undefined;
}
