/**
 * compute_insn_live_regs keeps its defaults (use = every register, def = none) for the legacy
 * packet loads LD_ABS / LD_IND, so every register is live before such a load and pruning there
 * compares them all: a path holding a stack pointer in r2 does not meet one holding a scalar.
 * Found with Inspektor Gadget's trace_dns (load_half / load_byte). A load-acquire reads only its
 * source and defines its destination. Processed counts are compared with the running kernel's.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { buildCfg } from '../../src/verifier/cfg.js';
import { liveRegisters } from '../../src/verifier/liveness.js';
import { expectProcessedLikeKernel as processed, kernelCompared, PRUNE_PAD } from './expect-verdicts.js';

kernelCompared('legacy packet load liveness');

// The fall-through path sets r2 to a stack pointer, the branch keeps the scalar; both reach `load`.
const join = (name: string, load: string): Program => ({
  name, section: '', type: 'socket_filter', license: 'GPL', maps: [],
  insns: assemble(`r6 = r1
call bpf_get_prandom_u32
${PRUNE_PAD}
r2 = 1
if r0 == 0 goto +1
r2 = r10
${load}
r0 = 0
exit`).insns,
});

describe('register liveness around legacy packet loads', () => {
  it('every register is live before LD_ABS and LD_IND', () => {
    const p = join('ld_abs_live', 'r0 = *(u8 *)skb[0]');
    const live = liveRegisters(p.insns, buildCfg(p.insns));
    const ldAbs = p.insns.findIndex((i) => i.code === 0x30);
    expect(live[ldAbs]! & 0x3ff).toBe(0x3ff);
  });
  it('the paths are not pruned into each other at the load', () => {
    const plain = processed(join('plain_join', 'r0 = 1'));
    expect(processed(join('ld_abs_join', 'r0 = *(u8 *)skb[0]'))).toBeGreaterThan(plain);
    expect(processed(join('ld_ind_join', 'r3 = 0\nr0 = *(u8 *)skb[r3 + 0]'))).toBeGreaterThan(plain);
  });
  it('a load-acquire reads its source and defines its destination', () => {
    const p: Program = { name: 'load_acq', section: '', type: 'socket_filter', license: 'GPL', maps: [],
      insns: assemble(`r1 = r10
r1 += -8
r2 = 0
*(u64 *)(r10 -8) = r2
r2 = load_acquire((u64 *)(r1 +0))
r0 = 0
exit`).insns };
    const live = liveRegisters(p.insns, buildCfg(p.insns));
    const acq = p.insns.findIndex((i) => i.imm === 0x100);
    expect(live[acq]! & (1 << 2)).toBe(0);
    expect(live[acq]! & (1 << 1)).not.toBe(0);
  });
});
