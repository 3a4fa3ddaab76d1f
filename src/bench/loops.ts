/**
 * The benchmark loops shared by the VM and JIT rows (src/bench/vm.ts, src/bench/jit.ts), so the
 * rows compare the engines on identical programs.
 */

import { RUNNING_KERNEL_BTF, readTargetBtf } from '../loader/target.js';

/** `call kernel-function#ID` of kfunc `name` in the running kernel's BTF, or null without it. */
function kfuncCall(name: string): string | null {
  const btf = readTargetBtf(RUNNING_KERNEL_BTF);
  const f = typeof btf === 'string' ? undefined : btf.find(name, 'func')[0];
  return f ? `call kernel-function#${f.id}` : null;
}

/** bpf_for(i, 0, iter) sum += i: one bpf_iter_num_next kfunc call per iteration (null without the kernel's BTF). */
function bpfForLoop(iter: number): { name: string; text: string } | null {
  const [create, next, destroy] = ['bpf_iter_num_new', 'bpf_iter_num_next', 'bpf_iter_num_destroy'].map(kfuncCall);
  if (!create || !next || !destroy) return null;
  return {
    name: 'bpf_for loop (kfunc calls)',
    text: `
        r1 = r10
        r1 += -8
        r2 = 0
        r3 = ${iter}
        ${create}
        r6 = 0
      loop:
        r1 = r10
        r1 += -8
        ${next}
        if r0 == 0 goto done
        r1 = *(u32 *)(r0 +0)
        r6 += r1
        goto loop
      done:
        r1 = r10
        r1 += -8
        ${destroy}
        r0 = r6
        exit`,
  };
}

/**
 * The loops, written once for both engines. The kernel verifier walks bounded loops iteration by
 * iteration, so counts stay small (the map loop at 2000: more hits its 8192-jump-sequence limit);
 * the open-coded iterator loop converges in a few states whatever its count.
 */
export function benchPrograms(iter: number): { name: string; text: string }[] {
  const forLoop = bpfForLoop(iter);
  return [
    {
      name: 'alu loop',
      text: `
        r0 = 0
        r1 = ${iter}
      loop:
        r0 += r1
        r0 ^= 0x55
        r2 = r0
        r2 >>= 3
        r0 -= r2
        w3 = w0
        w3 *= 7
        r0 |= r3
        r1 -= 1
        if r1 != 0 goto loop
        exit`,
    },
    {
      name: 'memory loop',
      text: `
        r0 = 0
        r1 = ${iter}
        *(u64 *)(r10 -8) = r0
        *(u64 *)(r10 -16) = r0
      loop:
        r2 = *(u64 *)(r10 -8)
        r2 += r1
        *(u64 *)(r10 -8) = r2
        r3 = *(u32 *)(r10 -16)
        r3 ^= r2
        *(u32 *)(r10 -16) = r3
        r4 = *(u8 *)(r10 -7)
        r0 += r4
        r1 -= 1
        if r1 != 0 goto loop
        exit`,
    },
    {
      name: 'map-heavy loop',
      text: `
        .map counters array key=4 value=8 entries=16
        r6 = ${Math.min(iter, 2000)}
        r7 = 0
      loop:
        r1 = r6
        r1 &= 15
        *(u32 *)(r10 -4) = r1
        r2 = r10
        r2 += -4
        r1 = map[counters]
        call bpf_map_lookup_elem
        if r0 == 0 goto next
        r1 = *(u64 *)(r0 +0)
        r1 += 1
        *(u64 *)(r0 +0) = r1
        r7 += r1
      next:
        r6 -= 1
        if r6 != 0 goto loop
        r0 = r7
        exit`,
    },
    ...(forLoop ? [forLoop] : []),
  ];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

