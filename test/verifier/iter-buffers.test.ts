/**
 * Iterators over map elements (test/fixtures/btf-typed/iter_buffers.c): the key and value
 * arguments are PTR_TO_BUF | PTR_MAYBE_NULL (the key MEM_RDONLY: "rdonly_buf_or_null",
 * "buf_or_null"), read and written at constant non-negative offsets, their furthest byte tracked
 * (prog->aux->max_rdonly_access / max_rdwr_access) for the attach-time check against the map.
 *
 * Expectations from Linux 6.18's check_mem_access / check_buffer_access / btf_ctx_access. The
 * running kernel here refuses to load these three iterator types at all (EPERM before its
 * verifier runs, with libbpf too), so its verdicts are compared only where it gives one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { closeFd, kernelAvailable, progLoad } from '../../src/kernel/index.js';
import { loadFile } from '../../src/loader/index.js';
import { verify } from '../../src/verifier/index.js';

const haveBtf = existsSync('/sys/kernel/btf/vmlinux');
if (!haveBtf) console.log('skip iterator buffers: no /sys/kernel/btf/vmlinux');
const k = kernelAvailable();

/** program -> verdict, message part, and for accepted ones the buffer extents. */
const EXPECT: Record<string, ['accept', { rdonly: number; rdwr: number } | undefined] | ['reject', string]> = {
  key_value_read: ['accept', { rdonly: 4, rdwr: 32 }],
  key_unchecked: ['reject', "R1 invalid mem access 'rdonly_buf_or_null'"],
  key_write: ['reject', 'R1 cannot write into rdonly_buf'],
  value_write_far: ['accept', { rdonly: 0, rdwr: 808 }],
  value_negative: ['reject', 'R2 invalid rdwr buffer access: off=-1, size=1'],
  value_var_off: ['reject', 'R1 invalid variable buffer offset: off=0, var_off=(0x0; 0x7)'],
  key_to_helper: ['accept', { rdonly: 16, rdwr: 0 }],
  key_helper_write: ['reject', 'R1 cannot write into rdonly_buf'],
  value_arith: ['accept', { rdonly: 0, rdwr: 20 }],
  value_arith_or_null: ['reject', 'R1 pointer arithmetic on buf_or_null prohibited, null-check it first'],
  sockmap_key: ['accept', { rdonly: 8, rdwr: 0 }],
  sk_storage_value: ['accept', { rdonly: 0, rdwr: 24 }],
};

describe.skipIf(!haveBtf)('iterator key/value buffers (PTR_TO_BUF)', () => {
  test('typed, checked and measured as the kernel does', async () => {
    const file = new URL('../fixtures/btf-typed/iter_buffers.o', import.meta.url);
    const programs = await loadFile('iter_buffers.o', new Uint8Array(readFileSync(file)));
    expect(programs.map((p) => p.name).sort()).toEqual(Object.keys(EXPECT).sort());
    let kernelVerdicts = 0;
    for (const p of programs) {
      const [verdict, detail] = EXPECT[p.name]!;
      const r = verify(p);
      expect(r.verdict, `${p.name}: ${r.error?.message}`).toBe(verdict);
      if (verdict === 'reject') expect(r.error!.message, p.name).toContain(detail);
      else expect(r.bufferAccess, p.name).toEqual(detail);
      if (!k.ok) continue;
      const kr = progLoad(p, { logLevel: 1 });
      if (kr.fd !== null) closeFd(kr.fd);
      // (refused before verification: no instruction processed, no message)
      if (kr.verdict === 'reject' && kr.errno === 'EPERM' && /processed 0 insns/.test(kr.log) && !/^\d+: /m.test(kr.log)) continue;
      kernelVerdicts++;
      expect(kr.verdict, `${p.name}: kernel ${kr.log.slice(-300)}`).toBe(verdict);
    }
    if (k.ok && kernelVerdicts === 0) console.log('iterator buffers: the running kernel refuses these iterator types before verifying them (EPERM): no kernel comparison');
  });
});
