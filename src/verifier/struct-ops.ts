/**
 * struct_ops programs (kernel/bpf/bpf_struct_ops.c, verifier.c check_struct_ops_btf_id): a
 * program implements one function-pointer member of a kernel struct registered as a struct_ops
 * type (vmlinux BTF has `struct bpf_struct_ops_<name>` for each). Its context is the member's
 * prototype, read as a tracing program's (btf_ctx_access: u64 slots, pointer arguments trusted,
 * `__nullable` arguments of the type's CFI stub maybe-NULL); a void member may leave R0 unset.
 * The type's own verifier ops (bpf_struct_ops.verifier_ops) decide the helpers it may call
 * (get_func_proto), how its arguments are typed (is_valid_access) and which kernel fields it may
 * write (btf_struct_access). Members without a CFI stub are unsupported.
 *
 * Modelled types (Linux 6.18): tcp_congestion_ops (net/ipv4/bpf_tcp_ca.c), bpf_dummy_ops
 * (net/bpf/bpf_dummy_struct_ops.c) and sched_ext_ops (kernel/sched/ext.c); other struct_ops
 * types are refused as not modelled.
 */
import type { ProgType } from '../isa/program.js';
import type { Btf, BtfParam, BtfType } from '../loader/btf/index.js';
import { ARG, helperProto, helperProtoWith, type HelperProto } from '../runtime/helpers/prototypes.js';
import type { TracingTarget } from './tracing-ctx.js';

/** A struct_ops program's attach point: the tracing-style target plus the struct and member. */
export interface StructOpsTarget extends TracingTarget {
  struct: string;
  member: string;
  /** Byte offset of the member in the struct (prog_ops_moff). */
  moff: number;
  /** The member's index in the kernel struct: the program's expected_attach_type. */
  index: number;
}

/** One struct_ops type's registration: CFI stubs and verifier ops, as the kernel defines them. */
interface StructOpsType {
  /** The CFI stub of each member (cfi_stubs); a member without one is unsupported. */
  stub(member: string): string | undefined;
  /** check_member: why the kernel refuses this member for this program, if it does. */
  checkMember?(member: string, sleepable: boolean): boolean;
  /** get_func_proto: the helper's prototype for this member, or undefined when it is not offered. */
  helper(id: number, member: string): HelperProto | undefined;
  /** is_valid_access: the argument's struct as the program sees it (bpf_tcp_ca: sock -> tcp_sock). */
  retype?(btf: Btf): ReadonlyMap<number, number>;
  /** btf_struct_access for writes: the kernel's message refusing the write, or undefined when allowed. */
  write(btf: Btf, structId: number, off: number, size: number): string | undefined;
}

/** bpf_base_func_proto: what every struct_ops type falls back to. */
function baseHelper(id: number): HelperProto | undefined {
  const p = helperProto(id);
  return p && p.progTypes.includes('struct_ops') ? p : undefined;
}

/** A helper offered to this struct_ops program with the given arguments (the proto's struct_ops variant). */
function offered(id: number, args?: HelperProto['args']): HelperProto | undefined {
  const p = helperProto(id);
  if (!p) return undefined;
  const progTypes: readonly ProgType[] = p.progTypes.includes('struct_ops') ? p.progTypes : [...p.progTypes, 'struct_ops'];
  return helperProtoWith(p, args ?? p.args, progTypes);
}

/** Byte range [off, end) of a member reached by name from struct `root`, through nested and anonymous members. */
function memberRange(btf: Btf, root: string, path: readonly string[]): { off: number; end: number } | undefined {
  let t: BtfType | undefined = btf.find(root, 'struct')[0];
  let off = 0;
  let size = 0;
  for (const name of path) {
    const found = t && findMember(btf, t, name);
    if (!found) return undefined;
    off += found.off;
    size = btf.resolveSize(found.type) ?? 0;
    t = btf.skipMods(found.type);
  }
  return { off, end: off + size };
}

function findMember(btf: Btf, t: BtfType, name: string): { off: number; type: number } | undefined {
  if (t.kind !== 'struct' && t.kind !== 'union') return undefined;
  for (const m of t.members) {
    if (m.name === name) return { off: Math.floor(m.bitOffset / 8), type: m.type };
    if (m.name === '') {
      const inner = btf.skipMods(m.type);
      const r = inner && findMember(btf, inner, name);
      if (r) return { off: Math.floor(m.bitOffset / 8) + r.off, type: r.type };
    }
  }
  return undefined;
}

const TCP_CA_STUBS: Readonly<Record<string, string>> = {
  ssthresh: 'bpf_tcp_ca_ssthresh', cong_avoid: 'bpf_tcp_ca_cong_avoid', set_state: 'bpf_tcp_ca_set_state',
  cwnd_event: 'bpf_tcp_ca_cwnd_event', in_ack_event: 'bpf_tcp_ca_in_ack_event', pkts_acked: 'bpf_tcp_ca_pkts_acked',
  min_tso_segs: 'bpf_tcp_ca_min_tso_segs', tso_segs: 'bpf_tcp_ca_tso_segs', cong_control: 'bpf_tcp_ca_cong_control',
  undo_cwnd: 'bpf_tcp_ca_undo_cwnd', sndbuf_expand: 'bpf_tcp_ca_sndbuf_expand', init: '__bpf_tcp_ca_init', release: '__bpf_tcp_ca_release',
};

/** bpf_tcp_ca_btf_struct_access: the tcp_sock fields a congestion control may write. */
const TCP_CA_WRITABLE: readonly (readonly [string, readonly string[], boolean?])[] = [
  ['sock', ['sk_pacing_rate']],
  ['sock', ['sk_pacing_status']],
  // bpf_ctx_range: any offset inside icsk_ca_priv
  ['inet_connection_sock', ['icsk_ca_priv'], true],
  ['inet_connection_sock', ['icsk_ack', 'pending']],
  ['tcp_sock', ['snd_cwnd']],
  ['tcp_sock', ['snd_cwnd_cnt']],
  ['tcp_sock', ['snd_cwnd_stamp']],
  ['tcp_sock', ['snd_ssthresh']],
  ['tcp_sock', ['ecn_flags']],
  ['tcp_sock', ['app_limited']],
];

const TCP_CONGESTION_OPS: StructOpsType = {
  stub: (m) => TCP_CA_STUBS[m],
  helper(id, member) {
    switch (id) {
      case 116: return offered(116);
      case 107: case 108: return offered(id);
      // bpf_sk_setsockopt_proto / bpf_sk_getsockopt_proto, not from release()
      case 49: return member === 'release' ? undefined : offered(49, [ARG.btfSockCommon, ARG.anything, ARG.anything, ARG.memRdonly, ARG.constSize]);
      case 57: return member === 'release' ? undefined : offered(57, [ARG.btfSockCommon, ARG.anything, ARG.anything, ARG.uninitMem, ARG.constSize]);
      case 160: return offered(160);
      default: return baseHelper(id);
    }
  },
  retype(btf) {
    const sock = btf.find('sock', 'struct')[0];
    const tcp = btf.find('tcp_sock', 'struct')[0];
    return new Map(sock && tcp ? [[sock.id, tcp.id]] : []);
  },
  write(btf, structId, off, size) {
    const tcp = btf.find('tcp_sock', 'struct')[0];
    if (!tcp || btf.skipMods(structId)?.id !== tcp.id) return 'only read is supported';
    for (const [root, path, range] of TCP_CA_WRITABLE) {
      const r = memberRange(btf, root, path);
      if (!r || (range ? off < r.off || off >= r.end : off !== r.off)) continue;
      if (off + size > r.end) return `write access at off ${off} with size ${size} beyond the member of tcp_sock ended at ${r.end}`;
      return undefined;
    }
    return `no write support to tcp_sock at off ${off}`;
  },
};

const DUMMY_STUBS: Readonly<Record<string, string>> = { test_1: 'bpf_dummy_ops__test_1', test_2: 'bpf_dummy_test_2', test_sleepable: 'bpf_dummy_test_sleepable' };

const BPF_DUMMY_OPS: StructOpsType = {
  stub: (m) => DUMMY_STUBS[m],
  checkMember: (m, sleepable) => m === 'test_sleepable' || !sleepable,
  // no get_func_proto: no helper at all
  helper: () => undefined,
  write(btf, structId, off, size) {
    const state = btf.find('bpf_dummy_ops_state', 'struct')[0];
    if (!state || btf.skipMods(structId)?.id !== state.id) return 'only access to bpf_dummy_ops_state is supported';
    if (state.kind === 'struct' && off + size > state.size) return `write access at off ${off} with size ${size}`;
    return undefined;
  },
};

/** bpf_scx_check_member: the sched_ext callbacks that may sleep. */
const SCX_SLEEPABLE = new Set(['init_task', 'cgroup_init', 'cgroup_exit', 'cgroup_prep_move', 'cgroup_set_bandwidth', 'cpu_online', 'cpu_offline', 'init', 'exit']);

const SCHED_EXT_OPS: StructOpsType = {
  // Every callback has a stub named sched_ext_ops__<member> (__bpf_ops_sched_ext_ops).
  stub: (m) => `sched_ext_ops__${m}`,
  checkMember: (m, sleepable) => SCX_SLEEPABLE.has(m) || !sleepable,
  // bpf_scx_verifier_ops.get_func_proto = bpf_base_func_proto
  helper: (id) => baseHelper(id),
  write(btf, structId, off, size) {
    // bpf_scx_btf_struct_access: p->scx.slice, p->scx.dsq_vtime and p->scx.disallow (no log line)
    const task = btf.find('task_struct', 'struct')[0];
    if (task && btf.skipMods(structId)?.id === task.id) {
      for (const f of ['slice', 'dsq_vtime', 'disallow']) {
        const r = memberRange(btf, 'task_struct', ['scx', f]);
        if (r && off >= r.off && off + size <= r.end) return undefined;
      }
    }
    return 'no write support to this field of a sched_ext program (bpf_scx_btf_struct_access logs nothing)';
  },
};

const TYPES: Readonly<Record<string, StructOpsType>> = {
  tcp_congestion_ops: TCP_CONGESTION_OPS,
  bpf_dummy_ops: BPF_DUMMY_OPS,
  sched_ext_ops: SCHED_EXT_OPS,
};

/** A refusal: the kernel's log line, or a note that bpflab does not model the case. */
export interface StructOpsRefusal {
  message: string;
  unsupported?: boolean;
}

/**
 * check_struct_ops_btf_id (with libbpf's resolution of the struct and member in the kernel BTF
 * before it): the program's target, or why it is refused.
 */
export function structOpsTarget(btf: Btf, prog: { structOps?: { struct: string; member: string }; gpl: boolean; sleepable: boolean }): StructOpsTarget | StructOpsRefusal {
  if (!prog.gpl) return { message: 'struct ops programs must have a GPL compatible license' };
  const use = prog.structOps;
  // No struct_ops map uses the program: libbpf loads it with attach_btf_id 0, refused with ENOTSUPP and no log line.
  if (!use) return { message: 'struct_ops program without attach_btf_id (no struct_ops map refers to it)' };
  const st = btf.find(use.struct, 'struct')[0];
  if (!st || st.kind !== 'struct' || !btf.find(`bpf_struct_ops_${use.struct}`, 'struct')[0])
    return { message: `struct_ops init_kern: struct ${use.struct} is not found in kernel BTF` };
  const index = st.members.findIndex((m) => m.name === use.member);
  if (index < 0) return { message: `struct_ops init_kern ${use.struct}: Cannot find member ${use.member} in kernel BTF` };
  const m = st.members[index]!;
  const ptr = btf.skipMods(m.type);
  const fp = ptr?.kind === 'ptr' ? btf.skipMods(ptr.type) : undefined;
  if (!fp || fp.kind !== 'func_proto') return { message: `attach to invalid member ${m.name}(@idx ${index}) of struct ${use.struct}` };
  const ops = TYPES[use.struct];
  if (!ops) return { message: `bpflab does not model the verifier ops of struct_ops type ${use.struct}`, unsupported: true };
  const stubName = ops.stub(m.name);
  const stubFn = stubName ? btf.find(stubName, 'func')[0] : undefined;
  const stub = stubFn?.kind === 'func' ? btf.skipMods(stubFn.type) : undefined;
  if (!stub || stub.kind !== 'func_proto') return { message: `attach to unsupported member ${m.name} of struct ${use.struct}` };
  if (ops.checkMember && !ops.checkMember(m.name, prog.sleepable)) return { message: `attach to unsupported member ${m.name} of struct ${use.struct}` };
  // prepare_arg_info: the stub's parameter names carry the __nullable (and __ref) suffixes.
  const params: BtfParam[] = fp.params.map((p, i) => ({ type: p.type, name: stub.params.length === fp.params.length ? stub.params[i]!.name : p.name }));
  if (params.some((p) => p.name.endsWith('__ref'))) return { message: `bpflab does not model referenced (__ref) arguments of ${use.struct}.${m.name}`, unsupported: true };
  const retype = ops.retype?.(btf);
  return {
    // attach: no tracing attach type (the member index, expected_attach_type, is `index`)
    name: m.name, params, ret: fp.type, retSlot: false, trusted: true, iter: false, attach: -1,
    ...(retype && { retype }), struct: use.struct, member: m.name, moff: Math.floor(m.bitOffset / 8), index,
  };
}

/** get_func_proto of the program's struct_ops type (undefined: the helper is not offered). */
export function structOpsHelper(t: StructOpsTarget, id: number): HelperProto | undefined {
  return TYPES[t.struct]?.helper(id, t.member);
}

/** btf_struct_access of the program's struct_ops type for a write: the refusal's log line, or undefined when allowed. */
export function structOpsWrite(btf: Btf, t: StructOpsTarget, structId: number, off: number, size: number): string | undefined {
  const ops = TYPES[t.struct];
  return ops ? ops.write(btf, structId, off, size) : 'only read is supported';
}
