/**
 * What a program may call, beyond its type: get_func_proto per expected attach type (bpf_get_retval
 * on cgroup hooks, bpf_setsockopt in cgroup/setsockopt, bpf_bind before connect), per iterator
 * target (bpf_{get,set}sockopt in iter/tcp and iter/unix), per fallback table (syscall programs
 * reach tracing_prog_func_proto), the argument each variant takes, ARG_PTR_TO_CONST_STR (a
 * frozen read-only map's NUL-terminated string at a constant offset) and the syscall program's
 * context (the caller's buffer). Every program has its expected verdict; with a kernel, the
 * kernel's verdict must be the same, and the availability of every modelled helper per attach
 * type must match get_func_proto.
 */
import { release } from 'node:os';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { MapSpec, ProgType, Program } from '../../src/isa/program.js';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { ATTACH_TYPES as AT } from '../../src/loader/section-types.js';
import { funcProto } from '../../src/runtime/helpers/func-proto.js';
import { HELPER_PROTOS } from '../../src/runtime/helpers/prototypes.js';
import { verify } from '../../src/verifier/index.js';

const k = kernelAvailable();
if (!k.ok) console.log(`func-proto: no kernel comparison (${k.reason})`);
const is618 = release().startsWith('6.18');

interface Case {
  type: ProgType;
  eat?: number;
  attachTo?: string;
  /** The ELF section (its libbpf flags): default "syscall" for syscall programs, none otherwise. */
  section?: string;
  text: string;
  /** Changes to the assembled maps (read-only data, frozen or not). */
  maps?: (m: MapSpec[]) => MapSpec[];
  expect: 'accept' | string;
}

function program(c: Case): Program {
  const a = assemble(c.text);
  const p: Program = { name: 'fp', section: c.section ?? (c.type === 'syscall' ? 'syscall' : ''), type: c.type, insns: a.insns, maps: c.maps ? c.maps(a.maps) : a.maps, license: 'GPL' };
  if (c.eat !== undefined) p.expectedAttachType = c.eat;
  if (c.attachTo !== undefined) p.attachTo = c.attachTo;
  return p;
}

const retval = 'call bpf_get_retval\nr1 = r0\ncall bpf_set_retval\nr0 = 1\nexit';
/** setsockopt(sk, SOL_TCP, TCP_NODELAY, &1, 4) with `sk` in r1. */
const setNodelay = (sk: string): string => `${sk}\nr2 = 6\nr3 = 1\n*(u32 *)(r10 -4) = 1\nr4 = r10\nr4 += -4\nr5 = 4\ncall bpf_setsockopt\nr0 = 1\nexit`;
/** getsockopt(sk, SOL_TCP, TCP_CONGESTION, buf, 16) on an iterator's socket (ctx + 8, may be NULL). */
const iterGetCc = 'r6 = *(u64 *)(r1 +8)\nif r6 == 0 goto out\nr1 = r6\nr2 = 6\nr3 = 13\nr4 = r10\nr4 += -16\nr5 = 16\ncall bpf_getsockopt\nout:\nr0 = 0\nexit';
const iterSetSndbuf = 'r6 = *(u64 *)(r1 +8)\nif r6 == 0 goto out\nr1 = r6\nr2 = 1\nr3 = 7\n*(u32 *)(r10 -4) = 4096\nr4 = r10\nr4 += -4\nr5 = 4\ncall bpf_setsockopt\nout:\nr0 = 0\nexit';
/** bpf_strncmp(stack "abc\0...", 8, str + off) with the string pointer built by `ptr`. */
const strncmp = (ptr: string): string => `.map ro array key=4 value=16 entries=1\n*(u64 *)(r10 -8) = 0x636261\nr1 = r10\nr1 += -8\nr2 = 8\n${ptr}\ncall bpf_strncmp\nr0 = 0\nexit`;
const rodata = (text: string, frozen = true) => (ms: MapSpec[]): MapSpec[] =>
  ms.map((m) => ({ ...m, flags: m.flags | 0x80, readonly: frozen, initial: new TextEncoder().encode(text.padEnd(16, '\0').slice(0, 16)) }));

const CASES: Record<string, Case> = {
  // cgroup_common_func_proto: no retval helpers where the hook's return value is fixed or a packet verdict
  retval_connect4: { type: 'cgroup_sock_addr', eat: AT.cgroup_inet4_connect, text: retval, expect: 'accept' },
  retval_recvmsg4: { type: 'cgroup_sock_addr', eat: AT.cgroup_udp4_recvmsg, text: retval, expect: 'program of this type cannot use helper bpf_get_retval#186' },
  retval_getsockname6: { type: 'cgroup_sock_addr', eat: AT.cgroup_inet6_getsockname, text: retval, expect: 'program of this type cannot use helper bpf_get_retval#186' },
  retval_unix_getpeername: { type: 'cgroup_sock_addr', eat: AT.cgroup_unix_getpeername, text: retval, expect: 'program of this type cannot use helper bpf_get_retval#186' },
  retval_sock_create_default: { type: 'cgroup_sock', text: retval, expect: 'accept' },
  sock_create_default_mark: { type: 'cgroup_sock', eat: 0, text: '*(u32 *)(r1 +16) = 1\nr0 = 1\nexit', expect: 'accept' },
  retval_sockopt: { type: 'cgroup_sockopt', eat: AT.cgroup_getsockopt, text: retval, expect: 'accept' },
  // cg_sockopt_func_proto: bpf_sk_setsockopt_proto on ctx->sk, setsockopt hooks only
  sockopt_set_sk: { type: 'cgroup_sockopt', eat: AT.cgroup_setsockopt, text: setNodelay('r1 = *(u64 *)(r1 +0)'), expect: 'accept' },
  sockopt_set_ctx: { type: 'cgroup_sockopt', eat: AT.cgroup_setsockopt, text: setNodelay(''), expect: 'R1 type=ctx expected=' },
  sockopt_get_hook: { type: 'cgroup_sockopt', eat: AT.cgroup_getsockopt, text: setNodelay('r1 = *(u64 *)(r1 +0)'), expect: 'program of this type cannot use helper bpf_setsockopt#49' },
  // sock_addr_func_proto: bpf_sock_addr_setsockopt_proto takes the context; bpf_bind only in connect hooks
  sock_addr_set_ctx: { type: 'cgroup_sock_addr', eat: AT.cgroup_inet4_connect, text: setNodelay(''), expect: 'accept' },
  bind_connect6: { type: 'cgroup_sock_addr', eat: AT.cgroup_inet6_connect, text: 'r2 = r10\nr2 += -16\n*(u64 *)(r10 -16) = 0\n*(u64 *)(r10 -8) = 0\nr3 = 16\ncall bpf_bind\nr0 = 1\nexit', expect: 'accept' },
  bind_sendmsg4: { type: 'cgroup_sock_addr', eat: AT.cgroup_udp4_sendmsg, text: 'r2 = r10\nr2 += -16\n*(u64 *)(r10 -16) = 0\n*(u64 *)(r10 -8) = 0\nr3 = 16\ncall bpf_bind\nr0 = 1\nexit', expect: 'program of this type cannot use helper bpf_bind#64' },
  // bpf_iter_tcp / bpf_iter_unix get_func_proto: bpf_sk_{get,set}sockopt on the iterated socket
  iter_tcp_getsockopt: { type: 'tracing', eat: AT.trace_iter, attachTo: 'tcp', text: iterGetCc, expect: 'accept' },
  iter_unix_setsockopt: { type: 'tracing', eat: AT.trace_iter, attachTo: 'unix', text: iterSetSndbuf, expect: 'accept' },
  iter_tcp_ctx: { type: 'tracing', eat: AT.trace_iter, attachTo: 'tcp', text: 'r2 = 6\nr3 = 13\nr4 = r10\nr4 += -16\nr5 = 16\ncall bpf_getsockopt\nr0 = 0\nexit', expect: 'R1 type=ctx expected=' },
  iter_task_getsockopt: { type: 'tracing', eat: AT.trace_iter, attachTo: 'task', text: iterGetCc, expect: 'program of this type cannot use helper bpf_getsockopt#57' },
  // sk_reuseport_func_proto: bpf_get_socket_ptr_cookie_proto
  reuseport_cookie_sk: { type: 'sk_reuseport', eat: AT.sk_reuseport_select, text: 'r1 = *(u64 *)(r1 +40)\ncall bpf_get_socket_cookie\nr0 = 1\nexit', expect: 'accept' },
  reuseport_cookie_ctx: { type: 'sk_reuseport', eat: AT.sk_reuseport_select, text: 'call bpf_get_socket_cookie\nr0 = 1\nexit', expect: 'R1 type=ctx expected=' },
  // ARG_PTR_TO_CONST_STR
  strncmp_rodata: { type: 'socket_filter', text: strncmp('r3 = map_value[ro] + 4'), maps: rodata('abcdabc'), expect: 'accept' },
  strncmp_not_frozen: { type: 'socket_filter', text: strncmp('r3 = map_value[ro] + 4'), maps: rodata('abcdabc', false), expect: "R3 does not point to a readonly map'" },
  strncmp_writable: { type: 'socket_filter', text: strncmp('r3 = map_value[ro] + 0'), expect: "R3 does not point to a readonly map'" },
  strncmp_unterminated: { type: 'socket_filter', text: strncmp('r3 = map_value[ro] + 8'), maps: rodata('abc\0abcdabcdabcd'), expect: 'string is not zero-terminated' },
  strncmp_variable: { type: 'socket_filter', text: strncmp('call bpf_get_prandom_u32\nr0 &= 4\nr3 = map_value[ro] + 0\nr3 += r0\n*(u64 *)(r10 -8) = 0x636261\nr1 = r10\nr1 += -8\nr2 = 8'), maps: rodata('abc'), expect: "R3 is not a constant address'" },
  strncmp_past_value: { type: 'socket_filter', text: strncmp('r3 = map_value[ro] + 8\nr3 += 8'), maps: rodata('abc'), expect: 'invalid access to map value, value_size=16 off=16 size=0' },
  // syscall programs: the caller's buffer, naturally aligned, through r1 unmodified; tracing helpers
  syscall_ctx_rw: { type: 'syscall', text: 'r2 = *(u64 *)(r1 +8)\n*(u32 *)(r1 +4) = 7\n*(u64 *)(r1 +16) = r10\nr0 = *(s32 *)(r1 +32764)\nr0 = 0\nexit', expect: 'accept' },
  syscall_ctx_misaligned: { type: 'syscall', text: 'r0 = *(u32 *)(r1 +2)\nr0 = 0\nexit', expect: 'invalid bpf_context access off=2 size=4' },
  syscall_ctx_negative: { type: 'syscall', text: 'r0 = *(u8 *)(r1 -1)\nr0 = 0\nexit', expect: 'invalid bpf_context access off=-1 size=1' },
  syscall_ctx_helper_mem: { type: 'syscall', text: 'r2 = r1\nr1 = 0\nr3 = 16\ncall bpf_sys_bpf\nr0 = 0\nexit', expect: 'R2 type=ctx expected=' },
  syscall_tracing_helper: { type: 'syscall', text: 'r6 = r1\nr1 = r10\nr1 += -8\nr2 = 8\nr3 = 0\ncall bpf_probe_read_kernel\nr1 = r6\ncall bpf_get_func_ip\nr0 = 0\nexit', expect: 'func bpf_get_func_ip#173 not supported for program type 31' },
  func_ip_iter: { type: 'tracing', eat: AT.trace_iter, attachTo: 'task', text: 'call bpf_get_func_ip\nr0 = 0\nexit', expect: 'func bpf_get_func_ip#173 supported only for fentry/fexit/fmod_ret programs' },
  func_ip_raw_tp: { type: 'raw_tracepoint', text: 'call bpf_get_func_ip\nr0 = 0\nexit', expect: 'func bpf_get_func_ip#173 not supported for program type 17' },
  func_ip_kprobe: { type: 'kprobe', text: 'call bpf_get_func_ip\nr0 = 0\nexit', expect: 'accept' },
  syscall_sk_storage: { type: 'syscall', text: '.map st sk_storage key=4 value=8 entries=0 flags=1\nr1 = map[st]\nr2 = 0\nr3 = 0\nr4 = 0\ncall bpf_sk_storage_get\nr0 = 0\nexit', expect: 'helper call is not allowed in probe' },
  syscall_not_sleepable: { type: 'syscall', section: '', text: 'r0 = 0\nexit', expect: 'Syscall programs can only be sleepable' },
  syscall_no_seq: { type: 'syscall', text: 'r1 = 0\nr2 = 0\nr3 = 0\ncall bpf_seq_write\nr0 = 0\nexit', expect: 'program of this type cannot use helper bpf_seq_write#127' },
};

describe('get_func_proto per attach type, iterator target and fallback table', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(name, () => {
      const p = program(c);
      const v = verify(p);
      if (c.expect === 'accept') expect(v.error?.message ?? 'accept', name).toBe('accept');
      else expect(v.error?.message ?? 'accept', name).toContain(c.expect);
      if (!k.ok) return;
      const r = progLoad(p, { logLevel: 1 });
      if (r.fd !== null) closeFd(r.fd);
      expect(r.fd !== null ? 'accept' : 'reject', `${name}: kernel\n${r.log}`).toBe(v.verdict);
      if (c.expect !== 'accept' && is618) expect(r.log, name).toContain(c.expect);
    });
  }
});

/** (program type, expected attach type) pairs whose helper set depends on the attach type or falls back to another table. */
const PAIRS: [ProgType, number][] = [
  ...[8, 9, 10, 11, 14, 15, 19, 20, 29, 30, 31, 32, 49, 50, 51, 52, 53].map((e): [ProgType, number] => ['cgroup_sock_addr', e]),
  ['cgroup_sockopt', 21], ['cgroup_sockopt', 22], ['cgroup_sock', 0], ['cgroup_sock', 2], ['cgroup_sock', 12], ['cgroup_sock', 34],
  ['cgroup_skb', 0], ['cgroup_skb', 1], ['sock_ops', 3], ['cgroup_device', 6], ['cgroup_device', 0], ['cgroup_sysctl', 18],
  ['sk_reuseport', 0], ['sk_reuseport', 40], ['sk_lookup', 36], ['sk_skb', 4], ['sk_skb', 38], ['sk_msg', 7], ['flow_dissector', 17],
  ['lwt_in', 0], ['lwt_xmit', 0], ['lwt_seg6local', 0], ['netfilter', 45], ['syscall', 0], ['raw_tracepoint_writable', 0],
];

describe.skipIf(!k.ok)('helper availability per attach type matches the running kernel', () => {
  it('funcProto answers as get_func_proto does', () => {
    const mismatches: string[] = [];
    for (const [type, eat] of PAIRS) {
      for (const p of HELPER_PROTOS.values()) {
        const insns = [{ code: 0x85, dst: 0, src: 0, off: 0, imm: p.id }, { code: 0xb7, dst: 0, src: 0, off: 0, imm: 1 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
        const r = progLoad({ name: 'h', section: type === 'syscall' ? 'syscall' : '', type, insns, maps: [], license: 'GPL' }, { logLevel: 1, expectedAttachType: eat });
        if (r.fd !== null) closeFd(r.fd);
        const kernel = !/cannot use helper|unknown func/.test(r.log);
        if (kernel !== (funcProto(p.id, { type, expectedAttachType: eat }) !== undefined))
          mismatches.push(`${type}/${eat} ${p.name}: kernel ${kernel ? 'allows' : 'denies'}`);
      }
    }
    if (!is618) { console.log(`kernel ${release()} (table is for 6.18): ${mismatches.length} differences`, mismatches.slice(0, 10)); return; }
    expect(mismatches).toEqual([]);
  }, 60_000);
});
