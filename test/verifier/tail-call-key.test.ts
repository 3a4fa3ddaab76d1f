/**
 * record_func_key: a bpf_tail_call whose index r3 is a constant below the prog_array's
 * max_entries marks r3 precise (the index is kept for the poke descriptor), so a second path
 * reaching the call with another constant index is not pruned into the first (samples/bpf
 * sockex3_kern.o). An out-of-range or unknown index is not marked, and that path is pruned.
 * Processed instruction counts are compared with the running kernel's when it is there.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/asm/index.js';
import type { Program } from '../../src/isa/program.js';
import { expectProcessedLikeKernel as processed, kernelCompared, PRUNE_PAD } from './expect-verdicts.js';

kernelCompared('tail call key precision');

const tailCall = (name: string, a: number, b: number): Program => {
  const p = assemble(`.map jmp prog_array key=4 value=4 entries=4
r6 = r1
call bpf_get_prandom_u32
${PRUNE_PAD}
r3 = ${a}
if r0 == 0 goto +1
r3 = ${b}
r1 = r6
r2 = map[jmp]
call bpf_tail_call
r0 = 0
exit`);
  return { name, section: '', type: 'socket_filter', insns: p.insns, maps: p.maps, license: 'GPL' };
};

describe('tail call key precision', () => {
  it('constant in-range indices keep both paths; out-of-range ones are pruned', () => {
    const inRange = processed(tailCall('in_range', 1, 2));
    const outOfRange = processed(tailCall('out_of_range', 5, 6));
    expect(inRange).toBeGreaterThan(outOfRange);
  });
});
