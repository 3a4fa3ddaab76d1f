/**
 * Rules of the kernel's per-program checks, from test/fixtures/btf-typed/prog-rules.c: the call
 * stack limit counts the frames of global functions too (check_max_stack_depth), get_local_storage
 * takes no flags, lwt_xmit may call bpf_skb_change_head, BTF tracepoints may use socket storage
 * (bpf_sk_storage_tracing_allowed), a kprobe's global function may name its context struct
 * bpf_user_pt_regs_t (btf_is_prog_ctx_type), and a map value with more than BTF_FIELDS_MAX special
 * fields has no record (no kptr to exchange), and an ld_imm64 map reference no relocation fills
 * keeps its raw fd (fd 0 is no map). Compared with the running kernel when it is there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadFile } from '../../src/loader/index.js';
import { expectVerdict, kernelCompared, type Expected } from './expect-verdicts.js';

const file = new URL('../fixtures/btf-typed/prog-rules.o', import.meta.url);
const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip program-type rules: no /sys/kernel/btf/vmlinux');
kernelCompared('program-type rules');

const EXPECT: Record<string, Expected> = {
  global_depth_8: ['accept'],
  global_depth_9: ['reject', 'the call stack of 8 frames is too deep !'],
  local_storage_flags: ['reject', "get_local_storage() doesn't support non-zero flags"],
  local_storage_no_flags: ['accept'],
  lwt_grow_head: ['accept'],
  tp_sk_storage: ['accept'],
  kprobe_user_regs_ctx: ['accept'],
  kptr_in_12_fields: ['reject', 'R1 has no valid kptr'],
  kptr_in_11_fields: ['accept'],
  raw_map_fd: ['reject', 'fd 0 is not pointing to valid bpf_map'],
};

describe.skipIf(!haveBtf)('program-type rules', () => {
  test('verdicts and messages; the kernel agrees', async () => {
    const programs = await loadFile('prog-rules.o', new Uint8Array(readFileSync(file)));
    expect(programs.map((p) => p.name).sort()).toEqual(Object.keys(EXPECT).sort());
    for (const p of programs) expectVerdict(p, EXPECT[p.name]!);
  });
});
