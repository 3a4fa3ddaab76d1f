/**
 * Helper memory arguments through unaligned stack pointers: the kernel checks only the bytes
 * (check_helper_mem_access), never their alignment, so none of these calls may fault on the VM;
 * each r0 (and the stack bytes the helper wrote, read back with aligned loads) is compared with
 * BPF_PROG_TEST_RUN. Found by the fuzzer (map key at fp-62) and by cilium's skb_load_bytes.
 */
import { describe, expect, it } from 'vitest';
import type { ProgType } from '../../src/isa/program.js';
import { kernelAvailable, runInKernel } from '../../src/kernel/index.js';
import { R0_MAP, captureR0 } from '../../src/vm/kernel-harness.js';
import { Vm } from '../../src/vm/index.js';
import { prog, udpPacket } from './util.js';

const k = kernelAvailable();
if (!k.ok) console.log(`skip unaligned helper-argument comparison with the kernel: ${k.reason}`);

/** Zeroes fp-64..fp-1 so every byte is initialised, whatever the helper writes. */
const ZERO = Array.from({ length: 8 }, (_, i) => `*(u64 *)(r10 -${8 * (i + 1)}) = 0`).join('\n');
/** r0 = the u64 at fp-64 xor the one at fp-56 mixed with r6 (the helper's r0). */
const FOLD = 'r1 = *(u64 *)(r10 -64)\nr2 = *(u64 *)(r10 -56)\nr2 <<= 1\nr1 ^= r2\nr0 = r6\nr0 <<= 32\nr0 ^= r1\nexit';

const CASES: { name: string; type: ProgType; text: string }[] = [
  {
    name: 'map_update_elem + map_lookup_elem: key at fp-63, value at fp-59',
    type: 'socket_filter',
    text: `.map h hash key=4 value=8 entries=4
${ZERO}
*(u8 *)(r10 -63) = 7
*(u8 *)(r10 -58) = 0x55
*(u8 *)(r10 -52) = 0x66
r1 = map[h]
r2 = r10
r2 += -63
r3 = r10
r3 += -59
r4 = 0
call bpf_map_update_elem
r6 = r0
r1 = map[h]
r2 = r10
r2 += -63
call bpf_map_lookup_elem
if r0 == 0 goto out
r0 = *(u64 *)(r0 +0)
r6 += r0
out:
${FOLD}`,
  },
  {
    name: 'skb_load_bytes to fp-61 (10 bytes)',
    type: 'socket_filter',
    text: `${ZERO}\nr2 = 2\nr3 = r10\nr3 += -61\nr4 = 10\ncall bpf_skb_load_bytes\nr6 = r0\n${FOLD}`,
  },
  {
    name: 'csum_diff from fp-62 (4 bytes) to fp-58 (8 bytes)',
    type: 'sched_cls',
    text: `${ZERO}\n*(u32 *)(r10 -64) = 0x12345678\n*(u32 *)(r10 -60) = 0x9abcdef0\n*(u32 *)(r10 -56) = 0x0fedcba9\nr1 = r10\nr1 += -62\nr2 = 4\nr3 = r10\nr3 += -58\nr4 = 8\nr5 = 0\ncall bpf_csum_diff\nr6 = r0\n${FOLD}`,
  },
  {
    name: 'skb_store_bytes from fp-61 (6 bytes), then skb_load_bytes to fp-55',
    type: 'sched_cls',
    text: `${ZERO}\n*(u32 *)(r10 -64) = 0x44332211\n*(u32 *)(r10 -60) = 0x88776655\nr6 = r1\nr2 = 6\nr3 = r10\nr3 += -61\nr4 = 6\nr5 = 0\ncall bpf_skb_store_bytes\nr1 = r6\nr2 = 4\nr3 = r10\nr3 += -55\nr4 = 8\ncall bpf_skb_load_bytes\nr6 = r0\n${FOLD}`,
  },
  {
    name: 'probe_read_kernel of a bad address into fp-61 (zeroes the buffer, -EFAULT)',
    type: 'socket_filter',
    text: `${ZERO}\n*(u64 *)(r10 -64) = -1\n*(u64 *)(r10 -56) = -1\nr1 = r10\nr1 += -61\nr2 = 12\nr3 = 16\ncall bpf_probe_read_kernel\nr6 = r0\n${FOLD}`,
  },
  {
    name: 'map_push_elem (queue) from fp-63, map_pop_elem to fp-53',
    type: 'socket_filter',
    text: `.map q queue key=0 value=8 entries=4
${ZERO}
*(u32 *)(r10 -64) = 0x01020304
*(u32 *)(r10 -60) = 0x05060708
r1 = map[q]
r2 = r10
r2 += -63
r3 = 0
call bpf_map_push_elem
r1 = map[q]
r2 = r10
r2 += -53
call bpf_map_pop_elem
r6 = r0
${FOLD}`,
  },
  {
    name: 'ringbuf_output from fp-61 (8 bytes)',
    type: 'socket_filter',
    text: `.map rb ringbuf key=0 value=0 entries=4096\n${ZERO}\nr1 = map[rb]\nr2 = r10\nr2 += -61\nr3 = 8\nr4 = 0\ncall bpf_ringbuf_output\nr6 = r0\n${FOLD}`,
  },
  {
    name: 'get_current_comm into fp-63 (r0 only: the comm differs)',
    type: 'socket_filter',
    text: `${ZERO}\nr1 = r10\nr1 += -63\nr2 = 16\ncall bpf_get_current_comm\nexit`,
  },
  {
    name: 'map_delete_elem with the key at fp-57 (not present: -ENOENT)',
    type: 'socket_filter',
    text: `.map h hash key=4 value=8 entries=4\n${ZERO}\nr1 = map[h]\nr2 = r10\nr2 += -57\ncall bpf_map_delete_elem\nexit`,
  },
];

describe('helper memory arguments at unaligned stack addresses', () => {
  for (const c of CASES) {
    it(`VM: ${c.name} runs without a fault`, () => {
      const r = new Vm(prog(c.text, c.type)).run({ packet: udpPacket() });
      expect(r.fault?.message).toBeUndefined();
      expect(r.error?.message).toBeUndefined();
    });
  }
});

describe.skipIf(!k.ok)('helper memory arguments at unaligned stack addresses: VM vs kernel', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const p = prog(c.text, c.type);
      const data = c.type === 'kprobe' ? undefined : udpPacket();
      const kr = runInKernel(captureR0(p), data ? { data, logLevel: 1 } : { ctx: new Uint8Array(168), logLevel: 1 });
      expect(kr.load.log.split('\n').filter((l) => /invalid|misaligned|denied|unknown/.test(l))).toEqual([]);
      expect(kr.load.verdict).toBe('accept');
      const kv = new DataView(kr.maps.find((m) => m.name === R0_MAP)!.entries[0]![1].buffer).getBigUint64(0, true);
      const r = new Vm(p).run(data ? { packet: data } : {});
      expect(`0x${r.r0.toString(16)}`).toBe(`0x${kv.toString(16)}`);
    });
  }
});
