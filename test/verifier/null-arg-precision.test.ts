/**
 * Precision where a NULL decides what an argument is: a scalar 0 passed for nullable memory
 * (a helper's ARG_PTR_TO_MEM_OR_NULL, a kfunc's `__opt` buffer, a global function's pointer) is
 * marked precise, so a checkpoint of that path never covers a path passing another scalar,
 * which the kernel refuses (Linux 6.18's verifier_precision null_mem_arg_* tests; programs here
 * in assembly and test/fixtures/btf-typed/null_args.c).
 * With BPF_F_TEST_STATE_FREQ, against the running kernel when it is there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import type { Program } from '../../src/isa/program.js';
import { loadFile } from '../../src/loader/index.js';
import { verify } from '../../src/verifier/index.js';
import { prog } from '../runtime/util.js';

const k = kernelAvailable();
if (!k.ok) console.log(`NULL argument precision: no kernel comparison (${k.reason})`);
const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip the kfunc and global-function programs: no /sys/kernel/btf/vmlinux');
const BPF_F_TEST_STATE_FREQ = 1 << 3;

function rejectedLikeKernel(p: Program, message: string): void {
  const r = verify(p, { testStateFreq: true });
  expect(r.verdict, p.name).toBe('reject');
  expect(r.error!.message).toBe(message);
  if (!k.ok) return;
  const kr = progLoad(p, { logLevel: 1, progFlags: BPF_F_TEST_STATE_FREQ });
  if (kr.fd !== null) closeFd(kr.fd);
  expect(kr.verdict).toBe('reject');
  expect(kr.log).toContain(message);
}

describe('a NULL memory argument is precise', () => {
  it('helper: bpf_csum_diff(NULL or 42, 0, NULL, 0, 0)', () => {
    rejectedLikeKernel({ ...prog(`call bpf_get_prandom_u32
r1 = 42
if r0 > 42 goto +1
r1 = 0
r2 = 0
r3 = 0
r4 = 0
r5 = 0
call bpf_csum_diff
r0 = 0
exit`, 'sched_cls'), name: 'csum_diff_null_or_42' }, 'R1 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_');
  });
  it.skipIf(!haveBtf)('global function pointer argument, kfunc __opt buffer', async () => {
    const ps = await loadFile('null_args.o', new Uint8Array(readFileSync(new URL('../fixtures/btf-typed/null_args.o', import.meta.url))));
    rejectedLikeKernel(ps.find((p) => p.name === 'global_arg_null_or_42')!, 'R1 type=scalar expected=fp');
    rejectedLikeKernel(ps.find((p) => p.name === 'slice_buffer_null_or_42')!, 'R3 type=scalar expected=fp');
  });
});
