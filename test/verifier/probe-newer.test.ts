/**
 * Cases of the session-14 breadth probe of newer verifier constructs (test/fixtures/btf-typed/probe_newer.c)
 * where bpflab disagreed with Linux 6.18: trusted-argument kfuncs given untrusted memory
 * (bpf_cpumask_acquire/release), bpf_sock_addr_set_sun_path's flags and program types, a store
 * through a callback's key pointer, bpf_refcount_acquire of an object without a btf_record, and reads
 * past a member's end through untrusted pointers, bpf_wq_init given a map other than the workqueue's,
 * a global function's memory argument tagged `__arg_nullable` or given a kernel object (it is written
 * too). Verdicts and messages; the running kernel agrees.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';
import { verify } from '../../src/verifier/index.js';

const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip newer-construct probe cases: no /sys/kernel/btf/vmlinux');
const k = kernelAvailable();
if (!k.ok) console.log(`newer-construct probe cases: no kernel comparison (${k.reason})`);

const EXPECT: Record<string, string | null> = {
  cpumask_release_stack: 'R1 must be referenced or trusted',
  cpumask_acquire_stack: 'R1 must be referenced or trusted',
  // the released pointer is a scalar now: the trust check comes before the memory check
  cpumask_release_twice: 'R1 must be referenced or trusted',
  cpumask_set_cpu_stack: null,
  sun_path_stack: null,
  callback_key_write: 'write to change key R2 not allowed',
  refcount_plain: "verifier bug: Couldn't find btf_record",
  untrusted_read_past_member: 'access beyond the end of member flags (mend:8) in struct thread_info with off 4 size 8',
  rdonly_cast_read_past_member: 'access beyond the end of member flags (mend:8) in struct thread_info with off 4 size 8',
  untrusted_read_in_member: null,
  wq_init_other_map: "workqueue pointer in R1 map_uid=0 doesn't match map pointer in R2 map_uid=0",
  wq_init_own_map: null,
  global_mem_nullable_tag: 'arg#0 has invalid combination of tags',
  global_mem_kernel_object: 'only read is supported',
  global_mem_stack: null,
};

describe.skipIf(!haveBtf)('newer constructs found by the breadth probe', () => {
  test('verdicts and messages as Linux 6.18 gives them', async () => {
    const file = new URL('../fixtures/btf-typed/probe_newer.o', import.meta.url);
    const programs = await loadFile('probe_newer.o', new Uint8Array(readFileSync(file)));
    expect(programs.map((p) => p.name).sort()).toEqual(Object.keys(EXPECT).sort());
    for (const p of programs) {
      const want = EXPECT[p.name]!;
      const r = verify(p);
      expect(r.verdict, `${p.name}: ${r.error?.message}`).toBe(want === null ? 'accept' : 'reject');
      if (want !== null) expect(r.error!.message, p.name).toBe(want);
      if (!k.ok) continue;
      const kr = progLoad(p, { logLevel: 1 });
      if (kr.fd !== null) closeFd(kr.fd);
      expect(kr.verdict, `${p.name}: kernel ${kr.log.slice(-300)}`).toBe(r.verdict);
      if (want !== null) expect(kr.log.split('\n'), p.name).toContain(want);
    }
  });

  test('a program BTF that BPF_BTF_LOAD refuses (btf_parse_struct_metas) leaves programs and maps without BTF', async () => {
    const file = new URL('../fixtures/btf-typed/btf_struct_metas.o', import.meta.url);
    const programs = await loadFile('btf_struct_metas.o', new Uint8Array(readFileSync(file)));
    const want: Record<string, string | null> = {
      lock_in_map: "map 'lm' has to have BTF in order to use bpf_spin_lock",
      new_object: 'bpf_obj_new/bpf_percpu_obj_new requires prog BTF',
      plain: null,
    };
    expect(programs.map((p) => p.name).sort()).toEqual(Object.keys(want).sort());
    for (const p of programs) {
      const r = verify(p);
      expect(r.error?.message ?? null, p.name).toBe(want[p.name]);
      if (!k.ok) continue;
      const kr = progLoad(p, { logLevel: 1 });
      if (kr.fd !== null) closeFd(kr.fd);
      expect(kr.verdict, `${p.name}: kernel ${kr.log.slice(-300)}`).toBe(r.verdict);
      if (want[p.name]) expect(kr.log.split('\n'), p.name).toContain(want[p.name]);
    }
  });
});
