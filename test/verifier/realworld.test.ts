/**
 * Programs in the style of real projects, outside ../shared (test/fixtures/btf-typed:
 * kptr_storage.c, sockmsg_cgroup.c, kconfig_ksyms.c, cgroup_ctl.c, newer_kfuncs.c, lwt_encap.c, mptcp_cast.c): local storage of tasks and
 * cgroups, kptrs swapped with bpf_kptr_xchg, sk_msg verdicts, cgroup/sockops/sk_lookup helpers,
 * device and sysctl filters. Each verdict and message is
 * the expected one, and, where the kernel can load the program, the kernel's: same verdict, and
 * for a refusal the same message in its log. The objects carry `.ksyms` kfunc externs, so the
 * kernel gets their BTF laid out as libbpf lays it out (dummy_ksym), one BTF object for maps and
 * programs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';
import { verify } from '../../src/verifier/index.js';

const dir = new URL('../fixtures/btf-typed/', import.meta.url);
const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip real-world style programs: no /sys/kernel/btf/vmlinux');
const k = kernelAvailable();
if (!k.ok) console.log(`real-world style programs: no kernel comparison (${k.reason})`);

const ACCEPT = ['accept'] as const;
/** program -> [expected verdict, the message of a refusal]. */
const EXPECT: Record<string, Record<string, readonly ['accept'] | readonly ['reject', string]>> = {
  'kptr_storage.o': {
    count_sys: ACCEPT, report_exit: ACCEPT, null_owner: ACCEPT, cg_mkdir: ACCEPT, cg_rmdir: ACCEPT, user_regs: ACCEPT,
    stash_child: ACCEPT, unstash: ACCEPT, peek_stash: ACCEPT, keep_cg: ACCEPT, read_cg: ACCEPT, last_task: ACCEPT,
    storage_wrong_map: ['reject', 'cannot pass map_type 1 into func bpf_task_storage_get#156'],
    storage_unchecked: ['reject', 'cannot pass map_type 32 into func bpf_task_storage_get#156'],
    storage_scalar_owner: ['reject', 'R2 type=scalar expected=ptr_, trusted_ptr_, rcu_ptr_'],
    func_arg_no_trampoline: ['reject', 'program of this type cannot use helper bpf_get_func_arg#183'],
    xchg_unreferenced: ['reject', 'R2 must be referenced when passed to release function'],
    // the kernel prints an acquired kfunc result as ptr_ (trusted through its reference), bpflab as trusted_ptr_
    xchg_wrong_type: ['reject', 'expected=ptr_cgroup'],
    xchg_leak: ['reject', 'Unreleased reference id=3 alloc_insn=10'],
    xchg_untrusted_field: ['reject', "off=8 kptr isn't referenced kptr"],
    use_after_xchg: ['reject', "R6 invalid mem access 'scalar'"],
    store_ref_kptr: ['reject', 'store to referenced kptr disallowed'],
    store_untrusted_wrong_type: ['reject', 'invalid kptr access, R1 type=rcu_ptr_cgroup expected=ptr_task_struct or untrusted_ptr_task_struct'],
  },
  'cgroup_ctl.o': {
    dev_allow: ACCEPT, dev_access_bits: ACCEPT, sysctl_limit: ACCEPT,
    dev_write_ctx: ['reject', 'invalid bpf_context access off=8 size=4'],
    dev_narrow_major: ['reject', 'invalid bpf_context access off=4 size=1'],
    sysctl_write_write: ['reject', 'invalid bpf_context access off=0 size=4'],
    sysctl_narrow_pos_write: ['reject', 'invalid bpf_context access off=4 size=2'],
  },
  'kconfig_ksyms.o': { uses_kconfig: ACCEPT, with_kfunc_and_callback: ACCEPT },
  'lwt_encap.o': {
    encap_in: ACCEPT,
    encap_xmit_stale: ['reject', "R6 invalid mem access 'scalar'"],
    encap_out: ['reject', 'program of this type cannot use helper bpf_lwt_push_encap#73'],
    seg6_store: ['reject', 'program of this type cannot use helper bpf_lwt_seg6_store_bytes#74'],
  },
  'mptcp_cast.o': {
    mptcp_tc: ACCEPT,
    mptcp_unchecked: ['reject', 'R1 type=sock_common_or_null expected=sock_common, sock, tcp_sock, xdp_sock'],
    mptcp_kprobe: ['reject', 'program of this type cannot use helper bpf_skc_to_mptcp_sock#196'],
  },
  'newer_kfuncs.o': {
    str_path: ACCEPT, str_socket: ACCEPT, dynptr_reads: ACCEPT, copy_user_sleep: ACCEPT,
    copy_user_nonsleep: ['reject', 'program must be sleepable to call sleepable kfunc bpf_copy_from_user_dynptr'],
    xdp_rx_meta: ['reject', 'metadata kfuncs require device-bound program'],
    session_cookie: ACCEPT,
    stream_rodata_fmt: ACCEPT,
    stream_stack_fmt: ['reject', "arg#1 doesn't point to a const string"],
    stream_data_fmt: ['reject', "R2 does not point to a readonly map'"],
    session_in_kprobe: ['reject', 'calling kernel function bpf_session_is_return is not allowed'],
  },
  'sockmsg_cgroup.o': {
    msg_verdict: ACCEPT, bind_src: ACCEPT, deny_raw: ACCEPT, hdr_opt: ACCEPT, tproxy: ACCEPT, classid: ACCEPT, sk_cg: ACCEPT, steer: ACCEPT,
    msg_narrow_port: ['reject', 'invalid bpf_context access off=60 size=2'],
    msg_write_ctx: ['reject', 'invalid bpf_context access off=68 size=4'],
    msg_stale_data: ['reject', "R6 invalid mem access 'scalar'"],
    bind_in_tc: ['reject', 'program of this type cannot use helper bpf_msg_apply_bytes#61'],
  },
};

describe.skipIf(!haveBtf)('real-world style programs', () => {
  for (const [file, progs] of Object.entries(EXPECT)) {
    test(file, async () => {
      const programs = await loadFile(file, new Uint8Array(readFileSync(new URL(file, dir))));
      expect(programs.map((p) => p.name).sort()).toEqual(Object.keys(progs).sort());
      for (const p of programs) {
        const [verdict, message] = progs[p.name]!;
        const r = verify(p);
        expect(r.verdict, `${p.name}: ${r.error?.message}`).toBe(verdict);
        if (message) expect(r.error!.message, p.name).toContain(message);
        if (!k.ok) continue;
        expect(p.btf?.kernelRefuses, p.name).toBeUndefined();
        const kr = progLoad(p, { logLevel: 1 });
        if (kr.fd !== null) closeFd(kr.fd);
        expect(kr.withBtf, `${p.name}: ${kr.btfError}`).toBe(true);
        expect(kr.verdict, `${p.name}: kernel ${kr.log.slice(-300)}`).toBe(verdict);
        if (message) expect(kr.log, p.name).toContain(message);
      }
    });
  }
});
