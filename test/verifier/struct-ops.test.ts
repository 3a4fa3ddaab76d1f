/**
 * struct_ops programs (test/fixtures/btf-typed/struct_ops_*.c): the loader finds the member each
 * program implements from the `.struct_ops` map relocations; the verifier types the context from
 * the member's prototype and applies the struct type's verifier ops (tcp_congestion_ops,
 * bpf_dummy_ops). Each verdict is the expected one and, where the kernel is at hand, the running
 * kernel's (loaded with attach_btf_id = the struct, expected_attach_type = the member's index).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { readTargetBtf, RUNNING_KERNEL_BTF } from '../../src/loader/target.js';
import { verify } from '../../src/verifier/index.js';
import { expectVerdict, kernelCompared, type Expected } from './expect-verdicts.js';

const dir = new URL('../fixtures/btf-typed/', import.meta.url);
const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip struct_ops programs: no /sys/kernel/btf/vmlinux');
kernelCompared('struct_ops programs');

const load = (file: string) => loadFile(file, new Uint8Array(readFileSync(new URL(file, dir))));

/** Byte offset of tcp_sock.rcv_nxt in the running kernel (where ca_cwnd_event writes). */
function rcvNxtOffset(): number {
  const btf = readTargetBtf(RUNNING_KERNEL_BTF);
  if (typeof btf === 'string') return -1;
  const t = btf.find('tcp_sock', 'struct')[0];
  const m = t?.kind === 'struct' ? t.members.find((x) => x.name === 'rcv_nxt') : undefined;
  return m ? m.bitOffset / 8 : -1;
}

const EXPECT: Record<string, Record<string, Expected>> = {
  'struct_ops_tcp.o': {
    ca_ssthresh: ['accept'],
    ca_cong_avoid: ['accept'],
    ca_undo_cwnd: ['accept'],
    ca_init: ['accept'],
    ca_pkts_acked: ['accept'],
    ca_set_state: ['accept'],
    ca_sndbuf_expand: ['reject', 'R0 !read_ok'],
    ca_cwnd_event: ['reject', `no write support to tcp_sock at off ${haveBtf ? rcvNxtOffset() : -1}`],
    ca_release: ['reject', 'program of this type cannot use helper bpf_setsockopt#49'],
    ca_in_ack_event: ['reject', "func 'in_ack_event' doesn't have 4-th argument"],
    ca_get_info: ['reject', 'attach to unsupported member get_info of struct tcp_congestion_ops'],
    // the kernel refuses it (ENOTSUPP) without a log line
    ca_orphan: ['reject', ''],
  },
  'struct_ops_dummy.o': {
    dummy_unchecked: ['reject', "R1 invalid mem access 'trusted_ptr_or_null_'"],
    dummy_checked: ['accept'],
    dummy_args: ['accept'],
    dummy_helper: ['reject', 'program of this type cannot use helper bpf_get_prandom_u32#7'],
    dummy_write_past: ['reject', 'write access at off 8 with size 8'],
  },
};

describe('struct_ops maps', () => {
  test('each program gets the struct and member its map relocation names; an unused one gets none', async () => {
    const progs = await load('struct_ops_tcp.o');
    const by = (n: string) => progs.find((p) => p.name === n)!;
    expect(by('ca_ssthresh').structOps).toEqual({ struct: 'tcp_congestion_ops', member: 'ssthresh' });
    expect(by('ca_get_info').structOps).toEqual({ struct: 'tcp_congestion_ops', member: 'get_info' });
    expect(by('ca_orphan').structOps).toBeUndefined();
    if (haveBtf) expect(verify(by('ca_orphan')).error?.message).toBe('struct_ops program without attach_btf_id (no struct_ops map refers to it)');
    const dummy = await load('struct_ops_dummy.o');
    expect(dummy.find((p) => p.name === 'dummy_write_past')!.structOps).toEqual({ struct: 'bpf_dummy_ops', member: 'test_2' });
  });
});

describe.skipIf(!haveBtf)('struct_ops programs', () => {
  for (const [file, progs] of Object.entries(EXPECT)) {
    test(file, async () => {
      const programs = await load(file);
      expect(programs.map((p) => p.name).sort()).toEqual(Object.keys(progs).sort());
      for (const p of programs) expectVerdict(p, progs[p.name]!);
    });
  }
});
