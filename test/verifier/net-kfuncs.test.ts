/**
 * The networking kfunc sets modelled apart (src/verifier/kfunc-flags-net.ts, conntrack.ts) and
 * a few common-hook kfuncs, from test/fixtures/btf-typed/net_kfuncs.c: the conntrack family
 * (acquire / release, the nf_conn___init no-cast alias, writes to nf_conn.mark only), the
 * test-run destructor of a prog_test_ref_kfunc kptr, bpf_map_sum_elem_count and the sleepable
 * bpf_copy_from_user_str, a bpf_crypto_ctx kptr as an RCU pointer (with a NULL `__nullable` IV), each
 * with a misuse 6.18 refuses. The messages are 6.18's; where the
 * running kernel is there, it agrees.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';
import type { Program } from '../../src/isa/program.js';
import { Vm } from '../../src/vm/index.js';
import { loadFile } from '../../src/loader/index.js';
import { programBtf } from '../../src/verifier/map-record.js';
import { expectVerdict, type Expected } from './expect-verdicts.js';

const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip the networking kfunc programs: no /sys/kernel/btf/vmlinux');
const k = kernelAvailable();
if (!k.ok) console.log(`networking kfuncs: no kernel comparison (${k.reason})`);


const NET_KFUNCS: Record<string, Expected> = {
  ct_lookup_release: ['accept'],
  ct_alloc_insert: ['accept'],
  ct_leak: ['reject', 'Unreleased reference id=2 alloc_insn=17'],
  ct_init_kfunc_on_entry: ['reject', 'kernel function bpf_ct_set_timeout args#0 expected pointer to STRUCT nf_conn___init but R1 has a pointer to STRUCT nf_conn'],
  // nf_conn___init is a no-cast alias of nf_conn: no walk into its first member
  ct_entry_kfunc_on_init: ['reject', 'kernel function bpf_ct_change_timeout args#0 expected pointer to STRUCT nf_conn but R1 has a pointer to STRUCT nf_conn___init'],
  ct_write_status: ['reject', 'no write support to nf_conn at off 128'],
  ct_from_cgroup_skb: ['reject', 'calling kernel function bpf_skb_ct_lookup is not allowed'],
  test_ref_release: ['accept'],
  test_ref_release_xdp: ['reject', 'calling kernel function bpf_kfunc_call_test_release is not allowed'],
  test_ref_release_unreferenced: ['reject', 'R1 must be referenced or trusted'],
  map_elem_count: ['accept'],
  map_elem_count_null: ['reject', 'Possibly NULL pointer passed to trusted arg0'],
  copy_user_str_sleepable: ['accept'],
  // KF_TRUSTED_ARGS is the default on this kernel: NULL only for `__nullable` / `__opt` arguments
  copy_user_str_null: ['reject', 'Possibly NULL pointer passed to trusted arg0'],
  copy_user_str_not_sleepable: ['reject', 'program must be sleepable to call sleepable kfunc bpf_copy_from_user_str'],
  ct_lookup_case: ['accept'],
  // a bpf_crypto_ctx kptr read outside any RCU lock is MEM_RCU all the same: the program is not sleepable
  crypto_kptr_decrypt: ['accept'],
  crypto_kptr_unchecked: ['reject', 'Possibly NULL pointer passed to trusted arg0'],
};

describe.skipIf(!haveBtf)('networking kfunc sets', () => {
  test('conntrack, test-run, map and user-string kfuncs: verdicts and messages; the kernel agrees', async () => {
    const file = new URL('../fixtures/btf-typed/net_kfuncs.o', import.meta.url);
    const programs = await loadFile('net_kfuncs.o', new Uint8Array(readFileSync(file)));
    expect(programs.map((p) => p.name).sort()).toEqual(Object.keys(NET_KFUNCS).sort());
    for (const p of programs) expectVerdict(p, NET_KFUNCS[p.name]!);
  });
});

/** ct_lookup_case's packet: l4proto, ct_zone_id, netns_id (s16 LE), tuple size, opts size. */
const CT_CASES: [string, number[], [bigint, bigint]][] = [
  ['TCP, IPv4 tuple: no entry', [6, 0, 0xff, 0xff, 12, 12], [0n, -2n]],
  ['UDP, IPv6 tuple: no entry', [17, 0, 0xff, 0xff, 36, 12], [0n, -2n]],
  ['ICMP', [1, 0, 0xff, 0xff, 12, 12], [0n, -71n]],
  ['a zone, 16-byte options', [6, 1, 0xff, 0xff, 12, 16], [0n, -2n]],
  ['a zone, 12-byte options', [6, 1, 0xff, 0xff, 12, 12], [0n, -22n]],
  ['14-byte options', [6, 0, 0xff, 0xff, 12, 14], [0n, -22n]],
  ['netns_id below -1', [6, 0, 0xfe, 0xff, 12, 12], [0n, -22n]],
  ['13-byte tuple', [6, 0, 0xff, 0xff, 13, 12], [0n, -97n]],
  ['8-byte options', [6, 0, 0xff, 0xff, 12, 8], [0n, -22n]],
  ['another namespace id', [6, 0, 0x39, 0x30, 12, 12], [0n, -64n]],
];

const ctRes = (b: Uint8Array, off: number): [bigint, bigint] => { const v = new DataView(b.buffer, b.byteOffset + off); return [v.getBigInt64(0, true), v.getBigInt64(8, true)]; };

/** Where the global `name` lies in the program's .bss (its BTF DATASEC). */
function bssOffset(p: Program, name: string): number {
  const btf = programBtf(p)!;
  const sec = btf.types.find((t) => t.kind === 'datasec' && t.name === '.bss');
  const v = sec?.kind === 'datasec' ? sec.vars.find((x) => btf.type(x.type)?.name === name) : undefined;
  if (!v) throw new Error(`no .bss variable ${name}`);
  return v.offset;
}

describe.skipIf(!haveBtf)('conntrack lookups at run time', () => {
  test('bpf_xdp_ct_lookup: the option checks\' errnos and an empty table, on the VM and in the kernel', async () => {
    const file = new URL('../fixtures/btf-typed/net_kfuncs.o', import.meta.url);
    const p: Program = (await loadFile('net_kfuncs.o', new Uint8Array(readFileSync(file)))).find((q) => q.name === 'ct_lookup_case')!;
    const bss = p.maps.findIndex((m) => m.name.endsWith('.bss'));
    const at = bssOffset(p, 'ct_res');
    for (const [name, bytes, expected] of CT_CASES) {
      const packet = Uint8Array.from([...bytes, ...new Array<number>(58).fill(0)]);
      const vm = new Vm(p);
      const r = vm.run({ packet });
      expect(r.fault ?? r.error, name).toBeUndefined();
      expect(ctRes(vm.maps[bss]!.lookup(new Uint8Array(4))!, at), name).toEqual(expected);
      if (!k.ok) continue;
      const kr = runInKernel(p, { data: packet });
      expect(ctRes(kr.maps[bss]!.entries[0]![1], at), `${name} (kernel)`).toEqual(expected);
    }
  });
});
