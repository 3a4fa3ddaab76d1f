/**
 * get_func_proto for one program: the prototype a program's `env->ops->get_func_proto(func_id, prog)`
 * returns, where the answer depends on more than the program type -- the expected attach type
 * (cgroup_common_func_proto, cg_sockopt_func_proto, sock_addr_func_proto, tracing_prog_func_proto),
 * the iterator target (bpf_iter_get_func_proto) or another type's table (syscall programs fall back
 * to tracing_prog_func_proto). The per-type table (prototypes.ts) answers the rest.
 */
import type { ProgType } from '../../isa/program.js';
import { ATTACH_TYPES as AT } from '../../loader/section-types.js';
import { ARG, helperProtoFor, helperProtoWith, type ArgSpec, type HelperProto } from './prototypes.js';

/** What get_func_proto looks at: the program type, expected_attach_type (0 when unset) and the attach target. */
export interface FuncProtoProg {
  type: ProgType;
  expectedAttachType?: number | undefined;
  /** The attach target's name: the iterator target for iter programs ("tcp", "unix", ...). */
  attachTo?: string | undefined;
}

const BPF_FUNC_setsockopt = 49, BPF_FUNC_getsockopt = 57, BPF_FUNC_bind = 64, BPF_FUNC_get_attach_cookie = 174;
const BPF_FUNC_get_retval = 186, BPF_FUNC_set_retval = 187;
/** bpf_seq_printf, bpf_seq_write, bpf_seq_printf_btf: only iterators have a seq_file. */
const ITER_ONLY: ReadonlySet<number> = new Set([126, 127, 150]);
/** bpf_get_func_arg, bpf_get_func_ret, bpf_get_func_arg_cnt: only where a trampoline saved the arguments. */
const TRAMPOLINE_ONLY: ReadonlySet<number> = new Set([183, 184, 185]);
/** syscall_prog_func_proto's own helpers: bpf_sys_bpf, bpf_btf_find_by_name_kind, bpf_sys_close, bpf_kallsyms_lookup_name. */
const SYSCALL_OWN: ReadonlySet<number> = new Set([166, 167, 168, 179]);

/** bpf_sk_setsockopt_proto / bpf_sk_getsockopt_proto: the socket is any socket pointer (not the context). */
const SK_SOCKOPT_ARGS: Readonly<Record<number, readonly ArgSpec[]>> = {
  [BPF_FUNC_setsockopt]: [ARG.btfSockCommon, ARG.anything, ARG.anything, ARG.memRdonly, ARG.constSize],
  [BPF_FUNC_getsockopt]: [ARG.btfSockCommon, ARG.anything, ARG.anything, ARG.uninitMem, ARG.constSize],
};

/**
 * cgroup_common_func_proto: hooks whose return value the kernel does not run through the
 * run_ctx retval (packets, sock_ops, and the address hooks that may only rewrite the address)
 * get no bpf_get_retval / bpf_set_retval.
 */
const NO_RETVAL: ReadonlySet<number> = new Set([
  AT.cgroup_inet_ingress, AT.cgroup_inet_egress, AT.cgroup_sock_ops,
  AT.cgroup_udp4_recvmsg, AT.cgroup_udp6_recvmsg, AT.cgroup_unix_recvmsg,
  AT.cgroup_inet4_getpeername, AT.cgroup_inet6_getpeername, AT.cgroup_unix_getpeername,
  AT.cgroup_inet4_getsockname, AT.cgroup_inet6_getsockname, AT.cgroup_unix_getsockname,
]);

/** Iterator targets whose bpf_iter_reg has a get_func_proto offering bpf_{set,get}sockopt on the iterated socket. */
const SOCKOPT_ITER_TARGETS: ReadonlySet<string> = new Set(['tcp', 'unix']);

/** bpf_prog_load_fixup_attach_type: cgroup_sock and sk_reuseport programs loaded without one get a default. */
function fixupAttachType(type: ProgType, eat: number): number {
  if (eat !== 0) return eat;
  if (type === 'cgroup_sock') return AT.cgroup_inet_sock_create;
  if (type === 'sk_reuseport') return AT.sk_reuseport_select;
  return eat;
}

/** bpf_prog_has_trampoline: fentry, fexit and fmod_ret tracing programs, and LSM programs attached as BPF_LSM_MAC. */
export function hasTrampoline(type: ProgType, eat: number | undefined): boolean {
  if (type === 'tracing') return eat === AT.trace_fentry || eat === AT.trace_fexit || eat === AT.modify_return;
  return type === 'lsm' && eat === AT.lsm_mac;
}

const withArgs = (p: HelperProto, type: ProgType, args: readonly ArgSpec[]): HelperProto =>
  helperProtoWith(p, args, p.progTypes.includes(type) ? p.progTypes : [...p.progTypes, type]);

/**
 * The prototype helper `id` has for `prog`, or undefined where get_func_proto returns NULL
 * ("program of this type cannot use helper") or bpflab does not model the helper.
 */
export function funcProto(id: number, prog: FuncProtoProg): HelperProto | undefined {
  const type = prog.type;
  const eat = fixupAttachType(type, prog.expectedAttachType ?? 0);
  if (type === 'syscall' && !SYSCALL_OWN.has(id)) {
    const p = funcProto(id, { ...prog, type: 'tracing' });
    return p && withArgs(p, type, p.args);
  }
  const p = helperProtoFor(id, type);
  if (!p) return undefined;
  if (TRAMPOLINE_ONLY.has(id) && !hasTrampoline(type, eat)) return undefined;
  if (ITER_ONLY.has(id) && eat !== AT.trace_iter) return undefined;
  switch (id) {
    case BPF_FUNC_get_retval:
    case BPF_FUNC_set_retval:
      if (type !== 'lsm' && NO_RETVAL.has(eat)) return undefined;
      break;
    case BPF_FUNC_setsockopt:
    case BPF_FUNC_getsockopt:
      // cg_sockopt_func_proto: only setsockopt hooks, on the socket pointer (ctx->sk)
      if (type === 'cgroup_sockopt') return eat === AT.cgroup_setsockopt ? withArgs(p, type, SK_SOCKOPT_ARGS[id]!) : undefined;
      // tracing_prog_func_proto falls back to the iterator target's get_func_proto
      if (type === 'tracing' && eat === AT.trace_iter && SOCKOPT_ITER_TARGETS.has(prog.attachTo ?? ''))
        return withArgs(p, type, SK_SOCKOPT_ARGS[id]!);
      break;
    case BPF_FUNC_bind:
      // sock_addr_func_proto: bpf_bind only before connect()
      if (eat !== AT.cgroup_inet4_connect && eat !== AT.cgroup_inet6_connect) return undefined;
      break;
    case BPF_FUNC_get_attach_cookie:
      // tracing_prog_func_proto: BTF tracepoints and trampolines carry a cookie
      if (type === 'tracing' && eat !== AT.trace_raw_tp && !hasTrampoline(type, eat)) return undefined;
      break;
  }
  return p.progTypes.includes(type) ? p : undefined;
}
